import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopLab

/// End-to-end diagnosis: both cluster sizes against their `cat` floors, and their growth.
extension Bench {
    mutating func diagnosis() throws {
        let specs = [sizes.diagnoseSmall, sizes.diagnoseLarge]
        // kube-proxy in nftables mode, at the first size of at least 1,000 nodes, beside the
        // same cluster in iptables mode.
        let compared = specs.firstIndex { $0.nodes >= 1_000 } ?? specs.count - 1
        var nftSpec = specs[compared]
        nftSpec.proxy = .nftables
        let prepared = try (specs + [nftSpec]).map { try prepareDiagnosis($0) }
        // Rounds interleave both sizes, nftables mode and their floors, so that a virtual
        // machine slowing down for a while slows every figure a ratio is made of, not one side of it.
        var runs = Array(repeating: [ChildProcess.Result](), count: prepared.count)
        var floors = Array(repeating: [Double](), count: prepared.count)
        for round in 0...sizes.runs {  // the first round warms the page cache and is discarded
            for (index, diagnosis) in prepared.enumerated() {
                let run = try ChildProcess.runReportingPeak(diagnosis.arguments)
                let floor = try ChildProcess.cat(diagnosis.opened)
                if round > 0 { (runs[index], floors[index]) = (runs[index] + [run], floors[index] + [floor]) }
            }
        }
        let seconds = zip(specs.indices, prepared).map { index, diagnosis in
            report(specs[index], diagnosis.opened, runs: runs[index], floor: BenchReport.median(floors[index]))
        }
        reportNftables(nftSpec, runs: runs[specs.count], floor: BenchReport.median(floors[specs.count]),
                       opened: prepared[specs.count].opened, iptables: seconds[compared])
        let growth = seconds[1] / seconds[0]
        rows.append(BenchRow(
            name: "Growth: diagnose at \(sizes.diagnoseLarge.nodes.formatted()) vs \(sizes.diagnoseSmall.nodes.formatted()) nodes",
            figures: "\(BenchReport.duration(seconds[1])) vs \(BenchReport.duration(seconds[0]))",
            ratio: BenchReport.ratio(growth), goal: "≤ 1.5×", passed: growth <= 1.5))
        try withoutPodIndex(specs, Array(prepared.prefix(specs.count)), floors: floors.prefix(specs.count).map(BenchReport.median))
    }

    /// The same diagnoses with the pod index set aside, pods.json skimmed instead (a snapshot
    /// taken by other tools, or edited since): reported beside the goals, not one of them.
    private mutating func withoutPodIndex(_ specs: [SynthSpec], _ prepared: [(arguments: [String], opened: [String], snapshot: String)],
                                          floors: [Double]) throws {
        let aside = prepared.map { (index: $0.snapshot + "/" + PodIndexWriter.path, moved: $0.snapshot + "/k8s/pods.index.bench-aside") }
        for path in aside {
            try? FileManager.default.removeItem(atPath: path.moved)  // left by an interrupted run
            try FileManager.default.moveItem(atPath: path.index, toPath: path.moved)
        }
        defer { for path in aside { try? FileManager.default.moveItem(atPath: path.moved, toPath: path.index) } }
        var runs = Array(repeating: [Double](), count: specs.count)
        for round in 0...sizes.runs {
            for (index, diagnosis) in prepared.enumerated() {
                let run = try ChildProcess.runReportingPeak(diagnosis.arguments)
                let note = "diagnose without the pod index at \(specs[index].nodes) nodes exited \(run.status)."
                if run.status != 0, !notes.contains(note) { notes.append(note) }
                if round > 0 { runs[index].append(run.seconds) }
            }
        }
        let seconds = runs.map(BenchReport.median)
        log("without the pod index: \(seconds.map(BenchReport.duration).joined(separator: ", "))")
        let figures = zip(specs, zip(seconds, floors)).map { spec, timing in
            "\(spec.nodes.formatted()) nodes \(BenchReport.duration(timing.0)) (\(BenchReport.ratio(timing.0 / timing.1)) its floor)"
        }
        notes.append("The same diagnoses without the pod index (k8s/pods.index set aside, pods.json skimmed, as for a snapshot "
                     + "taken by other tools or edited since): " + figures.joined(separator: "; ")
                     + "; growth \(BenchReport.ratio(seconds[1] / seconds[0])).")
    }

    /// The cluster of `spec` (generated when missing), the diagnose command and the files it opens.
    private mutating func prepareDiagnosis(_ spec: SynthSpec) throws -> (arguments: [String], opened: [String], snapshot: String) {
        let snapshot = try preparedCluster(spec)
        let arguments = [executable, "diagnose", "--snapshot", snapshot] + Bench.serviceQuery(spec)
        return (arguments, try openedFiles(arguments, under: snapshot), snapshot)
    }

    /// `-s POD -d svc/SERVICE -p PORT`: the client pod to the first service of `spec`'s cluster.
    static func serviceQuery(_ spec: SynthSpec) -> [String] {
        let layout = SynthLayout(spec: spec), client = layout.clientPod
        return ["-s", "\(layout.podNamespace(client))/\(layout.podName(client))",
                "-d", "svc/\(layout.serviceNamespace(0))/\(layout.serviceName(0))", "-p", "\(SynthLayout.servicePort)"]
    }

