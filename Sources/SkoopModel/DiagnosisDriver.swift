/// What one step of a diagnosis did: which transmission it processed and what it added.
public struct DiagnosisStep: Hashable, Sendable {
    /// 1-based step number.
    public var number: Int
    /// The link whose packet was processed in this step (nil for the initial send).
    public var processedLink: Int?
    /// The node that acted.
    public var actor: Hop
    /// Ids of the links this step added.
    public var addedLinks: [Int]
    /// Hops of the nodes this step added to the graph.
    public var addedNodes: [Hop]

    /// Makes a step record.
    public init(number: Int, processedLink: Int?, actor: Hop, addedLinks: [Int], addedNodes: [Hop]) {
        self.number = number
        self.processedLink = processedLink
        self.actor = actor
        self.addedLinks = addedLinks
        self.addedNodes = addedNodes
    }
}

/// A diagnosis a front end can advance one transmission at a time (the Diagnostor implements it).
public protocol DiagnosisDriver {
    /// The graph so far.
    var path: PacketPath { get }
    /// The steps taken so far, in order.
    var steps: [DiagnosisStep] { get }
    /// The verdict, once no transmission is left; nil while running.
    var verdict: Verdict? { get }
    /// Processes the next queued transmission; nil when there is none left.
    mutating func step() -> DiagnosisStep?
}
