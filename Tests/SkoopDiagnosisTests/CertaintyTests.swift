import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopKubernetes
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Verdicts are certain only where collected state proves them: missing data makes them
/// unknown, unproven premises are listed as assumptions, and none is raised falsely.
@Suite struct CertaintyTests {
    static let node1 = "nodes/node1/netns/host"
    static let node2 = "nodes/node2/netns/host"

    func diagnose(_ snapshot: String, _ src: String, _ dst: String, _ port: UInt16,
                  _ proto: TransportProtocol = .tcp) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: proto),
                                           collector: try CollectorManager(snapshot: snapshot))
        session.diagnostor.run()
        return session.report
    }

    func demo() throws -> String { try #require(DemoSnapshot.path) }

    func messages(_ report: DiagnosisReport, atLeast level: SuspicionLevel = .info) -> [String] {
        report.suspicions(atLeast: level).map { "\($0.node?.id ?? "cluster"): \($0.suspicion.message)" }
    }

    @Test func aDirectoryThatIsNotASnapshotIsAnInputError() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-not-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try Data("x".utf8).write(to: empty.appendingPathComponent("README"))
        #expect {
            _ = try CollectorManager(snapshot: empty.path)
        } throws: { error in
            "\(error)".contains("expected a snapshot directory") && "\(error)".contains(empty.path)
        }
    }

    @Test func withoutTheSocketTableTheServeIsUnproven() throws {
        let copy = try FixtureCopy()
        try FileManager.default.removeItem(atPath: copy.path + "/nodes/node2/netns/pod-web-1/sockets.txt")
        let report = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unknown)
        #expect(messages(report, atLeast: .warning).contains { $0.hasPrefix("default/web-1:") && $0.contains("sockets.txt") })
        // Another destination's socket table is not needed for this flow.
        #expect(try diagnose(copy.path, "default/client", "default/web-0", 8080).verdict == .reachable)
    }

    @Test func aMissingRulesetIsUnknownUnlessTheCollectorRecordedTheToolsAbsent() throws {
        let copy = try FixtureCopy()
        try FileManager.default.removeItem(atPath: copy.path + "/\(CertaintyTests.node2)/iptables.txt")
        let unknown = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(unknown.verdict == .unknown)
        #expect(messages(unknown, atLeast: .warning).contains { $0.hasPrefix("node2:") && $0.contains("iptables.txt is missing") })
        // Recorded by the collector: neither save tool exists there, so there are no rules.
        try copy.write("\(CertaintyTests.node2)/collect-errors.txt",
                       "iptables-legacy-save\texit 127\tnot found\niptables-nft-save\texit 127\tnot found\n")
        #expect(try diagnose(copy.path, "default/client", "default/web-1", 8080).verdict == .reachable)
        // A tool that failed for another reason proves nothing.
        try copy.write("\(CertaintyTests.node2)/collect-errors.txt",
                       "iptables-legacy-save\texit 1\tpermission denied\niptables-nft-save\texit 127\tnot found\n")
        #expect(try diagnose(copy.path, "default/client", "default/web-1", 8080).verdict == .unknown)
    }

    /// node2's nft.json holding one native table whose forward chain has `rules`.
    func nftForward(_ rules: String, extraChain: String = "") -> String {
        """
        {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
         {"table": {"family": "ip", "name": "kube-proxy", "handle": 3}},
         {"chain": {"family": "ip", "table": "kube-proxy", "name": "filter-forward", "handle": 1,
                    "type": "filter", "hook": "forward", "prio": -110, "policy": "accept"}}\(extraChain)
         \(rules)]}
        """
    }

    /// The classic split: kube-proxy's legacy iptables rules beside a native nft table. Both are
    /// simulated on the packet's way (each rule in its hook's order), with a Warning saying so.
    @Test func aNodeWithLegacyAndNftRulesSimulatesBoth() throws {
        let copy = try FixtureCopy()
        let host = "\(copy.path)/\(CertaintyTests.node2)"
        let legacy = try String(contentsOfFile: "\(host)/iptables.txt", encoding: .utf8)
            .replacingOccurrences(of: "iptables-nft-save v1.8.9 (nf_tables)", with: "iptables-legacy-save v1.8.9")
        #expect(!legacy.contains("nf_tables"))
        try copy.write("\(CertaintyTests.node2)/iptables.txt", legacy)
        try copy.write("\(CertaintyTests.node2)/iptables-backend.txt", "legacy\n")
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward(
            #", {"rule": {"family": "ip", "table": "kube-proxy", "chain": "filter-forward", "handle": 2, "expr": [{"counter": null}]}}"#))
        let report = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(report.verdict == .reachable)
        #expect(messages(report, atLeast: .warning).contains {
            $0.hasPrefix("node2") && $0.contains("legacy iptables rules and native nftables rules both hook packets here")
        })
        let node2 = report.path.links.filter { $0.source == Hop(type: .node, id: "node2") }.flatMap(\.netfilter)
        #expect(node2.contains { $0.family == "ip" && $0.table == "kube-proxy" && $0.hook == "FORWARD" })
        #expect(node2.contains { $0.family == nil && $0.table == "filter" && $0.hook == "FORWARD" })
        // A native drop still decides beside the legacy rules.
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward(#"""
            , {"rule": {"family": "ip", "table": "kube-proxy", "chain": "filter-forward", "handle": 2, "expr": [
                {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}}, {"drop": null}]}}
            """#))
        #expect(try diagnose(copy.path, "default/client", "default/web-1", 8080).verdict == .unreachable)
    }

    @Test func nativeNftablesTablesAreEvaluated() throws {
        let copy = try FixtureCopy()
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward(
            #", {"rule": {"family": "ip", "table": "kube-proxy", "chain": "filter-forward", "handle": 2, "expr": [{"counter": null}]}}"#))
        #expect(try diagnose(copy.path, "default/client", "default/web-1", 8080).verdict == .reachable)
        // A native drop decides, and the report names its nft rule.
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward(#"""
            , {"rule": {"family": "ip", "table": "kube-proxy", "chain": "filter-forward", "handle": 2, "expr": [
                {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}}, {"drop": null}]}}
            """#))
        let dropped = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(dropped.verdict == .unreachable)
        #expect(dropped.suspicions(atLeast: .critical).contains { $0.suspicion.evidence == "tcp dport 8080 drop" })
        // An expression Skoop does not model leaves the verdict unknown, with a Warning naming it.
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward(#"""
            , {"rule": {"family": "ip", "table": "kube-proxy", "chain": "filter-forward", "handle": 2, "expr": [
                {"match": {"op": "==", "left": {"osf": {"key": "name"}}, "right": "Linux"}}, {"drop": null}]}}
            """#))
        let unknown = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(unknown.verdict == .unknown)
        #expect(messages(unknown, atLeast: .warning).contains { $0.contains("rule handle 2 of ip kube-proxy/filter-forward") && $0.contains("osf") })
        // A netdev ingress chain on one device is placed on the path of packets entering it.
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward("", extraChain: #"""
            , {"chain": {"family": "netdev", "table": "edge", "name": "in", "handle": 1, "type": "filter",
                         "hook": "ingress", "prio": 0, "policy": "accept", "dev": "eth0"}}
            """#))
        #expect(try diagnose(copy.path, "default/client", "default/web-1", 8080).verdict == .reachable)
        // Without its device (nft 1.0.6 leaves it out of JSON) it can't be placed: the netns stays unproven.
        try copy.write("\(CertaintyTests.node2)/nft.json", nftForward("", extraChain: #"""
            , {"chain": {"family": "netdev", "table": "edge", "name": "in", "handle": 1, "type": "filter",
                         "hook": "ingress", "prio": 0, "policy": "accept"}}
            """#))
        let ingress = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(ingress.verdict == .unknown)
        #expect(messages(ingress, atLeast: .warning).contains { $0.contains("netdev edge/in (ingress)") })
        // iptables-nft's own tables are read from iptables-save: no doubt from them.
        try copy.write("\(CertaintyTests.node2)/nft.json", """
            {"nftables": [{"table": {"family": "ip", "name": "filter", "handle": 1}},
             {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter",
                        "hook": "forward", "prio": 0, "policy": "accept"}}]}
            """)
        #expect(try diagnose(copy.path, "default/client", "default/web-1", 8080).verdict == .reachable)
    }

    @Test func anAddressInTheServiceNetworkThatNoServiceOwnsIsUnreachable() throws {
        let report = try diagnose(try demo(), "default/client", "10.96.0.99", 80)
        #expect(report.verdict == .unreachable)
        let fatal = try #require(report.suspicions(atLeast: .fatal).first)
        #expect(fatal.suspicion.message.hasPrefix("No Service owns 10.96.0.99"))
        #expect(fatal.suspicion.message.contains("10.96.0.0/12"))
        #expect(report.exitStatus == 1)
    }

    @Test func theServiceNetworkIsFoundWithoutAHint() throws {
        let copy = try FixtureCopy()
        try copy.write("snapshot.json", #"{"version":1}"#)
        let network = try CollectorManager(snapshot: copy.path).cluster.serviceNetwork()
        let found = try #require(network)
        #expect(found.source == .clusterIPs)
        // Every ClusterIP of lab-basic lies in the common prefix, and so would nothing outside the real range.
        #expect(found.prefixes.allSatisfy { $0.length >= 12 })
        #expect(ServiceNetwork.commonPrefixes(of: ["10.96.0.1", "10.96.0.10"].compactMap(IPAddress.init))
                == [IPPrefix("10.96.0.0/28")!])
        #expect(ServiceNetwork.commonPrefixes(of: [IPAddress("10.96.0.1")!]).isEmpty)
        #expect(ServiceNetwork.kubeadmServiceSubnets(clusterConfiguration: """
            apiVersion: kubeadm.k8s.io/v1beta3
            networking:
              dnsDomain: cluster.local
              podSubnet: 10.244.0.0/16
              serviceSubnet: "10.96.0.0/12,fd00:10:96::/112"
            """) == [IPPrefix("10.96.0.0/12")!, IPPrefix("fd00:10:96::/112")!])
    }

    @Test func anExternalDestinationKeepsItsVerdictAndListsWhatItAssumes() throws {
        let report = try diagnose(try demo(), "default/client", "8.8.8.8", 443)
        #expect(report.verdict == .reachable)
        let texts = report.path.assumptions.map { "\($0.node?.id ?? "-"): \($0.text)" }
        #expect(texts.contains { $0.hasPrefix("8.8.8.8: not a collected host") && $0.contains("tcp port 443") })
        #expect(texts.contains { $0.hasPrefix("router 192.168.56.1: this gateway was not collected") })
        #expect(report.text().contains("Assumptions (what the verdict rests on"))
        let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        let listed = try #require(json["assumptions"] as? [[String: Any]])
        #expect(listed.contains { $0["node"] as? String == "8.8.8.8" })
        // A flow between collected pods rests on nothing unproven.
        #expect(try diagnose(try demo(), "default/client", "default/web-0", 8080).path.assumptions.isEmpty)
    }

    @Test func aNodePortLeftAloneByAnotherNodeIsNoAlarm() throws {
        let report = try diagnose(try demo(), "node/node1", "192.168.56.12", 30080)
        #expect(!messages(report, atLeast: .warning).contains { $0.hasPrefix("node1:") })
        // The demo's fault is still found where it is.
        #expect(messages(report, atLeast: .critical).contains { $0.hasPrefix("node2:") && $0.contains("DROP") })
    }

    @Test func aDeliveryAnywhereButTheDestinationIsNotServed() throws {
        let copy = try FixtureCopy()
        // node1 wrongly holds web-1's address: it answers the packet itself.
        try copy.edit("\(CertaintyTests.node1)/ip-addr.json") { text in
            text.replacingOccurrences(of: #""local":"192.168.56.11","#,
                                      with: #""local":"192.168.56.11","prefixlen":24},{"family":"inet","local":"10.244.2.2","#)
        }
        try copy.edit("\(CertaintyTests.node1)/ip-route.json") { text in
            text.replacingOccurrences(of: "[{", with: #"[{"type":"local","dst":"10.244.2.2","dev":"ens4","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.244.2.2","flags":[]},{"#)
        }
        let addresses = try copy.text("\(CertaintyTests.node1)/ip-addr.json")
        try #require(addresses.contains("10.244.2.2"))
        try copy.edit("\(CertaintyTests.node1)/sockets.txt") { $0 + "tcp LISTEN 0 1 0.0.0.0:8080 0.0.0.0:*\n" }
        let report = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        #expect(messages(report, atLeast: .critical).contains { $0.hasPrefix("node1: The packet is delivered to node1, not to the destination asked for (default/web-1)") })
    }

    @Test func marksDoNotCrossNetworkNamespaces() throws {
        let copy = try FixtureCopy()
        try copy.write("nodes/node1/netns/pod-client/iptables.txt", """
            *mangle
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            -A OUTPUT -j MARK --set-xmark 0x8000/0x8000
            COMMIT

            """)
        try copy.edit("\(CertaintyTests.node1)/iptables.txt") { text in
            // Before node1's first FORWARD rule.
            let rule = try #require(text.range(of: "] -A FORWARD "))
            let line = text[..<rule.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
            var edited = text
            edited.insert(contentsOf: "-A FORWARD -m mark --mark 0x8000/0x8000 -j DROP\n", at: line)
            return edited
        }
        let report = try diagnose(copy.path, "default/client", "default/web-1", 8080)
        #expect(report.verdict == .reachable)
        #expect(report.path.links.first?.packet.mark == 0x8000)
        #expect(report.path.links.dropFirst().allSatisfy { $0.packet.mark & 0x8000 == 0 })
    }

    @Test func aReplyThroughANetnsThatNeverSawTheRequestIsInvalidThere() throws {
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-basic").path)
        let node2 = try SnapshotNetNodeManager(network: GenericProvider().network(collector: collector, context: DiagnosisContext()))
            .simulator(node: "node2", netns: "host")
        // web-1's reply to a client on node1, arriving from web-1's veth.
        let reply = Packet(src: IPAddress("10.244.2.2")!, sport: 8080, dst: IPAddress("10.244.1.3")!, dport: 40000, proto: .tcp)
        let ingress = try #require(node2.info.interfaces.first { $0.master == "cni0" }?.name)
        let tracked = node2.process(reply, ingress: .interface(ingress), l2Target: IPAddress("10.244.2.1"), direction: .reply)
        #expect(tracked.allSatisfy { if case .forward = $0.kind { true } else { false } })
        let untracked = node2.forReplyWithoutRequest()
            .process(reply, ingress: .interface(ingress), l2Target: IPAddress("10.244.2.1"), direction: .reply)
        #expect(untracked.allSatisfy { $0.kind == .drop })
        #expect(untracked.contains { $0.netfilter.contains { $0.matched && $0.rule.contains("--ctstate INVALID -j DROP") } })
    }

    @Test func theWalkRecordsWhichHopsSawTheRequest() throws {
        let report = try diagnose(Fixtures.url("lab-basic").path, "default/client", "default/web-1", 8080)
        let replyIntoClient = try #require(report.path.links.last { $0.direction == .reply && $0.destination?.id == "default/client" })
        #expect(replyIntoClient.requestHops.map(\.id) == ["default/client", "node1", "node2", "default/web-1"])
    }

    @Test func uncertainLeavesDecideOnlyWhatTheyCouldChange() {
        func leaf(_ action: ActionKind, uncertain: Bool = false) -> Link {
            Link(type: .local, source: Hop(type: .pod, id: "a/b"), destination: nil, action: action,
                 packet: Packet(src: IPAddress("10.0.0.1")!, dst: IPAddress("10.0.0.2")!, dport: 80, proto: .tcp),
                 isUncertain: uncertain)
        }
        func verdict(_ leaves: [Link]) -> Verdict { Diagnostor.conclude(PacketPath(links: leaves)) }
        #expect(verdict([leaf(.serve), leaf(.serve)]) == .reachable)
        #expect(verdict([leaf(.serve), leaf(.drop, uncertain: true)]) == .unknown)
        #expect(verdict([leaf(.drop), leaf(.serve, uncertain: true)]) == .unknown)
        #expect(verdict([leaf(.serve), leaf(.drop), leaf(.drop, uncertain: true)]) == .partial)
        #expect(verdict([leaf(.drop), leaf(.drop)]) == .unreachable)
    }
}
