import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
import SkoopTestSupport
import SkoopLab

/// `skoop matrix` on lab-basic (web pods admit only app=client on TCP 8080), as a Cilium cluster
/// so that the policy decides on the path.
@Suite struct ReachabilityMatrixTests {
    static let matrix: ReachabilityMatrix = {
        let collector = try! CollectorManager(snapshot: Fixtures.url("lab-basic").path)
        return try! ReachabilityMatrix.build(collector: collector, port: 8080, protocol: .tcp,
                                             context: DiagnosisContext(networkPlugin: .cilium))
    }()

    @Test func classesSeparateNodesAndPolicyLabelsOnly() {
        let matrix = Self.matrix
        #expect(matrix.classes.map(\.members) == [["default/client"], ["default/client2"], ["default/web-0"], ["default/web-1"]])
        // Only "app" is selected on by a policy: the statefulset's own labels do not split classes.
        #expect(matrix.classes[2].labels == ["app": "web"])
        #expect(matrix.services.isEmpty)  // no Service serves 8080 (web's port is 80)
        #expect(matrix.diagnosed == 12)
    }

    @Test func cellsComeFromTheFullSimulation() throws {
        let matrix = Self.matrix
        let clientToWeb1 = try #require(matrix.cell("c1", .podClass("c4")))
        #expect(clientToWeb1.result == .allowed)
        let webToWeb = try #require(matrix.cell("c3", .podClass("c4")))
        #expect(webToWeb.result == .denied)
        #expect(webToWeb.decidingHop == "default/web-1")
        #expect(webToWeb.reason?.hasPrefix("cilium drops ingress to default/web-1 from default/web-0") == true)
        // Nothing listens on the clients: the datapath, not a policy, denies.
        #expect(matrix.cell("c3", .podClass("c1"))?.reason?.hasPrefix("Nothing listens on 10.244.1.3:8080") == true)
        #expect(matrix.cell("c1", .podClass("c1"))?.result == .loopback)
        let text = matrix.text()
        #expect(text.contains("\nc3 x  x  .  x\n"))
        let csv = matrix.csv()
        #expect(csv.contains("\ndefault/web-0,default/web-1,denied,default/web-0,default/web-1,default/web-1,cilium drops ingress"))
        let json = try JSONSerialization.jsonObject(with: matrix.jsonData()) as? [String: Any]
        #expect((json?["cells"] as? [Any])?.count == 16)
    }

    @Test func servicesAreColumnsToo() throws {
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-basic").path)
        let matrix = try ReachabilityMatrix.build(collector: collector, namespaces: ["default"], port: 80, protocol: .tcp,
                                                  context: DiagnosisContext(networkPlugin: .cilium))
        #expect(matrix.services == ["default/empty", "default/web"])
        #expect(matrix.cell("c1", .service("default/web"))?.result == .allowed)
        #expect(matrix.cell("c3", .service("default/web"))?.result == .denied)
        #expect(matrix.cell("c1", .service("default/empty"))?.result == .denied)
    }

    @Test func expectationsListTheCellsThatDiffer() throws {
        let expectations = try MatrixExpectations(text: """
        # nobody reaches default pods, but client reaches web-1, and web-0 reaches web-1
        - from: "*"
          to: default/*
          expect: deny
        - from: default/client
          to: default/web-1
          expect: allow
        - from: default/web-0
          to: default/web-1
          expect: allow   # wrong on purpose
        """, source: "expect.yaml")
        #expect(expectations.differences(Self.matrix) == [
            "default/client -> default/web-0: expected deny (expect.yaml:2), got allowed",
            "default/client2 -> default/web-0: expected deny (expect.yaml:2), got allowed",
            "default/client2 -> default/web-1: expected deny (expect.yaml:2), got allowed",
            "default/web-0 -> default/web-1: expected allow (expect.yaml:8), got denied at default/web-1: cilium drops ingress to default/web-1 from default/web-0 (TCP 8080): isolated by networkpolicy/default/allow-client-to-web and no rule allows it.",
        ])
        let json = try MatrixExpectations(text: #"[{"from":"default/web-0","to":"default/web-1","expect":"deny"}]"#, source: "e.json")
        #expect(json.differences(Self.matrix).isEmpty)
    }

    @Test func badExpectationsNameTheFileAndLine() {
        #expect(throws: InputError(source: "e.yaml", line: 2, expected: "KEY: VALUE", found: "oops")) {
            try MatrixExpectations(text: "- from: a/b\n  oops\n", source: "e.yaml")
        }
        #expect(throws: InputError(source: "e.yaml:1", expected: "expect: allow or deny", found: "maybe")) {
            try MatrixExpectations(text: "- from: a/b\n  to: c/d\n  expect: maybe\n", source: "e.yaml")
        }
    }
}

/// `skoop lab synth --policies`: tier labels and per-namespace policies the matrix honours.
@Suite struct SynthPolicyMatrixTests {
    @Test func synthPoliciesDecideTheMatrixAsWritten() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-synth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try SyntheticCluster.generate(SynthSpec(nodes: 4, pods: 24, services: 6, endpoints: 2, policies: true), into: directory)
        let collector = try CollectorManager(snapshot: directory)
        #expect(collector.cluster.networkPolicies.count == 6 * 3, "three policies in each of the six service namespaces")
        let matrix = try ReachabilityMatrix.build(collector: collector, namespaces: ["team-00", "team-01", "workloads"], port: 8080,
                                                  protocol: .tcp, context: DiagnosisContext(networkPlugin: .cilium))
        func result(_ fromTier: String, _ fromNamespace: String, _ toTier: String, _ toNamespace: String) -> MatrixCell.Result? {
            let sources = matrix.classes.filter { $0.labels["tier"] == fromTier && $0.namespace == fromNamespace }
            let targets = matrix.classes.filter { $0.labels["tier"] == toTier && $0.namespace == toNamespace }
            let results = Set(sources.flatMap { source in
                targets.compactMap { matrix.cell(source.id, .podClass($0.id)) }.map(\.result).filter { $0 != .loopback }
            })
            return results.count == 1 ? results.first : nil
        }
        // team-00's backends are web (service 0), team-01's api (service 1); workloads have no policy.
        #expect(result("batch", "workloads", "web", "team-00") == .allowed, "web admits every namespace")
        #expect(result("batch", "workloads", "api", "team-01") == .denied, "api admits web pods of its own namespace only")
        #expect(result("web", "team-00", "api", "team-01") == .denied)
        #expect(result("api", "team-01", "batch", "workloads") == .allowed)
    }
}
