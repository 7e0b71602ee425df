/// Something a verdict rests on that no collected state proves: an external host's listener,
/// a gateway that was not collected. A verdict keeps its value with assumptions, but lists them.
public struct Assumption: Hashable, Sendable, Codable {
    /// The node the assumption is about (nil for the cluster or the flow as a whole).
    public var node: Hop?
    /// What is assumed, and what would settle it.
    public var text: String

    /// Makes an assumption.
    public init(node: Hop?, text: String) {
        self.node = node
        self.text = text
    }
}
