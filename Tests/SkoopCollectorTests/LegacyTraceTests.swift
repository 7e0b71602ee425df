import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopCollector
@testable import SkoopLab

/// Legacy-backend traces: a recorded `tcpdump -i nflog:0` capture (nc from 10.9.0.1:40000 to a
/// DNATed 10.9.0.99:80 answered on 10.9.0.2:8080, iptables-legacy, TRACE in raw) decoded against
/// the node's iptables-save.
@Suite struct LegacyTraceTests {
    static func capture() throws -> [UInt8] { [UInt8](try Fixtures.data("nflog-legacy-trace/trace.pcap")) }
    static func rules() throws -> IptablesSaveRules { IptablesSaveRules(try Fixtures.text("nflog-legacy-trace/iptables-save.txt")) }

    @Test("the pcap reader gives the NFLOG link type and every frame; NFLOG TLVs give hook, prefix and packet")
    func pcapAndNFLOG() throws {
        let file = try PcapFile(bytes: Self.capture(), source: "trace.pcap")
        #expect(file.linkType == 239 && !file.bigEndian)
        #expect(file.records.count == 24)
        let first = try NFLOGMessage(frame: file.records[0].bytes, bigEndian: false, source: "trace.pcap", frameNumber: 1)
        #expect(first.family == 2 && first.hookName == "PREROUTING")
        #expect(first.prefix == "TRACE: raw:PREROUTING:policy:2 ")
        #expect(first.packet == XtablesTracePacket(tuple: LabTuple(src: "10.9.0.1", dst: "10.9.0.99", sport: 40000, dport: 80),
                                                   flags: ["SYN"], ipID: "37226"))
        let reply = try NFLOGMessage(frame: file.records[8].bytes, bigEndian: false, source: "trace.pcap", frameNumber: 9)
        #expect(reply.hookName == "OUTPUT" && reply.packet?.isSYNACK == true && reply.packet?.tuple.sport == 8080)
    }

    @Test("rule numbers become rule text and verdicts as xtables-monitor prints them; the TRACE rule's own hit is restored")
    func decode() throws {
        let lines = try LegacyTraceDecoder.lines(pcap: Self.capture(), rules: Self.rules(), source: "trace.pcap")
        let syn = lines.filter { $0.packet?.isSYN == true }
        #expect(syn.map { "\($0.entry.hook) \($0.entry.table):\($0.entry.chain) \($0.monitorVerdict) \($0.entry.rule)" } == [
            "PREROUTING raw:PREROUTING CONTINUE -A PREROUTING -p tcp -j TRACE",
            "PREROUTING raw:PREROUTING ACCEPT -P PREROUTING ACCEPT",
            "PREROUTING nat:PREROUTING JUMP:KUBE-SERVICES -A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "PREROUTING nat:KUBE-SERVICES JUMP:KUBE-SVC-X -A KUBE-SERVICES -d 10.9.0.99/32 -p tcp -m comment --comment \"default/web cluster IP\" -m tcp --dport 80 -j KUBE-SVC-X",
            "PREROUTING nat:KUBE-SVC-X ACCEPT -A KUBE-SVC-X -p tcp -j DNAT --to-destination 10.9.0.2:8080",
            "INPUT filter:INPUT JUMP:KUBE-FW -A INPUT -j KUBE-FW",
            "INPUT filter:KUBE-FW  ",
            "INPUT filter:INPUT ACCEPT -A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT",
            "INPUT nat:INPUT ACCEPT -P INPUT ACCEPT",
        ])
        // After DNAT, INPUT sees the backend's tuple.
        #expect(syn.last?.packet?.tuple == LabTuple(src: "10.9.0.1", dst: "10.9.0.2", sport: 40000, dport: 8080))
        let synACK = lines.filter { $0.packet?.isSYNACK == true }
        #expect(synACK.map { "\($0.entry.table):\($0.entry.chain) \($0.monitorVerdict)" } == [
            "raw:OUTPUT CONTINUE", "raw:OUTPUT ACCEPT", "filter:OUTPUT ACCEPT",
        ])
    }

    @Test("the rendered trace reads back through the xtables-monitor parser unchanged")
    func renderRoundTrip() throws {
        let lines = try LegacyTraceDecoder.lines(pcap: Self.capture(), rules: Self.rules(), source: "trace.pcap")
        let parsed = try XtablesTraceParser.parse(LegacyTraceDecoder.render(lines), source: "rendered")
        #expect(parsed.count == lines.count)
        #expect(parsed.map(\.entry) == lines.map(\.entry))
        #expect(parsed.map(\.monitorVerdict) == lines.map(\.monitorVerdict))
        #expect(parsed.map(\.packet) == lines.map(\.packet))
    }

    @Test("an unconditional ACCEPT the kernel calls \"policy\" is the rule when its number is within the chain")
    func unconditionalRuleNamedPolicy() throws {
        let rules = IptablesSaveRules("*filter\n:FORWARD DROP [0:0]\n:KUBE-X - [0:0]\n-A FORWARD -j ACCEPT\n-A KUBE-X -j RETURN\nCOMMIT\n")
        let packet = XtablesTracePacket(tuple: LabTuple(src: "a", dst: "b", sport: 1, dport: 2), flags: ["SYN"], ipID: "1")
        func hit(_ prefix: String) throws -> XtablesTraceLine {
            let location = try #require(LegacyTraceDecoder.location(prefix))
            return LegacyTraceDecoder.line(location, hook: "FORWARD", traceID: "1", packet: packet, rules: rules)
        }
        #expect(try hit("TRACE: filter:FORWARD:policy:1 ").entry.rule == "-A FORWARD -j ACCEPT")
        #expect(try hit("TRACE: filter:FORWARD:policy:2 ").entry.verdict == "POLICY DROP")
        #expect(try hit("TRACE: filter:KUBE-X:return:1 ").monitorVerdict == "0xfffffffb")
        #expect(try hit("TRACE: filter:KUBE-X:return:2 ").entry.rule.isEmpty)
        #expect(try hit("TRACE: filter:KUBE-X:rule:7 ").entry.verdict == "UNKNOWN")
    }

    @Test("bad captures are errors, not crashes")
    func badInput() throws {
        #expect(throws: InputError.self) { try PcapFile(bytes: [1, 2, 3], source: "x.pcap") }
        #expect(throws: InputError.self) { try PcapFile(bytes: [UInt8](repeating: 0, count: 24), source: "x.pcap") }
        var ethernet = Array(try Self.capture().prefix(24))
        ethernet[20] = 1
        #expect(throws: InputError.self) { try LegacyTraceDecoder.lines(pcap: ethernet, rules: Self.rules(), source: "x.pcap") }
        #expect(throws: InputError.self) {
            try NFLOGMessage(frame: [2, 0, 0, 0, 200, 0, 10, 0], bigEndian: false, source: "x.pcap", frameNumber: 1)
        }
        // A capture cut mid-frame keeps its whole frames.
        let cut = try PcapFile(bytes: Array(Self.capture().dropLast(10)), source: "x.pcap")
        #expect(cut.records.count == 23)
    }
}

