/// What a NetNode did: the links that brought packets in and the links it produced.
public struct Action: Hashable, Sendable {
    /// send, forward, service, serve or drop.
    public var kind: ActionKind
    /// The link whose packet this action handled; nil for the initiative (send).
    public var input: Int?
    /// The links it produced.
    public var outputs: [Int]

    /// Makes an action record.
    public init(kind: ActionKind, input: Int?, outputs: [Int]) {
        self.kind = kind
        self.input = input
        self.outputs = outputs
    }
}

/// A node of the diagnosis graph: a pod, a node, or something outside the cluster.
public struct NetNode: Hashable, Sendable, Identifiable {
    /// What kind of node.
    public var type: NetNodeType
    /// Its identifier (see `Hop.id`).
    public var id: String
    /// What it did, in order.
    public var actions: [Action]
    /// The problems found on it.
    public var suspicions: [Suspicion]

    /// Makes a node with no actions yet.
    public init(type: NetNodeType, id: String, actions: [Action] = [], suspicions: [Suspicion] = []) {
        self.type = type
        self.id = id
        self.actions = actions
        self.suspicions = suspicions
    }

    /// The hop that finds this node.
    public var hop: Hop { Hop(type: type, id: id) }

    /// The most serious level among the suspicions, if any.
    public var worstLevel: SuspicionLevel? { suspicions.map(\.level).max() }
}

/// What a NetNode does with traffic: implemented by every kind of NetNode (the seed's NetNodeAction).
public protocol NetNodeAction: Sendable {
    /// The hop that names this node.
    var hop: Hop { get }
    /// Starts a flow from this node: the initiative of the source endpoint.
    func send(to destination: Endpoint, protocol: TransportProtocol) -> NodeOutcome
    /// Handles a packet that arrived over `link`.
    func receive(_ link: Link) -> NodeOutcome
}

/// What one send or receive produced: new transmissions and any problems noticed.
public struct NodeOutcome: Sendable {
    /// The transmissions to follow, one per branch.
    public var transmissions: [Transmission]
    /// Problems found on the node while handling the packet.
    public var suspicions: [Suspicion]

    /// Makes an outcome.
    public init(transmissions: [Transmission] = [], suspicions: [Suspicion] = []) {
        self.transmissions = transmissions
        self.suspicions = suspicions
    }
}
