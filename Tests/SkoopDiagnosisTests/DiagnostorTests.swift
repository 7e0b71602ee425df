import Testing
import SkoopModel
@testable import SkoopDiagnosis

/// A scripted network: each hop forwards to fixed next hops, serves, or drops.
private struct ScriptedNode: NetNodeAction {
    enum Behaviour: Sendable { case forward([String]), serveAndReply(String), deliver, drop, loopTo(String) }
    let hop: Hop
    let behaviour: Behaviour

    func send(to destination: Endpoint, protocol: TransportProtocol) -> NodeOutcome {
        let packet = Packet(src: IPAddress("10.0.0.1")!, sport: 40000, dst: destination.ip, dport: destination.port, proto: `protocol`)
        return handle(packet, direction: .request)
    }

    func receive(_ link: Link) -> NodeOutcome { handle(link.packet, direction: link.direction) }

    private func handle(_ packet: Packet, direction: FlowDirection) -> NodeOutcome {
        switch behaviour {
        case .forward(let next):
            let probability = 1.0 / Double(next.count)
            return NodeOutcome(transmissions: next.map {
                Transmission(link: Link(type: .veth, source: hop, destination: Hop(type: .node, id: $0),
                                        action: next.count > 1 ? .service : .forward, packet: packet,
                                        probability: probability, direction: direction))
            })
        case .loopTo(let next):
            return NodeOutcome(transmissions: [Transmission(link: Link(type: .veth, source: hop,
                destination: Hop(type: .node, id: next), action: .forward, packet: packet, direction: direction))])
        case .serveAndReply(let back):
            return NodeOutcome(transmissions: [Transmission(link: Link(type: .veth, source: hop,
                destination: Hop(type: .node, id: back), action: .serve, packet: packet.reply, direction: .reply))])
        case .deliver:
            return NodeOutcome(transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil,
                action: .serve, packet: packet, direction: direction))])
        case .drop:
            return NodeOutcome(transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil,
                action: .drop, packet: packet, direction: direction))],
                suspicions: [Suspicion(level: .fatal, message: "dropped at \(hop.id)")])
        }
    }
}

private struct UnknownHop: Error, CustomStringConvertible {
    var description: String { "no data for this node" }
}

private struct ScriptedManager: NetNodeManager {
    let script: [String: ScriptedNode.Behaviour]
    func action(for hop: Hop) throws -> any NetNodeAction {
        guard let behaviour = script[hop.id] else { throw UnknownHop() }
        return ScriptedNode(hop: hop, behaviour: behaviour)
    }
}

private let destination = Endpoint(ip: IPAddress("10.96.0.10")!, type: .service, port: 80)

private func diagnose(_ script: [String: ScriptedNode.Behaviour]) -> Diagnostor {
    Diagnostor(source: Hop(type: .node, id: "client"), destination: destination, protocol: .tcp,
               manager: ScriptedManager(script: script))
}

@Suite struct DiagnostorTests {
    @Test func requestAndReplyThatReturnIsReachable() {
        var diagnosis = diagnose([
            "client": .forward(["router"]), "router": .forward(["server"]),
            "server": .serveAndReply("router2"), "router2": .forward(["client-back"]), "client-back": .deliver,
        ])
        #expect(diagnosis.run() == .reachable)
        #expect(diagnosis.path.nodes.map(\.id) == ["client", "router", "server", "router2", "client-back"])
        #expect(diagnosis.path.links.map(\.action) == [.forward, .forward, .serve, .forward, .serve])
        #expect(diagnosis.path.links.map(\.direction) == [.request, .request, .reply, .reply, .reply])
        #expect(diagnosis.path.links.map(\.level) == [0, 1, 2, 3, 4])
        #expect(diagnosis.path.node(Hop(type: .node, id: "server"))?.actions.first?.kind == .serve)
    }