/// The legacy trace set-up commands, on a recorded runner (no lab needed).
@Suite struct LegacyTraceSetupTests {
    @Test("legacy TRACE rules go in with iptables-legacy, after nfnetlink_log is made each node netns's IPv4 logger from inside it")
    func installsPerNetns() async throws {
        let runner = RecordedToolRunner(fallback: ToolOutput(status: 1, stderr: "Bad rule"))
        let state = LabState(prefix: "t1", topology: LabTopology(scenario: .bridge, backend: .legacy), netns: [], processes: [])
        let truth = GroundTruth(state: state, runner: runner)
        try #require(truth.canTrace, "tcpdump is installed on the lab machines (Tests/run-all.sh installs it)")
        await truth.installTraceRules()
        let commands = runner.commands.map { $0.joined(separator: " ") }
        let nodes = state.topology.nodes.map(\.name)
        #expect(nodes.count == 2)
        for node in nodes {
            let enable = try #require(commands.firstIndex(of:
                "ip netns exec t1-\(node) sh -c echo nfnetlink_log > /proc/sys/net/netfilter/nf_log/2"))
            let insert = try #require(commands.firstIndex(of: "ip netns exec t1-\(node) iptables-legacy -t raw -I PREROUTING -p tcp -j TRACE"))
            #expect(enable < insert)
            #expect(commands.contains("ip netns exec t1-\(node) iptables-legacy -t raw -I OUTPUT -p tcp -j TRACE"))
        }
        #expect(!commands.contains { $0.contains("iptables-nft") || $0.contains("/proc/sys/net/netfilter/nf_log_all_netns") })
    }
}

/// Which families a lab traces, and the TRACE rules it installs for them (no lab needed).
@Suite struct IPv6TraceSetupTests {
    @Test("IPv6 flows are traced on the nft backend in labs with IPv6, through ip6tables-nft's TRACE rules")
    func ipv6TracedOnNftBackend() async throws {
        let runner = RecordedToolRunner(fallback: ToolOutput(status: 1, stderr: "Bad rule"))
        let dual = GroundTruth(state: LabState(prefix: "t6", topology: LabTopology(scenario: .bridge, ipFamily: .dual),
                                               netns: [], processes: []), runner: runner)
        #expect(dual.canTrace(.inet6) && dual.canTrace(.inet))
        await dual.installTraceRules()
        let commands = runner.commands.map { $0.joined(separator: " ") }
        #expect(commands.contains("ip netns exec t6-node1 ip6tables-nft -t raw -I PREROUTING -p tcp -j TRACE"))
        #expect(commands.contains("ip netns exec t6-node2 iptables-nft -t raw -I OUTPUT -p tcp -j TRACE"))
        let ipv4Only = GroundTruth(state: LabState(prefix: "t4", topology: LabTopology(scenario: .bridge), netns: [], processes: []))
        #expect(!ipv4Only.canTrace(.inet6))
        let legacy = GroundTruth(state: LabState(prefix: "tl", topology: LabTopology(scenario: .bridge, backend: .legacy, ipFamily: .dual),
                                                 netns: [], processes: []))
        #expect(!legacy.canTrace(.inet6), "the NFLOG capture is decoded as IPv4")
    }
}
