import DequeModule
import SkoopModel

/// What the user asked: can SRC reach DST on this port and protocol?
public struct DiagnosisQuery: Hashable, Sendable, CustomStringConvertible {
    /// Source: an address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME.
    public var src: String
    /// Destination, in the same forms.
    public var dst: String
    /// Destination port (0 for ICMP).
    public var dport: UInt16
    /// Transport protocol.
    public var proto: TransportProtocol
    /// The node where traffic from outside the cluster enters it (--via-node).
    public var viaNode: String?
    /// The source address on a source node (--src-ip), e.g. 127.0.0.1 or a LoadBalancer IP.
    public var sourceIP: IPAddress?
    /// Which address of a named pod, service or node (--ip-family); nil: the destination's primary one.
    public var ipFamily: AddressFamily?

    /// Makes a query.
    public init(src: String, dst: String, dport: UInt16, proto: TransportProtocol = .tcp,
                viaNode: String? = nil, sourceIP: IPAddress? = nil, ipFamily: AddressFamily? = nil) {
        self.src = src
        self.dst = dst
        self.dport = dport
        self.proto = proto
        self.viaNode = viaNode
        self.sourceIP = sourceIP
        self.ipFamily = ipFamily
    }

    public var description: String {
        var text = proto == .icmp ? "\(src) -> \(dst) icmp" : "\(src) -> \(dst):\(dport)/\(proto.rawValue)"
        if let sourceIP { text += " from \(sourceIP)" }
        if let viaNode { text += " via node/\(viaNode)" }
        return text
    }
}

/// Creates and caches the NetNodeAction of every hop (the seed's NetNodeManager).
public protocol NetNodeManager: Sendable {
    /// The action of `hop`; throws (with a message for the user) when the hop can't be simulated.
    func action(for hop: Hop) throws -> any NetNodeAction
}

/// Bounds that keep a diagnosis finite whatever the data says.
public struct DiagnosisLimits: Hashable, Sendable {
    /// The deepest a branch may go before it is cut (a loop the packet comparison missed).
    public var hopLimit: Int
    /// The most links a diagnosis may create.
    public var linkLimit: Int

    /// Makes limits.
    public init(hopLimit: Int = 64, linkLimit: Int = 20_000) {
        self.hopLimit = hopLimit
        self.linkLimit = linkLimit
    }
}

/// The diagnosis algorithm: `send` on the source, then one `receive` per step on the next queued
/// transmission, until none is left. Steppable so a front end can watch the graph grow.
public struct Diagnostor: DiagnosisDriver, Sendable {
    public private(set) var path = PacketPath()
    public private(set) var steps: [DiagnosisStep] = []
    public private(set) var verdict: Verdict?

    private let source: Hop
    private let destination: Endpoint
    private let proto: TransportProtocol
    private let manager: any NetNodeManager
    private let limits: DiagnosisLimits
    private var started = false
    private var queue: Deque<Int> = []
    private var nodeIndex: [Hop: Int] = [:]

