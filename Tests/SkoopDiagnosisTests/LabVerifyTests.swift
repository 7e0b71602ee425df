import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// The verifier's pure parts: case selection, flow comparison, the summary line.
@Suite struct LabVerifyTests {
    static let isRoot = getuid() == 0

    func probe(_ flow: LabVerifyFlow, _ succeeded: Bool, backend: String?) -> ProbeResult {
        ProbeResult(flow: flow.probe, succeeded: succeeded, backendPod: nil, backendIP: backend ?? flow.probe.destination,
                    routes: [], trace: [:], detail: "")
    }

    /// client -> svc/default/web on the wrong-gateway lab: web-0 works, web-1 does not.
    func partialService() throws -> (LabVerifyFlow, DiagnosisReport) {
        let flow = try #require(LabVerifyFlow.standard(for: LabTopology(scenario: .flannelHostGW)).first { $0.name == "pod->ClusterIP" })
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-flannel-hostgw-wrong-gateway").path)
        var session = try DiagnosisSession(query: flow.query, collector: collector)
        session.diagnostor.run()
        return (flow, session.report)
    }

    @Test func selectionDefaultsToTheQuickSetAndAllCoversEveryApplicableFault() {
        #expect(LabVerifyCase.selection(all: false, scenarios: [], faults: []) == LabVerifyCase.quick)
        let all = LabVerifyCase.selection(all: true, scenarios: [], faults: [])
        #expect(all.count == LabScenario.allCases.count + LabFault.allCases.reduce(0) { $0 + $1.scenarios.count })
        #expect(all.allSatisfy { $0.fault?.applies(to: $0.scenario) ?? true })
        #expect(LabVerifyCase.selection(all: false, scenarios: [.bridge], faults: [])
                == [LabVerifyCase(scenario: .bridge)])
        #expect(LabVerifyCase.selection(all: false, scenarios: [], faults: [.wrongGateway]).map(\.description)
                == ["flannel-hostgw+wrong-gateway", "calico-bgp+wrong-gateway"])
        #expect(LabVerifyCase.selection(all: true, scenarios: [.calicoVXLAN], faults: []).first == LabVerifyCase(scenario: .calicoVXLAN))
    }

    @Test func everyFaultHasALocationNamingTheFaultyObject() {
        for labCase in LabVerifyCase.all {
            guard let fault = labCase.fault else { continue }
            let location = FaultLocation.of(fault, in: LabTopology(scenario: labCase.scenario, fault: fault))
            #expect(!location.names.isEmpty && location.names.allSatisfy { !$0.isEmpty && $0.allSatisfy { !$0.isEmpty } }, "\(labCase)")
        }
        let veth = FaultLocation.of(.hostVethDown, in: LabTopology(scenario: .calicoBGP))
        #expect(veth.hop == Hop(type: .node, id: "node2") && veth.names.first?.first?.hasPrefix("cali") == true)
    }

    @Test func aGenericMessageNoLongerLocalizesAFault() {
        let vxlan = LabTopology(scenario: .flannelVXLAN, fault: .mtuMismatch)
        let mtu = FaultLocation.of(.mtuMismatch, in: vxlan)
        #expect(!mtu.names(Suspicion(level: .warning, message: "MTU 1450 of the pod is larger than the tunnel's 1400.")))
        #expect(mtu.names(Suspicion(level: .warning,
                                    message: "Pod veth(s) vethabc have MTU 1500, above VXLAN device flannel.1's MTU 1450: ...")))
        let eth0 = FaultLocation.of(.podEth0Down, in: vxlan)
        #expect(!eth0.names(Suspicion(level: .fatal, message: "No route from eth0 to 10.244.1.3.")))
        #expect(eth0.names(Suspicion(level: .fatal, message: "veth eth0 is down.")))
        let blackhole = FaultLocation.of(.blackholeRoute, in: vxlan)
        #expect(!blackhole.names(Suspicion(level: .fatal, message: "A blackhole route in node1 discards packets to 10.244.9.9.")))
        #expect(blackhole.names(Suspicion(level: .fatal, message: "A blackhole route in node1 discards packets to 10.244.2.2.")))
        // The words of one name may be split between message and evidence.
        let hairpin = FaultLocation.of(.hairpinOff, in: LabTopology(scenario: .bridge, fault: .hairpinOff))
        let web0 = LabTopology(scenario: .bridge).pod("web-0")!.hostVeth(.bridge)
        #expect(hairpin.names(Suspicion(level: .fatal, message: "hairpin mode is off", evidence: "bridge port \(web0) hairpin off")))
        #expect(!hairpin.names(Suspicion(level: .fatal, message: "\(web0) is up")))
    }

    @Test func aHarmlessFaultIsLocalizedOnlyWhenNothingWarnsAboutIt() throws {
        let location = FaultLocation.of(.markCrossing, in: LabTopology(scenario: .flannelHostGW, fault: .markCrossing))
        #expect(location.harmless)
        let (_, report) = try partialService()
        #expect(location.isLocalized(in: [report]))
        var alarmed = report
        alarmed.path.clusterSuspicions.append(Suspicion(level: .critical, message: "dropped",
                                                        evidence: "-A FORWARD -m mark --mark 0x1000/0x1000 -m comment --comment \"lab fault: mark-crossing\" -j DROP"))
        #expect(!location.isLocalized(in: [alarmed]))
    }

    @Test func falseAlarmsAreEveryWarningOrWorsePerFlowNodeAndMessage() throws {
        let (flow, report) = try partialService()
        let alarms = FalseAlarm.found(in: report, flow: flow)
        let expected = report.suspicions(atLeast: .warning)
        #expect(!alarms.isEmpty && alarms.count <= expected.count)
        #expect(Set(alarms).count == alarms.count)
        #expect(alarms.contains { $0.node == "node1" && $0.message.contains("192.168.56.99") })
        #expect(alarms.allSatisfy { $0.level >= .warning && $0.line.hasPrefix("pod->ClusterIP (") })
        // Info suspicions are not alarms.
        var quiet = report
        quiet.path = PacketPath(nodes: [], links: [], clusterSuspicions: [Suspicion(level: .info, message: "fine")])
        #expect(FalseAlarm.found(in: quiet, flow: flow).isEmpty)
    }

    @Test func perBackendAgreesWhenEachBackendBehavesAsPredicted() throws {
        let (flow, report) = try partialService()
        #expect(report.verdict == .partial)
        let probes = [probe(flow, true, backend: "10.244.1.2"), probe(flow, false, backend: "10.244.2.2"),
                      probe(flow, true, backend: "10.244.1.2")]
        let comparison = FlowComparison.perBackend(flow, report: report, probes: probes)
        #expect(comparison.agrees, "\(comparison.line)")
        #expect(comparison.kernel == "{10.244.1.2: ok, 10.244.2.2: failed} in 3 tries")
    }

    @Test func perBackendDisagreesOnAWrongBackendOrAnUnseenOne() throws {
        let (flow, report) = try partialService()
        let wrong = [probe(flow, true, backend: "10.244.1.2"), probe(flow, true, backend: "10.244.2.2")]
        #expect(!FlowComparison.perBackend(flow, report: report, probes: wrong).agrees)
        let onlyOne = [probe(flow, true, backend: "10.244.1.2")]
        #expect(!FlowComparison.perBackend(flow, report: report, probes: onlyOne).agrees)
        let mixed = [probe(flow, true, backend: "10.244.1.2"), probe(flow, false, backend: "10.244.1.2"),
                     probe(flow, false, backend: "10.244.2.2")]
        #expect(!FlowComparison.perBackend(flow, report: report, probes: mixed).agrees)
    }

    @Test func aFailureWhoseBackendConntrackForgotStandsForAFailingBranch() throws {
        let (flow, report) = try partialService()
        // A refused or early-dropped connection leaves no conntrack entry: the backend is unknown.
        let probes = [probe(flow, true, backend: "10.244.1.2"), probe(flow, false, backend: nil)]
        #expect(FlowComparison.perBackend(flow, report: report, probes: probes).agrees)
        #expect(FlowComparison.unseen(FlowComparison.backendOutcomes(report),
                                      observed: FlowComparison.observedOutcomes(flow, probes: probes)).isEmpty)
        // But an anonymous failure can't stand in for a backend Skoop says works.
        #expect(!FlowComparison.perBackend(flow, report: report, probes: [probe(flow, false, backend: nil)]).agrees)
    }

    @Test func singleFlowsNeedTheMatchingVerdict() throws {
        let flow = try #require(LabVerifyFlow.standard(for: LabTopology(scenario: .flannelHostGW)).first { $0.name == "pod->pod across nodes" })
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-flannel-hostgw-wrong-gateway").path)
        var session = try DiagnosisSession(query: flow.query, collector: collector)
        session.diagnostor.run()
        #expect(FlowComparison.single(flow, report: session.report, probe: probe(flow, false, backend: nil)).agrees)
        #expect(!FlowComparison.single(flow, report: session.report, probe: probe(flow, true, backend: nil)).agrees)
    }

    @Test func rpFilterLocalAddsAFlowToALocalAddressOfNode1() throws {
        let flows = LabVerifyFlow.standard(for: LabTopology(scenario: .calicoVXLAN, fault: .rpFilterLocal))
        #expect(flows.count == 13)
        let flow = try #require(flows.last)
        #expect(flow.probe.source == "client2" && flow.probe.destination == "10.244.1.192" && flow.query.proto == .icmp)
        #expect(LabVerifyFlow.standard(for: LabTopology(scenario: .calicoVXLAN)).count == 12)
    }

    @Test func falseAlarmsAreLookedForOnHealthyAndHarmlessLabsOnly() {
        func result(_ fault: LabFault?) -> LabCaseResult {
            LabCaseResult(labCase: LabVerifyCase(scenario: .calicoBGP, fault: fault), flows: [], localized: nil,
                          location: fault.map { FaultLocation.of($0, in: LabTopology(scenario: .calicoBGP, fault: $0)) },
                          notes: [], error: nil)
        }
        #expect(result(nil).expectsNoAlarms)
        #expect(result(.markCrossing).expectsNoAlarms)
        #expect(!result(.forwardDrop).expectsNoAlarms)
        #expect(!result(.asymmetricReturn).expectsNoAlarms)
    }

    @Test func summaryLineAndPass() {
        let flow = LabVerifyFlow.standard(for: LabTopology(scenario: .bridge))[0]
        let agreeing = FlowComparison(flow: flow, agrees: true, kernel: "ok", skoop: "reachable")
        var healthy = LabCaseResult(labCase: LabVerifyCase(scenario: .bridge), flows: [agreeing, agreeing], localized: nil,
                                    location: nil, notes: [], error: nil)
        var faulty = LabCaseResult(labCase: LabVerifyCase(scenario: .bridge, fault: .bridgeDown), flows: [agreeing],
                                   localized: false, location: FaultLocation.of(.bridgeDown, in: LabTopology(scenario: .bridge)),
                                   notes: [], error: nil)
        #expect(LabVerifySummary([healthy, faulty]).line == "agreement: 3/3 flows, faults localized: 0/1, false alarms: 0")
        #expect(LabVerifySummary([healthy, faulty]).detailLine == "routes: 0/0, traces: 0/0")
        #expect(!LabVerifySummary([healthy, faulty]).passed)
        #expect(faulty.problemLines == ["bridge+bridge-down: fault bridge-down not localized: no warning on node2 naming cni0 is down"])
        faulty.localized = true
        #expect(LabVerifySummary([healthy, faulty]).passed)
        let alarm = FalseAlarm(flow: "pod->pod same node (default/client -> default/web-0:8080/tcp)", node: "node1",
                               level: .warning, message: "Something odd.")
        healthy.falseAlarms = [alarm, alarm]
        #expect(LabVerifySummary([healthy, faulty]).line == "agreement: 3/3 flows, faults localized: 1/1, false alarms: 2")
        #expect(!LabVerifySummary([healthy, faulty]).passed)
        #expect(healthy.problemLines.first == "bridge: false alarm: pod->pod same node (default/client -> default/web-0:8080/tcp): node1: warning: Something odd.")
        healthy.falseAlarms = []
        healthy.error = "lab command failed"
        #expect(!LabVerifySummary([healthy, faulty]).passed)
    }

    // The limit catches a hang, not slowness: 36 s on an idle machine at 4 jobs, 90-110 s at a
    // load average of 12 (sanitizers stretch it by TestTime.scale).
    @Test("lab verify: a small subset agrees with the kernel", .timeLimit(.minutes(5 * TestTime.scale)),
          .enabled(if: LabVerifyTests.isRoot, "needs root to create network namespaces (CI runs as root)"))
    func verifierAgreesWithTheKernel() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-verify-test-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let cases = [LabVerifyCase(scenario: .calicoBGP, fault: .remoteRouteDeleted),
                     LabVerifyCase(scenario: .flannelVXLAN),
                     LabVerifyCase(scenario: .flannelHostGW, fault: .bridgeNFOff),
                     LabVerifyCase(scenario: .bridge, fault: .vethDetached)]
        let results = await LabVerifier(workDirectory: work).verify(cases, prefix: "sklv\(getpid())", parallelism: LabVerifier.defaultJobs)
        let summary = LabVerifySummary(results)
        #expect(summary.passed, "\(summary.line)\n\(results.flatMap(\.problemLines).joined(separator: "\n"))")
        // Dual-stack: every flow in IPv4 and IPv6.
        #expect(summary.flows == 96 && summary.faults == 3 && summary.falseAlarms == 0)
        // Routing decisions along every flow, and the traced ClusterIP and NodePort probes' rule hits on each node.
        #expect(summary.routes >= 100 && summary.routesAgreeing == summary.routes, "\(summary.line)")
        #expect(summary.traces >= 8 && summary.tracesAgreeing == summary.traces, "\(summary.line)")
        #expect(results.allSatisfy { result in result.traces.contains { $0.node == "node1" && $0.direction == .request && !$0.kernel.isEmpty } })
        // kube-proxy's rules loaded with iptables-legacy are collected and simulated too.
        let legacy = await LabVerifier(workDirectory: work, backend: .legacy)
            .verify([LabVerifyCase(scenario: .bridge, fault: .forwardDrop)], prefix: "sklv\(getpid())l")
        #expect(LabVerifySummary(legacy).passed, "\(LabVerifySummary(legacy).line) \(legacy.flatMap(\.problemLines))")
        // Legacy: routes and traces compared too (TRACE logged through nfnetlink_log, captured on nflog:0,
        // rule numbers mapped to the iptables-save rules): the ClusterIP and NodePort probes' hits on both nodes.
        let legacySummary = LabVerifySummary(legacy)
        #expect(legacySummary.routes > 0 && legacySummary.routesAgreeing == legacySummary.routes, "\(legacySummary.line)")
        #expect(legacySummary.traces >= 4 && legacySummary.tracesAgreeing == legacySummary.traces, "\(legacySummary.line)")
        #expect(legacy.allSatisfy { result in
            result.traces.contains { $0.node == "node1" && $0.direction == .request && $0.kernel.count >= 4 }
        })
        let leftovers = await SubprocessToolRunner().run(["ip", "netns", "list"]).stdout
        #expect(!leftovers.contains("sklv\(getpid())"))
    }
}
