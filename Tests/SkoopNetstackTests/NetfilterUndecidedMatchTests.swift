import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopTestSupport

/// Uncertainty only where it decides: rules that cannot change the packet's fate or headers do not
/// branch on matches Skoop cannot evaluate, and the matches it has data for are evaluated.
@Suite("Netfilter engine: uncertainty only where it decides")
struct NetfilterUndecidedMatchTests {
    static func context(_ src: String = "10.0.0.1", _ dst: String = "10.96.0.10", proto: TransportProtocol = .tcp,
                        in inInterface: String? = "eth0") -> PacketContext {
        PacketContext(packet: Packet(src: IPAddress(src)!, sport: 40000, dst: IPAddress(dst)!, dport: 80, proto: proto),
                      inInterface: inInterface)
    }

    static func engine(_ text: String) throws -> NetfilterEngine {
        NetfilterEngine(ruleset: try IPTablesSaveParser.parse(text, source: "rules.txt").ruleset)
    }

    @Test("an unmodelled match on a rule that cannot change the packet neither branches nor makes it uncertain", arguments: [
        "-A INPUT -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix \"[UFW BLOCK] \"",
        "-A INPUT -m limit --limit 3/min -j NFLOG --nflog-group 5",
        "-A INPUT -m limit --limit 3/min -j TRACE",
        "-A INPUT -m limit --limit 3/min",
        "-A INPUT -m limit --limit 3/min -j LOGGING\n-A LOGGING -j LOG\n-A LOGGING -m limit --limit 1/s -j QUIET\n-A LOGGING -j RETURN\n-A QUIET -j NFLOG",
    ])
    func inertRule(rules: String) throws {
        let chains = rules.contains("LOGGING") ? ":LOGGING - [0:0]\n:QUIET - [0:0]\n" : ""
        let engine = try Self.engine("*filter\n:INPUT ACCEPT [0:0]\n\(chains)\(rules)\n-A INPUT -p tcp -j DROP\nCOMMIT\n")
        let outcomes = engine.traverse(hook: .input, packet: Self.context())
        #expect(outcomes.count == 1)
        #expect(outcomes.map(\.verdict) == [.drop])
        #expect(outcomes.allSatisfy { $0.flags.isEmpty && $0.probability == 1 })
        // The warning about the match stays, once.
        let warnings = outcomes[0].warnings.filter { $0.contains("-m limit") && $0.contains("not modelled") }
        #expect(warnings.count == 1, "\(outcomes[0].warnings)")
        #expect(outcomes[0].trace.contains { $0.note?.contains("not branched") == true })
    }