    /// Prepares a diagnosis from `source` to `destination`; nothing runs until `step()`.
    public init(source: Hop, destination: Endpoint, protocol proto: TransportProtocol,
                manager: any NetNodeManager, limits: DiagnosisLimits = DiagnosisLimits(),
                clusterSuspicions: [Suspicion] = []) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.manager = manager
        self.limits = limits
        self.path.clusterSuspicions = clusterSuspicions
    }

    /// True when no transmission is left to process.
    public var isFinished: Bool { verdict != nil }

    /// Runs every remaining step and returns the verdict.
    @discardableResult
    public mutating func run() -> Verdict {
        while step() != nil {}
        return verdict ?? .unknown
    }

    public mutating func step() -> DiagnosisStep? {
        if verdict != nil { return nil }
        let record: DiagnosisStep
        if !started {
            started = true
            record = sendFromSource()
        } else if let linkID = queue.popFirst() {
            record = receive(over: linkID)
        } else {
            verdict = Diagnostor.conclude(path)
            return nil
        }
        steps.append(record)
        if queue.isEmpty { verdict = Diagnostor.conclude(path) }
        return record
    }

    private mutating func sendFromSource() -> DiagnosisStep {
        let number = steps.count + 1
        let before = path.links.count
        var addedNodes = ensureNode(source) ? [source] : []
        let outcome: NodeOutcome
        do {
            outcome = try manager.action(for: source).send(to: destination, protocol: proto)
        } catch {
            outcome = Diagnostor.unavailable(source, error: error, packet: nil, destination: destination, proto: proto)
        }
        addedNodes += record(outcome, actor: source, parent: nil)
        return DiagnosisStep(number: number, processedLink: nil, actor: source,
                             addedLinks: Array(before..<path.links.count), addedNodes: addedNodes)
    }

    private mutating func receive(over linkID: Int) -> DiagnosisStep {
        let number = steps.count + 1
        let before = path.links.count
        let link = path.links[linkID]
        // Only links with a destination are queued.
        let hop = link.destination ?? link.source
        var addedNodes = ensureNode(hop) ? [hop] : []
        let outcome: NodeOutcome
        if let loop = loopStart(for: link) {
            outcome = NodeOutcome(
                transmissions: [Diagnostor.dropLink(at: hop, packet: link.packet, direction: link.direction)],
                suspicions: [Suspicion(
                    level: .fatal,
                    message: "Routing loop: the packet reaches \(hop.id) again unchanged (first seen at link \(loop)).",
                    evidence: link.packet.description,
                    hint: "Check the routes on the nodes of this loop; each sends the packet back to the other.")])
        } else if link.level + 1 >= limits.hopLimit {
            outcome = NodeOutcome(
                transmissions: [Diagnostor.dropLink(at: hop, packet: link.packet, direction: link.direction, uncertain: true)],
                suspicions: [Suspicion(level: .critical, message: "The path exceeds \(limits.hopLimit) hops; the branch was cut here.")])
        } else if path.links.count >= limits.linkLimit {
            outcome = NodeOutcome(
                transmissions: [Diagnostor.dropLink(at: hop, packet: link.packet, direction: link.direction, uncertain: true)],
                suspicions: [Suspicion(level: .warning, message: "The diagnosis reached its limit of \(limits.linkLimit) links; this branch was not followed.")])
        } else {
            do {
                outcome = try manager.action(for: hop).receive(link)
            } catch {
                outcome = Diagnostor.unavailable(hop, error: error, packet: link.packet, destination: destination, proto: proto,
                                                 direction: link.direction)
            }
        }
        addedNodes += record(outcome, actor: hop, parent: link)
        return DiagnosisStep(number: number, processedLink: linkID, actor: hop,
                             addedLinks: Array(before..<path.links.count), addedNodes: addedNodes)
    }

    /// Adds the outcome's links and suspicions; returns the nodes it added.
    private mutating func record(_ outcome: NodeOutcome, actor: Hop, parent: Link?) -> [Hop] {
        var added: [Hop] = []
        if let index = nodeIndex[actor] {
            for suspicion in outcome.suspicions where !path.nodes[index].suspicions.contains(suspicion) {
                path.nodes[index].suspicions.append(suspicion)
            }
        }
        var outputs: [Int] = []
        for transmission in outcome.transmissions {
            var link = transmission.link
            link.id = path.links.count
            link.source = actor
            link.parent = parent?.id
            link.level = (parent?.level ?? -1) + 1
            link.probability *= parent?.probability ?? 1
            link.translations = (parent?.translations ?? []) + link.translations
            // The actor's conntrack saw the request when it received or sent it.
            link.requestHops = parent?.requestHops ?? []
            if parent == nil || parent?.direction == .request, !link.requestHops.contains(actor) {
                link.requestHops.append(actor)
            }
            if parent?.isUncertain == true { link.isUncertain = true }
            if let next = transmission.nextHop {
                link.destination = next
                if ensureNode(next) { added.append(next) }
                queue.append(link.id)
            } else {
                link.destination = nil
            }
            path.links.append(link)
            outputs.append(link.id)
        }
        if let index = nodeIndex[actor] {
            let kinds = outcome.transmissions.map(\.link.action)
            let kind: ActionKind = parent == nil ? .send
                : kinds.contains(.service) ? .service
                : kinds.contains(.serve) ? .serve
                : kinds.allSatisfy({ $0 == .drop }) ? .drop : .forward
            path.nodes[index].actions.append(Action(kind: kind, input: parent?.id, outputs: outputs))
        }
        return added
    }

    /// Adds a node for `hop` if it is new; returns whether it was.
    private mutating func ensureNode(_ hop: Hop) -> Bool {
        if nodeIndex[hop] != nil { return false }
        nodeIndex[hop] = path.nodes.count
        path.nodes.append(NetNode(type: hop.type, id: hop.id))
        return true
    }

    /// The id of an earlier link on this branch that brought the same packet to the same hop.
    private func loopStart(for link: Link) -> Int? {
        var ancestor = link.parent
        while let id = ancestor {
            let earlier = path.links[id]
            if earlier.destination == link.destination && earlier.packet == link.packet
                && earlier.direction == link.direction {
                return earlier.id
            }
            ancestor = earlier.parent
        }
        return nil
    }

    static func dropLink(at hop: Hop, packet: Packet, direction: FlowDirection, uncertain: Bool = false) -> Transmission {
        Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop, packet: packet,
                                direction: direction, isUncertain: uncertain))
    }

    /// A hop that could not be simulated ends its branch as unknown, with the reason on the node.
    static func unavailable(_ hop: Hop, error: any Error, packet: Packet?, destination: Endpoint,
                            proto: TransportProtocol, direction: FlowDirection = .request) -> NodeOutcome {
        let placeholder = packet ?? Packet(src: destination.ip, dst: destination.ip, dport: destination.port, proto: proto)
        return NodeOutcome(
            transmissions: [dropLink(at: hop, packet: placeholder, direction: direction, uncertain: true)],
            suspicions: [Suspicion(level: .warning, message: "No simulation for \(hop.id): \(error)",
                                   hint: "Collect this node's network stack (skoop collect) and add it to the snapshot.")])
    }

    /// The verdict from the ends of the branches.
    /// A branch succeeds when its reply is delivered back to the source (a `serve` leaf in the
    /// reply direction); a request-direction `serve` leaf counts too (flows with no reply to model).
    /// An uncertain leaf could end either way: a verdict is given only when no uncertain leaf
    /// could change it (proven served and proven failed branches make `partial` whatever the rest).
    public static func conclude(_ path: PacketPath) -> Verdict {
        let leaves = path.links.filter { link in link.isTerminal }
        if leaves.isEmpty { return .unknown }
        var served = 0, failed = 0, uncertain = 0
        for leaf in leaves {
            if leaf.isUncertain {
                uncertain += 1
            } else if leaf.action == .serve {
                served += 1
            } else {
                failed += 1
            }
        }
        if served > 0 && failed > 0 { return .partial }
        if uncertain > 0 { return .unknown }
        return served > 0 ? .reachable : .unreachable
    }
}
