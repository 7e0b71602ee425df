import SkoopModel
import SkoopTUI

/// Replays a finished diagnosis one step at a time: for previews, tests and screenshots without an engine.
public struct DemoDriver: DiagnosisDriver {
    private let fullPath: PacketPath
    private let allSteps: [DiagnosisStep]
    private let finalVerdict: Verdict
    private var revealed = 0

    /// Replays `path`, revealing the links and nodes each step added, ending with `verdict`.
    public init(path: PacketPath, steps: [DiagnosisStep], verdict: Verdict) {
        fullPath = path
        allSteps = steps
        finalVerdict = verdict
    }

    /// Replays the built-in demo: pod → node → node → pod through a service with two backends,
    /// one of them dropped by a FORWARD rule.
    public init() {
        let demo = DemoPath.make()
        self.init(path: demo.path, steps: demo.steps, verdict: .partial)
    }

    /// The graph revealed so far.
    public var path: PacketPath {
        let shownLinks = Set(steps.flatMap(\.addedLinks))
        var shownNodes = Set(steps.flatMap(\.addedNodes))
        if let first = steps.first { shownNodes.insert(first.actor) }
        return PacketPath(nodes: fullPath.nodes.filter { shownNodes.contains($0.hop) },
                          links: fullPath.links.filter { shownLinks.contains($0.id) },
                          clusterSuspicions: revealed > 0 ? fullPath.clusterSuspicions : [])
    }

    /// The steps revealed so far.
    public var steps: [DiagnosisStep] { Array(allSteps.prefix(revealed)) }

    /// The verdict once every step is revealed.
    public var verdict: Verdict? { revealed == allSteps.count ? finalVerdict : nil }

    /// Reveals the next step.
    public mutating func step() -> DiagnosisStep? {
        guard revealed < allSteps.count else { return nil }
        revealed += 1
        return allSteps[revealed - 1]
    }

    /// The demo's query.
    public static let query = TUIQuery(src: "default/client", dst: "svc/default/web", port: 80, proto: .tcp)

    /// Queries the demo's start screen offers.
    public static let suggestions = [
        SuggestedQuery(title: "service with one broken backend (partial)", query: query),
        SuggestedQuery(title: "pod to pod on another node", query: TUIQuery(src: "default/client", dst: "default/web-0", port: 8080)),
    ]

    /// Names `:diag` completes.
    public static let completionNames = ["default/client", "default/web-0", "default/web-1", "svc/default/web",
                                         "node/node-a", "node/node-b"]

    /// The demo's full rulesets, per hop.
    public static func ruleset(for hop: Hop) -> [RulesetChainView] {
        DemoPath.ruleset(for: hop)
    }
}