    @Test("the same match on a rule that decides still explores both outcomes, uncertain", arguments: [
        "-A INPUT -m limit --limit 3/min -j ACCEPT",
        "-A INPUT -m limit --limit 3/min -j MARK --set-mark 1",
        "-A INPUT -m limit --limit 3/min -j CHAIN\n-A CHAIN -j LOG\n-A CHAIN -j ACCEPT",
        "-A INPUT -m limit --limit 3/min -g CHAIN\n-A CHAIN -j LOG",
    ])
    func decidingRule(rules: String) throws {
        let chains = rules.contains("CHAIN") ? ":CHAIN - [0:0]\n" : ""
        let engine = try Self.engine("*filter\n:INPUT ACCEPT [0:0]\n\(chains)\(rules)\n-A INPUT -p tcp -j DROP\nCOMMIT\n")
        let outcomes = engine.traverse(hook: .input, packet: Self.context())
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { $0.flags == .uncertain })
    }

    @Test("Istio's owner rule on a forwarded packet: no socket, decided without uncertainty")
    func ownerOnForwardedPacket() throws {
        let engine = try Self.engine("""
        *mangle
        :POSTROUTING ACCEPT [0:0]
        -A POSTROUTING -m owner --uid-owner 1337 -j RETURN
        -A POSTROUTING -m owner ! --uid-owner 1337 -j MARK --set-mark 0x1
        COMMIT
        """)
        var context = Self.context(in: "eth0")
        context.outInterface = "eth1"
        let outcomes = engine.traverse(hook: .postrouting, packet: context)
        #expect(outcomes.count == 1 && outcomes[0].flags.isEmpty)
        #expect(outcomes[0].matchedRules.map(\.verdict) == ["MARK", "POLICY ACCEPT"])
    }

    static let owned = """
        *mangle
        :OUTPUT ACCEPT [0:0]
        -A OUTPUT -p tcp -m owner --uid-owner 1337 -j RETURN
        -A OUTPUT -p tcp -j MARK --set-mark 0x1
        COMMIT
        """

    static func socketTable(_ text: String) -> SocketResolver {
        let sockets = (try? SocketTableParser.parse(text, source: "sockets.txt")) ?? []
        return { packet, direction, _ in
            guard direction == .reply, let socket = sockets.first(where: { $0.accepts(packet.src, port: packet.sport, device: nil) }) else {
                return .unknown("not in the table")
            }
            return .found(LocalSocket(boundToWildcard: socket.localAddress == nil, uid: socket.uid,
                                      description: "\(socket.localPort)"))
        }
    }

    @Test("owner: a locally generated reply's uid comes from the sockets (ss -e); without a uid it stays uncertain",
          arguments: [("tcp LISTEN 0 4096 0.0.0.0:80 0.0.0.0:* users:((\"envoy\",pid=7,fd=3)) uid:1337 ino:1 sk:1", ["RETURN"]),
                      ("tcp LISTEN 0 4096 0.0.0.0:80 0.0.0.0:* users:((\"nginx\",pid=7,fd=3)) uid:101 ino:1 sk:1", ["MARK"]),
                      ("tcp LISTEN 0 4096 0.0.0.0:80 0.0.0.0:* users:((\"nginx\",pid=7,fd=3))", nil)])
    func ownerFromSockets(socketLine: String, verdicts: [String]?) throws {
        let engine = try Self.engine(Self.owned)
        var context = PacketContext(packet: Packet(src: IPAddress("10.0.0.5")!, sport: 80, dst: IPAddress("10.0.0.1")!,
                                                   dport: 40000, proto: .tcp), outInterface: "eth0",
                                    direction: .reply, isFirstPacket: true)
        context.sendingSocket = Self.socketTable(socketLine)
        let outcomes = engine.traverse(hook: .output, packet: context)
        if let verdicts {
            #expect(outcomes.count == 1 && outcomes[0].flags.isEmpty)
            #expect(outcomes[0].matchedRules.map(\.verdict) == verdicts + ["POLICY ACCEPT"])
        } else {
            #expect(outcomes.count == 2 && outcomes.allSatisfy { $0.flags == .uncertain })
        }
    }

    @Test("length: the packet's own size decides; an unknown UDP size is uncertain unless every size answers the same")
    func length() throws {
        func outcomes(_ range: String, _ proto: TransportProtocol) throws -> [NetfilterOutcome] {
            try Self.engine("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m length --length \(range) -j DROP\nCOMMIT\n")
                .traverse(hook: .input, packet: Self.context(proto: proto))
        }
        // A TCP SYN is 60 bytes, a ping 84.
        #expect(try outcomes("0:59", .tcp).map(\.verdict) == [.accept])
        #expect(try outcomes("60", .tcp).map(\.verdict) == [.drop])
        #expect(try outcomes("84:100", .icmp).map(\.verdict) == [.drop])
        #expect(try outcomes("0:65535", .udp).map(\.verdict) == [.drop])
        #expect(try outcomes("0:20", .udp).map(\.verdict) == [.accept])
        let unknown = try outcomes("0:1000", .udp)
        #expect(Set(unknown.map(\.verdict)) == [.drop, .accept] && unknown.allSatisfy { $0.flags == .uncertain })
    }

    @Test("socket: a listener bound to the destination takes the packet; a wildcard one only with --nowildcard")
    func socketMatch() throws {
        let sockets = try SocketTableParser.parse("""
            tcp LISTEN 0 4096 10.96.0.10:80 0.0.0.0:*
            tcp LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:*
            """, source: "sockets.txt")
        let resolver: SocketResolver = { packet, _, device in
            guard let socket = sockets.first(where: { $0.accepts(packet.dst, port: packet.dport, device: device) }) else { return .none }
            return .found(LocalSocket(boundToWildcard: socket.localAddress == nil, transparent: nil, description: "s"))
        }
        func verdict(_ options: String, dport: UInt16) throws -> [NetfilterOutcome] {
            var context = PacketContext(packet: Packet(src: IPAddress("10.0.0.1")!, sport: 40000, dst: IPAddress("10.96.0.10")!,
                                                       dport: dport, proto: .tcp), inInterface: "eth0")
            context.receivingSocket = resolver
            return try Self.engine("*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m socket \(options) -j DROP\nCOMMIT\n")
                .traverse(hook: .prerouting, packet: context)
        }
        #expect(try verdict("", dport: 80).map(\.verdict) == [.drop])
        #expect(try verdict("", dport: 8080).map(\.verdict) == [.accept])
        #expect(try verdict("--nowildcard", dport: 8080).map(\.verdict) == [.drop])
        #expect(try verdict("", dport: 9).map(\.verdict) == [.accept])
        // IP_TRANSPARENT is not in ss output: --transparent on a found socket stays uncertain.
        #expect(try verdict("--transparent", dport: 80).allSatisfy { $0.flags == .uncertain })
        #expect(try verdict("--transparent", dport: 9).map(\.verdict) == [.accept])
    }

    @Test("rpfilter options: --loose, --validmark and --accept-local change the reverse lookup")
    func rpfilterOptions() throws {
        // The route back to 10.0.0.1 leaves through eth1; with mark 0x40000 through eth0; 10.9.9.9 is local.
        let lookup: ReversePathResolver = { destination, _, mark in
            if destination == IPAddress("10.9.9.9")! { return ReversePathRoute(type: .local, interfaces: ["lo"]) }
            if destination == IPAddress("10.0.0.1")! { return ReversePathRoute(type: .unicast, interfaces: [mark == 0x40000 ? "eth0" : "eth1"]) }
            return nil
        }
        func drops(_ options: String, src: String = "10.0.0.1", mark: UInt32 = 0x40000) throws -> Bool {
            var context = PacketContext(packet: Packet(src: IPAddress(src)!, sport: 1, dst: IPAddress("10.96.0.10")!, dport: 80,
                                                       proto: .tcp, mark: mark), inInterface: "eth0")
            context.reversePath = lookup
            let outcomes = try Self.engine("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m rpfilter \(options) -j DROP\nCOMMIT\n")
                .traverse(hook: .prerouting, packet: context)
            #expect(outcomes.count == 1 && outcomes[0].flags.isEmpty)
            return outcomes[0].verdict == .drop
        }
        #expect(try drops("--invert") == true)
        #expect(try drops("--validmark --invert") == false)
        #expect(try drops("--loose --invert") == false)
        #expect(try drops("--invert", src: "10.9.9.9") == true)
        #expect(try drops("--accept-local --loose --invert", src: "10.9.9.9") == false)
        #expect(try drops("--loose --invert", src: "10.5.5.5") == true)
    }
}