    @Test func oneBrokenBackendOfTwoIsPartialAndBothBranchesAreKept() {
        var diagnosis = diagnose([
            "client": .forward(["lb"]), "lb": .forward(["good", "bad"]), "good": .deliver, "bad": .drop,
        ])
        #expect(diagnosis.run() == .partial)
        let leaves = diagnosis.path.links.filter(\.isTerminal)
        #expect(leaves.map(\.probability) == [0.5, 0.5])
        #expect(diagnosis.path.node(Hop(type: .node, id: "bad"))?.suspicions.first?.level == .fatal)
        #expect(diagnosis.path.node(Hop(type: .node, id: "lb"))?.actions.first?.kind == .service)
    }

    @Test func everyBranchDroppedIsUnreachable() {
        var diagnosis = diagnose(["client": .forward(["a"]), "a": .drop])
        #expect(diagnosis.run() == .unreachable)
    }

    @Test func aHopWithoutDataBecomesASuspicionAndOtherBranchesContinue() throws {
        var diagnosis = diagnose(["client": .forward(["lb"]), "lb": .forward(["missing", "good"]), "good": .deliver])
        // The unsimulated branch could be served or not: reachable and partial are both possible.
        #expect(diagnosis.run() == .unknown)
        let missing = try #require(diagnosis.path.node(Hop(type: .node, id: "missing")))
        #expect(missing.suspicions.first?.message.contains("no data for this node") == true)
        #expect(diagnosis.path.links.contains { $0.source.id == "good" && $0.action == .serve })
    }

    @Test func onlyUnknownEndsGiveUnknown() {
        var diagnosis = diagnose(["client": .forward(["missing"])])
        #expect(diagnosis.run() == .unknown)
    }

    @Test func aRoutingLoopIsDetectedAndReported() throws {
        var diagnosis = diagnose(["client": .forward(["a"]), "a": .loopTo("b"), "b": .loopTo("a")])
        #expect(diagnosis.run() == .unreachable)
        let loopNode = try #require(diagnosis.path.nodes.first { !$0.suspicions.isEmpty })
        #expect(loopNode.suspicions[0].message.contains("Routing loop"))
        #expect(diagnosis.path.links.count < 10)
    }

    @Test func steppingAndRunningGiveTheSameGraph() {
        let script: [String: ScriptedNode.Behaviour] = [
            "client": .forward(["lb"]), "lb": .forward(["good", "bad"]), "good": .deliver, "bad": .drop,
        ]
        var stepped = diagnose(script)
        var added = 0
        while let step = stepped.step() {
            #expect(step.number == stepped.steps.count)
            added += step.addedLinks.count
            #expect(stepped.path.links.count == added, "each step reports exactly the links it added")
        }
        var ran = diagnose(script)
        ran.run()
        #expect(stepped.path == ran.path)
        #expect(stepped.verdict == ran.verdict)
        #expect(stepped.step() == nil)
    }

    @Test func hopLimitCutsAnEndlessPathOfChangingPackets() {
        struct Counter: NetNodeAction {
            let hop: Hop
            func send(to destination: Endpoint, protocol: TransportProtocol) -> NodeOutcome { next(Packet(src: destination.ip, dst: destination.ip, proto: .udp)) }
            func receive(_ link: Link) -> NodeOutcome {
                var packet = link.packet
                packet.mark += 1
                return next(packet)
            }
            func next(_ packet: Packet) -> NodeOutcome {
                NodeOutcome(transmissions: [Transmission(link: Link(type: .veth, source: hop, destination: Hop(type: .node, id: "spin"), action: .forward, packet: packet))])
            }
        }
        struct Spin: NetNodeManager { func action(for hop: Hop) throws -> any NetNodeAction { Counter(hop: hop) } }
        var diagnosis = Diagnostor(source: Hop(type: .node, id: "spin"), destination: destination, protocol: .udp,
                                   manager: Spin(), limits: DiagnosisLimits(hopLimit: 10))
        #expect(diagnosis.run() == .unknown)
        #expect(diagnosis.path.links.count == 11)
    }
}
