import ArgumentParser
import Foundation
import SkoopModel
import SkoopNetstack
import SkoopCollector
import SkoopLab

/// kube-proxy's nftables mode: every rule of its nft.json decoded, against `jq -c .` reading it.
extension Bench {
    mutating func nftParsing() throws {
        var spec = sizes.parse
        spec.proxy = .nftables
        let path = work + "/nft-\(spec.services)s-\(spec.endpoints)e.json"
        if !FileManager.default.fileExists(atPath: path) {
            try SyntheticCluster.nftJSON(SynthLayout(spec: spec)).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var chains = 0, rules = 0
        // What `skoop inspect` and a diagnosis do: read the file, decode every item into the
        // engine's structures (rules, sets and their elements typed), with the same checks.
        // The ruleset is freed after the clock stops, as a process using it would.
        var decoded: NftRuleset?
        let skoop = BenchReport.median(try (0..<sizes.runs).map { _ in
            decoded = nil
            return try Bench.time {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                decoded = try NftJSONParser.parse(bytes, source: path)
            }
        })
        if let ruleset = decoded {
            chains = ruleset.tables.reduce(0) { $0 + $1.chains.count }
            rules = ruleset.tables.reduce(0) { $0 + $1.ruleCount }
        }
        decoded = nil
        log("nft.json decode (\(spec.services) services, \(BenchReport.bytes(size))): \(BenchReport.duration(skoop)), \(chains) chains, \(rules) rules")
        let name = "Decode every rule of kube-proxy's nft.json (nftables mode, `nft -j list ruleset`), \(spec.services.formatted()) services × \(spec.endpoints) (\(chains.formatted()) chains, \(rules.formatted()) rules, \(BenchReport.bytes(size))), read and checked as skoop inspect does (freeing it afterwards not timed)"
        let goal = "≥ 20× faster than jq -c . reading it"
        var failed = false
        let jqRuns = try (0..<max(3, sizes.runs / 2)).map { _ -> Double in
            let run = try ChildProcess.run(["jq", "-c", ".", path])
            if run.status != 0 { failed = true }
            return run.seconds
        }
        guard !failed else {
            notes.append("jq -c . failed on nft.json (is jq installed?): the nft decode row has no comparison.")
            rows.append(BenchRow(name: name, figures: "Skoop \(BenchReport.duration(skoop))", ratio: "—", goal: goal, passed: nil))
            return
        }
        let jq = BenchReport.median(jqRuns)
        let ratio = jq / skoop
        log("jq -c .: \(BenchReport.duration(jq)) (\(BenchReport.ratio(ratio)))")
        rows.append(BenchRow(name: name, figures: "Skoop \(BenchReport.duration(skoop)); jq -c . \(BenchReport.duration(jq))",
                             ratio: BenchReport.ratio(ratio), goal: goal, passed: ratio >= 20))
    }
}
