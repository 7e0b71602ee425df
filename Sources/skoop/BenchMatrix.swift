import Foundation
import SkoopModel
import SkoopCollector
import SkoopLab
import SkoopDiagnosis

/// The reachability matrix of a synthetic cluster with namespaces, tier labels and policies.
extension Bench {
    mutating func matrix() throws {
        let spec = sizes.matrix
        let snapshot = work + "/matrix-\(spec.nodes)n-\(spec.pods)p-\(spec.services)s"
        if !FileManager.default.fileExists(atPath: snapshot + "/snapshot.json") {
            log("generating \(snapshot)…")
            try? FileManager.default.removeItem(atPath: snapshot)
            _ = try SyntheticCluster.generate(spec, into: snapshot)
        }
        var loads: [Double] = [], builds: [Double] = []
        var last: ReachabilityMatrix?
        for _ in 0..<sizes.matrixRuns {
            var collector: CollectorManager?
            // Loading: the snapshot opened and the Kubernetes objects the matrix classifies decoded.
            loads.append(try Bench.time {
                let opened = try CollectorManager(snapshot: snapshot)
                _ = try opened.cluster.pods.all()
                collector = opened
            })
            guard let collector else { return }
            builds.append(try Bench.time {
                // The synthetic datapath is flannel's, which enforces no policy; evaluating the
                // policies as objects on the path (as for Cilium or Antrea) lets them decide cells.
                last = try ReachabilityMatrix.build(collector: collector, port: UInt16(SynthLayout.targetPort), protocol: .tcp,
                                                    context: DiagnosisContext(networkPlugin: .cilium))
            })
        }
        guard let matrix = last else { return }
        let load = BenchReport.median(loads), build = BenchReport.median(builds)
        let answered = matrix.answeredPairs
        let rate = Double(answered) / build
        let cells = matrix.cells.count
        let loopback = matrix.cells.filter { $0.result == .loopback }.count
        let unknown = matrix.cells.filter { $0.result == .unknown }.count
        log("matrix \(spec.nodes) nodes: load \(BenchReport.duration(load)), matrix \(BenchReport.duration(build)), \(matrix.classes.count) classes, \(matrix.diagnosed) diagnosed, \(answered) pairs answered")
        let denied = matrix.cells.filter { $0.result == .denied }.count
        notes.append("Matrix row: policies enforced as objects on the path (`--network-plugin cilium`) over the synthetic flannel datapath; \(denied) of \(cells) cells denied.")
        if unknown > 0 { notes.append("matrix: \(unknown) of \(cells) cells were unknown (the synthetic cluster should decide them all).") }
        rows.append(BenchRow(
            name: "Reachability matrix (`skoop matrix -p \(SynthLayout.targetPort)`) after loading (class and node-equivalence computation included), \(spec.nodes.formatted()) nodes / \(spec.pods.formatted()) pods / \(spec.services.formatted()) services, tier labels and NetworkPolicies in \(SynthLayout.namespaceCount) namespaces (`lab synth --policies`), policies enforced on the path (`--network-plugin cilium`)",
            figures: "\(BenchReport.duration(build)) for \(answered.formatted()) pod pairs\(matrix.services.isEmpty ? " (pod → pod: no Service serves the port)" : ""): \(matrix.diagnosed.formatted()) simulated, \((answered - matrix.diagnosed).formatted()) answered by class; \(matrix.classes.count.formatted()) classes, \(cells.formatted()) cells (\(matrix.diagnosed.formatted()) simulated, \(matrix.reused.formatted()) from a cell alike, \(loopback) loopback, \(denied.formatted()) denied by policy); load \(BenchReport.duration(load))",
            ratio: String(format: "%.0f pairs/s", rate), goal: "≥ 2,000 pairs/s", passed: rate >= 2_000 && unknown == 0 && denied > 0))
    }
}