    /// The snapshot of `spec` in the work directory, generated when missing (reused when there,
    /// as `--work-dir` keeps it: the envelope takes minutes), with its pod index written afresh.
    /// It is generated beside its place and moved there when complete: an interrupted
    /// generation (snapshot.json is written first) must not pass for a cluster.
    mutating func preparedCluster(_ spec: SynthSpec) throws -> String {
        let snapshot = work + "/cluster-\(spec.nodes)n-\(spec.pods)p-\(spec.services)s" + (spec.proxy == .nftables ? "-nft" : "")
        if !FileManager.default.fileExists(atPath: snapshot + "/snapshot.json") {
            log("generating \(snapshot)…")
            let partial = snapshot + ".partial"
            try? FileManager.default.removeItem(atPath: snapshot)
            try? FileManager.default.removeItem(atPath: partial)
            let generation = try Bench.time {
                _ = try SyntheticCluster.generate(spec, into: partial)
                try FileManager.default.moveItem(atPath: partial, toPath: snapshot)
            }
            log("  generated in \(BenchReport.duration(generation))")
        }
        // Written afresh: a cluster generated by an older Skoop, or an index set aside by an
        // interrupted run, must not leave pods.json skimmed.
        let indexing = try Bench.time { try PodIndexWriter.write(snapshot: snapshot) }
        log("indexed the pods of \(snapshot) in \(BenchReport.duration(indexing))")
        return snapshot
    }

    /// The row of one size; its median time.
    private mutating func report(_ spec: SynthSpec, _ opened: [String], runs: [ChildProcess.Result], floor: Double) -> Double {
        let verdictOK = runs.allSatisfy { $0.status == 0 }
        let seconds = BenchReport.median(runs.map(\.seconds))
        let memory = runs.map(\.maxRSS).max() ?? 0
        let ratio = seconds / floor
        let bytes = opened.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        log("diagnose \(spec.nodes) nodes: \(BenchReport.duration(seconds)), floor \(BenchReport.duration(floor)), \(BenchReport.bytes(memory)) peak")
        let isEnvelope = spec.nodes >= 5_000
        let memoryGoal = isEnvelope ? memory <= 2 << 30 : true
        rows.append(BenchRow(
            name: "Diagnose pod → ClusterIP (\(spec.endpoints) backends on \(spec.endpoints) nodes), \(spec.nodes.formatted()) nodes / \(spec.pods.formatted()) pods / \(spec.services.formatted()) services",
            figures: "\(BenchReport.duration(seconds)), peak RSS \(BenchReport.bytes(memory)); cat of the \(opened.count) files it opened (\(BenchReport.bytes(bytes))) \(BenchReport.duration(floor))",
            ratio: BenchReport.ratio(ratio),
            goal: "≤ 5× the cat floor\(isEnvelope ? ", ≤ 2 GiB" : ""), verdict reachable",
            passed: ratio <= 5 && memoryGoal && verdictOK))
        if !verdictOK { notes.append("diagnose at \(spec.nodes) nodes did not conclude reachable (exit \(runs.first?.status ?? -1)).") }
        return seconds
    }

    /// The row of the diagnosis in nftables mode, against the iptables mode's median at the same size.
    private mutating func reportNftables(_ spec: SynthSpec, runs: [ChildProcess.Result], floor: Double, opened: [String],
                                         iptables: Double) {
        let verdictOK = runs.allSatisfy { $0.status == 0 }
        let seconds = BenchReport.median(runs.map(\.seconds))
        let memory = runs.map(\.maxRSS).max() ?? 0
        let ratio = seconds / iptables
        log("diagnose \(spec.nodes) nodes, nftables mode: \(BenchReport.duration(seconds)) (iptables mode \(BenchReport.duration(iptables))), floor \(BenchReport.duration(floor))")
        rows.append(BenchRow(
            name: "Diagnose pod → ClusterIP with kube-proxy in nftables mode (nft.json of \(spec.services.formatted()) services × \(spec.endpoints) on every node), \(spec.nodes.formatted()) nodes, vs the same cluster in iptables mode",
            figures: "\(BenchReport.duration(seconds)), peak RSS \(BenchReport.bytes(memory)); iptables mode \(BenchReport.duration(iptables)); cat of the \(opened.count) files it opened \(BenchReport.duration(floor))",
            ratio: BenchReport.ratio(ratio), goal: "≤ 1× the iptables mode's figure, verdict reachable",
            passed: ratio <= 1 && verdictOK))
        if !verdictOK { notes.append("diagnose in nftables mode at \(spec.nodes) nodes did not conclude reachable (exit \(runs.first?.status ?? -1)).") }
    }

    /// The snapshot files `arguments` opens, in order (with repeats), as strace sees them.
    private mutating func openedFiles(_ arguments: [String], under root: String) throws -> [String] {
        let trace = work + "/strace.txt"
        let run = try ChildProcess.run(["strace", "-f", "-qq", "-e", "trace=openat", "-e", "status=successful", "-o", trace] + arguments)
        defer { try? FileManager.default.removeItem(atPath: trace) }
        guard run.status == 0 || run.status == 1, let text = try? String(contentsOfFile: trace, encoding: .utf8) else {
            throw ValidationError("strace is needed to list the files diagnose opens (exit \(run.status))")
        }
        return text.split(separator: "\n").compactMap { line -> String? in
            guard !line.contains("O_DIRECTORY"), let open = line.range(of: "\""),
                  let close = line[open.upperBound...].range(of: "\"") else { return nil }
            let path = String(line[open.upperBound..<close.lowerBound])
            guard path.hasPrefix(root + "/") else { return nil }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue ? path : nil
        }
    }
}
