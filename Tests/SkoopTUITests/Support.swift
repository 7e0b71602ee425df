import SkoopModel
import SkoopTUI

/// A driver over a prebuilt path: reveals one step per call, like the engine would.
struct FakeDriver: DiagnosisDriver {
    let fullPath: PacketPath
    let allSteps: [DiagnosisStep]
    var revealed = 0

    var path: PacketPath {
        let shown = Set(steps.flatMap(\.addedLinks))
        return PacketPath(nodes: fullPath.nodes, links: fullPath.links.filter { shown.contains($0.id) })
    }
    var steps: [DiagnosisStep] { Array(allSteps.prefix(revealed)) }
    var verdict: Verdict? { revealed == allSteps.count ? .reachable : nil }

    mutating func step() -> DiagnosisStep? {
        guard revealed < allSteps.count else { return nil }
        revealed += 1
        return allSteps[revealed - 1]
    }

    /// A chain of `count` links from a pod through nodes named `prefix<i>`, one link per step.
    static func chain(count: Int, fanOut: Int = 1, name: (Int) -> String = { "node-\($0)" }) -> FakeDriver {
        let source = Hop(type: .pod, id: "default/src")
        let packet = Packet(src: IPAddress("10.0.0.1")!, sport: 1234, dst: IPAddress("10.0.0.2")!, dport: 80, proto: .tcp)
        var links: [Link] = []
        var steps: [DiagnosisStep] = []
        var nodes = [NetNode(type: .pod, id: source.id)]
        for index in 0..<count {
            let parent = index == 0 ? nil : (index - 1) / fanOut
            let from = parent.map { Hop(type: .node, id: name($0)) } ?? source
            let to = Hop(type: .node, id: name(index))
            var link = Link(type: .veth, source: from, destination: to, action: .forward, packet: packet)
            link.id = index
            link.parent = parent
            links.append(link)
            nodes.append(NetNode(type: .node, id: to.id, suspicions: [Suspicion(level: .warning, message: "w\(index)")]))
            steps.append(DiagnosisStep(number: index + 1, processedLink: parent, actor: from, addedLinks: [index], addedNodes: [to]))
        }
        return FakeDriver(fullPath: PacketPath(nodes: nodes, links: links), allSteps: steps)
    }
}

/// The demo diagnosis begun in a state of `size`, with the demo's ruleset.
func demoState(size: Size = Size(columns: 80, rows: 24), glyphs: GlyphSet = .unicode) -> TUIState {
    var state = TUIState(title: "demo", suggestions: DemoDriver.suggestions, completionNames: DemoDriver.completionNames,
                         rulesetProvider: DemoDriver.ruleset(for:), glyphs: glyphs)
    state.resize(to: size)
    state.begin(query: DemoDriver.query, driver: DemoDriver())
    return state
}

extension TUIState {
    /// Presses keys in order, collecting effects.
    @discardableResult
    mutating func press(_ keys: Key...) -> [Effect] {
        keys.flatMap { handle($0) }
    }

    /// Types characters one key each.
    @discardableResult
    mutating func type(_ text: String) -> [Effect] {
        text.flatMap { handle(.char($0)) }
    }

    /// The rendered screen at the state's size, as lines.
    var screenLines: [String] { render(size: size).lines }

    /// Selects the first tree row whose text contains `text`.
    mutating func selectRow(containing text: String) -> Bool {
        for _ in 0..<(treeText.count + 2) { _ = handle(.char("k")) }
        for _ in 0..<(treeText.count + 2) {
            if treeText[selectedTreeIndex].contains(text) { return true }
            _ = handle(.char("j"))
        }
        return false
    }
}

/// The column where `needle` starts in a line of single-width characters.
func column(of needle: String, in line: String) -> Int? {
    let characters = Array(line)
    let pattern = Array(needle)
    guard characters.count >= pattern.count else { return nil }
    return (0...(characters.count - pattern.count)).first { Array(characters[$0..<($0 + pattern.count)]) == pattern }
}
