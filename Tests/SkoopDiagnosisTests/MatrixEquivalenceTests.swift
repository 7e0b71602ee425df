import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopLab
import SkoopDiagnosis

/// The matrix answers cells alike (equivalent nodes and pods) from one simulation: it must give
/// exactly what diagnosing every pod pair on its own gives, and tell a node that differs apart.
@Suite struct MatrixEquivalenceTests {
    static let spec = SynthSpec(nodes: 4, pods: 16, services: 4, endpoints: 2, policies: true)

    /// A synthetic cluster, then `edit` applied to its files.
    static func cluster(_ edit: (String) throws -> Void) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-matrix-eq-\(UUID().uuidString)").path
        _ = try SyntheticCluster.generate(spec, into: directory)
        try edit(directory)
        return directory
    }

    /// Rewrites one node's host file (shared files are hard links: the link is replaced, not written through).
    static func rewrite(_ directory: String, node: String, file: String, _ change: (String) -> String) throws {
        let path = "\(directory)/nodes/\(node)/netns/host/\(file)"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try FileManager.default.removeItem(atPath: path)
        try change(text).write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// Every pod pair's result from the matrix next to its own full diagnosis.
    static func compareWithEveryPair(_ directory: String, port: UInt16,
                                     context: DiagnosisContext = DiagnosisContext()) throws -> (ReachabilityMatrix, [String]) {
        let collector = try CollectorManager(snapshot: directory)
        let matrix = try ReachabilityMatrix.build(collector: collector, port: port, protocol: .tcp, context: context)
        var differences: [String] = []
        for (source, destination, cell) in matrix.podCells {
            var session = try DiagnosisSession(query: DiagnosisQuery(src: source, dst: destination, dport: port, proto: .tcp),
                                               collector: try CollectorManager(snapshot: directory), context: context)
            session.diagnostor.run()
            let alone: MatrixCell.Result = switch session.report.verdict {
            case .reachable?: .allowed
            case .unreachable?: .denied
            case .partial?: .partial
            case .unknown?, nil: .unknown
            }
            if alone != cell.result { differences.append("\(source) -> \(destination): matrix \(cell.result), alone \(alone)") }
        }
        return (matrix, differences)
    }

    @Test func cellsAnsweredByEquivalentNodesMatchEveryPairDiagnosedAloneOnHeterogeneousNodes() throws {
        let layout = SynthLayout(spec: Self.spec)
        // node 3 lost its route to node 0's pods; node 2 filters reverse paths strictly.
        let directory = try Self.cluster { directory in
            try Self.rewrite(directory, node: layout.nodeName(3), file: "ip-route.json") { text in
                text.replacingOccurrences(of: "{\"dst\":\"\(layout.podCIDR(0))\",\"gateway\":\"10.64.0.0\",\"dev\":\"flannel.1\",\"flags\":[\"onlink\"]},", with: "")
            }
            try Self.rewrite(directory, node: layout.nodeName(2), file: "sysctl.txt") { text in
                text.replacingOccurrences(of: "net.ipv4.conf.all.rp_filter = 0", with: "net.ipv4.conf.all.rp_filter = 1")
            }
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (matrix, differences) = try Self.compareWithEveryPair(directory, port: UInt16(SynthLayout.targetPort))
        #expect(differences == [])
        #expect(matrix.reused > 0)
        #expect(matrix.diagnosed + matrix.reused + matrix.cells.filter { $0.result == .loopback }.count == matrix.cells.count)
        // The lost route shows: node 3's pods cannot reach node 0's, and those cells were simulated.
        let fromNode3 = matrix.classes.filter { $0.node == layout.nodeName(3) }.map(\.id)
        let toNode0 = matrix.classes.filter { $0.node == layout.nodeName(0) }.map(\.id)
        let lost = matrix.cells.filter { fromNode3.contains($0.source) && toNode0.contains($0.destination.description) }
        #expect(!lost.isEmpty && lost.allSatisfy { $0.result != .allowed && !$0.reused })
        #expect(matrix.cells.contains { $0.result == .allowed && $0.reused })
    }

    @Test func withPoliciesEnforcedOnThePathCellsAlikeStillMatchEveryPair() throws {
        let directory = try Self.cluster { _ in }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (matrix, differences) = try Self.compareWithEveryPair(directory, port: UInt16(SynthLayout.targetPort),
                                                                  context: DiagnosisContext(networkPlugin: .cilium))
        #expect(differences == [])
        #expect(matrix.cells.contains { $0.result == .denied && $0.reused })
        #expect(matrix.cells.contains { $0.result == .allowed && $0.reused })
    }

    @Test func oneNodeWithAnExtraDropRuleIsToldApart() throws {
        let layout = SynthLayout(spec: Self.spec)
        let directory = try Self.cluster { directory in
            try Self.rewrite(directory, node: layout.nodeName(1), file: "iptables.txt") { text in
                guard let first = text.range(of: "[0:0] -A FORWARD ") else { return text }
                return text.replacingCharacters(in: first.lowerBound..<first.lowerBound,
                                                with: "[0:0] -A FORWARD -p tcp -m tcp --dport \(SynthLayout.targetPort) -j DROP\n")
            }
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (matrix, differences) = try Self.compareWithEveryPair(directory, port: UInt16(SynthLayout.targetPort))
        #expect(differences == [])
        let node1 = Set(matrix.classes.filter { $0.node == layout.nodeName(1) }.map(\.id))
        let others = Set(matrix.classes.filter { $0.node != layout.nodeName(1) }.map(\.id))
        // Into node 1's pods from other nodes: dropped in node 1's FORWARD chain.
        let intoNode1 = matrix.cells.filter { others.contains($0.source) && node1.contains($0.destination.description) }
        #expect(!intoNode1.isEmpty && intoNode1.allSatisfy { $0.result == .denied && $0.decidingHop == layout.nodeName(1) })
        // Between the other nodes nothing changed.
        let between = matrix.cells.filter { others.contains($0.source) && others.contains($0.destination.description) && $0.result != .loopback }
        #expect(!between.isEmpty && between.allSatisfy { $0.result == .allowed })
    }
}
