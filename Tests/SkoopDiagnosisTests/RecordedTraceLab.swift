import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// A lab recorded by `lab verify --snapshots DIR`: its snapshot (TRACE rules included, as verify
/// takes it) and, for each traced flow, the monitor's output on each node and the probe's
/// backend and tuples (file names as `LabVerifier.keepTrace` writes them).
struct RecordedTraceLab {
    /// The fixture folder.
    let lab: String
    /// The topology the lab was built from.
    let topology: LabTopology

    func flow(_ name: String) throws -> LabVerifyFlow {
        try #require(LabVerifyFlow.standard(for: topology).first { $0.name == name })
    }

    func report(_ flow: LabVerifyFlow) throws -> DiagnosisReport {
        let collector = try CollectorManager(snapshot: Fixtures.url(lab).path)
        var session = try DiagnosisSession(query: flow.query, collector: collector)
        session.diagnostor.run()
        return session.report
    }

    /// The recorded traced probe of `flow`, each node's monitor text (edited by `edit`) read by `read`.
    func tracedProbe(_ flow: LabVerifyFlow, edit: (String, String) -> String = { text, _ in text },
                     read: (String, String) throws -> [XtablesTraceLine]) throws -> ProbeResult {
        let slug = flow.name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        let record = try #require(try JSONSerialization.jsonObject(with: Fixtures.data("\(lab)/ground-truth/trace-\(slug).json")) as? [String: Any])
        let tuples = (record["tuples"] as? [[String: Any]] ?? []).compactMap { tuple -> LabTuple? in
            guard let src = tuple["src"] as? String, let dst = tuple["dst"] as? String else { return nil }
            return LabTuple(src: src, dst: dst, sport: tuple["sport"] as? Int ?? 0, dport: tuple["dport"] as? Int ?? 0)
        }
        var trace: [String: [XtablesTraceLine]] = [:]
        for node in ["node1", "node2"] {
            trace[node] = try read(edit(try Fixtures.text("\(lab)/ground-truth/trace-\(slug)-\(node).txt"), node), node)
        }
        return ProbeResult(flow: flow.probe, succeeded: record["succeeded"] as? Bool ?? false, backendPod: nil,
                           backendIP: record["backend"] as? String, routes: [], trace: trace, detail: "", tuples: tuples)
    }

    /// `nft -a monitor trace` text read against the node's collected nft.json, iptables.txt and
    /// ip6tables.txt (empty when the lab had no IPv6).
    func nftMonitorLines(_ text: String, node: String) throws -> [XtablesTraceLine] {
        let host = "\(lab)/nodes/\(node)/netns/host"
        let ruleset = try NftJSONParser.parse(Array(try Fixtures.data("\(host)/nft.json")), source: "nft.json")
        return NftMonitorTraceParser.parse(text, ruleset: ruleset, saved: IptablesSaveRules(try Fixtures.text("\(host)/iptables.txt")),
                                           saved6: IptablesSaveRules((try? Fixtures.text("\(host)/ip6tables.txt")) ?? ""))
    }
}
