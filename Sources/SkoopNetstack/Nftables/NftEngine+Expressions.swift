import SkoopModel

/// One possible value of an expression: nil parts are unknown (an ICMP packet's `th dport`).
struct NftAlternative {
    /// The value's parts (several for a concatenation); nil when the field is absent from the
    /// packet (`tcp dport` of a UDP packet): the rule does not match.
    var parts: [NftRuntime?]?
    /// The share of packets taking it (numgen, jhash).
    var factor: Double = 1
    /// Remarks for the trace.
    var notes: [String] = []
    /// Why a part is unknown, when one is.
    var unknown: String?
    /// Map lookups that produced the value, for the trace.
    var lookups: [NetfilterSetLookup] = []

    static func known(_ value: NftRuntime, note: String? = nil) -> NftAlternative {
        NftAlternative(parts: [value], notes: note.map { [$0] } ?? [])
    }

    static func unknown(_ why: String) -> NftAlternative {
        NftAlternative(parts: [nil], unknown: why)
    }

    static let absent = NftAlternative(parts: nil)
}

extension NftEngine {
    /// The values `expression` can take for the packet in `context`.
    func evaluate(_ expression: NftExpression, _ context: PacketContext, scope: NftScope) -> [NftAlternative] {
        let packet = context.packet
        switch expression {
        case .typed(_, .exact(let value)):
            return [.known(value)]
        case .literal(let literal):
            return [NftValues.value(literal, kind: .integer).map { .known($0) } ?? .unknown("literal \(literal)")]
        case .payload(let proto, let field):
            return [payload(proto, field, context)]
        case .meta(let key):
            return [meta(key, context)]
        case .ct(let key, let direction):
            return [conntrack(key, direction: direction, context)]
        case .fib(let result, let flags):
            return [fib(result, flags: flags, context)]
        case .numgen(let mode, let modulus, let offset), .hash(let mode, let modulus, let offset):
            let why = mode == "random" ? "numgen random" : mode == "inc" ? "numgen inc (the packet count)" : "\(mode) of the packet's fields"
            // One branch per value; beyond a few thousand the split is not followed value by value.
            guard modulus <= 4096 else { return [.unknown("\(why) mod \(modulus): too many values to follow")] }
            return (0..<modulus).map { value in
                NftAlternative(parts: [.number(value &+ offset)], factor: 1 / Double(modulus),
                               notes: ["\(why) picked \(value &+ offset) (1 in \(modulus))"])
            }
        case .concat(let items):
            var combined = [NftAlternative(parts: [])]
            for item in items {
                var next: [NftAlternative] = []
                for partial in combined {
                    for alternative in evaluate(item, context, scope: scope) {
                        guard let parts = partial.parts, let more = alternative.parts else {
                            next.append(.absent)
                            continue
                        }
                        next.append(NftAlternative(parts: parts + more, factor: partial.factor * alternative.factor,
                                                   notes: partial.notes + alternative.notes,
                                                   unknown: partial.unknown ?? alternative.unknown,
                                                   lookups: partial.lookups + alternative.lookups))
                    }
                }
                combined = next
            }
            return combined
        case .binary(let op, let left, let right):
            guard case .number(let operand)? = evaluate(right, context, scope: scope).first?.parts?.first ?? nil else {
                return [.unknown("operand of \(op)")]
            }
            return evaluate(left, context, scope: scope).map { alternative in
                guard case .number(let value)?? = alternative.parts?.first else { return alternative }
                var result = alternative
                switch op {
                case "&": result.parts = [.number(value & operand)]
                case "|": result.parts = [.number(value | operand)]
                case "^": result.parts = [.number(value ^ operand)]
                case "<<": result.parts = [.number(operand < 64 ? value << operand : 0)]
                default: result.parts = [.number(operand < 64 ? value >> operand : 0)]
                }
                return result
            }
        case .map(let key, let data):
            return evaluate(key, context, scope: scope).flatMap { alternative -> [NftAlternative] in
                guard alternative.parts != nil else { return [alternative] }
                switch lookup(alternative, in: data, scope: scope) {
                case .hit(let element, _, let record):
                    guard case .values(let values)? = element.data else { return [.unknown("map data of \(NftRuleText.expression(data))")] }
                    var result = alternative
                    result.parts = values
                    result.lookups.append(record)
                    return [result]
                case .miss(let record):
                    var result = NftAlternative.absent
                    result.lookups = alternative.lookups + (record.map { [$0] } ?? [])
                    return [result]
                case .unknown(let why):
                    return [.unknown(why)]
                }
            }
        default:
            return [.unknown("expression \(NftRuleText.expression(expression)) is not modelled")]
        }
    }

    func payload(_ proto: String, _ field: String, _ context: PacketContext) -> NftAlternative {
        let packet = context.packet
        let isV4 = packet.dst.family == .inet
        let hasPorts = packet.proto == .tcp || packet.proto == .udp
        switch (proto, field) {
        case ("ip", "saddr"): return isV4 ? .known(.address(packet.src)) : .absent
        case ("ip", "daddr"): return isV4 ? .known(.address(packet.dst)) : .absent
        case ("ip", "protocol"): return isV4 ? .known(.number(UInt64(packet.proto.number))) : .absent
        case ("ip6", "saddr"): return !isV4 ? .known(.address(packet.src)) : .absent
        case ("ip6", "daddr"): return !isV4 ? .known(.address(packet.dst)) : .absent
        case ("ip6", "nexthdr"): return !isV4 ? .known(.number(UInt64(packet.ipProtocolNumber))) : .absent
        case ("th", "sport"), ("th", "dport"):
            guard hasPorts else { return .unknown("th \(field) of a \(packet.proto.rawValue) packet (bytes of its header Skoop does not model)") }
            return .known(.number(UInt64(field == "sport" ? packet.sport : packet.dport)))
        case ("tcp", "sport"), ("tcp", "dport"), ("udp", "sport"), ("udp", "dport"):
            guard packet.proto.rawValue == proto else { return .absent }
            return .known(.number(UInt64(field == "sport" ? packet.sport : packet.dport)))
        case ("tcp", "flags"):
            guard packet.proto == .tcp else { return .absent }
            if let flags = context.tcpFlags { return .known(.number(UInt64(flags.rawValue))) }
            let first = context.isFirstPacket && context.direction == .original
            return .known(.number(UInt64(first ? TCPFlags.syn.rawValue : TCPFlags.ack.rawValue)),
                          note: "TCP flags assumed \(first ? "SYN" : "ACK")")
        case ("icmp", "type"), ("icmpv6", "type"):
            guard packet.proto == .icmp, (proto == "icmp") == isV4 else { return .absent }
            if let type = context.icmpType { return .known(.number(UInt64(type))) }
            let reply = context.direction == .reply
            let type: UInt64 = isV4 ? (reply ? 0 : 8) : (reply ? 129 : 128)
            return .known(.number(type), note: "ICMP type assumed echo-\(reply ? "reply" : "request")")
        case ("icmp", "code"), ("icmpv6", "code"):
            guard packet.proto == .icmp, (proto == "icmp") == isV4 else { return .absent }
            return .known(.number(UInt64(context.icmpCode ?? 0)))
        default:
            return .unknown("payload \(proto) \(field) is not modelled")
        }
    }

    func meta(_ key: String, _ context: PacketContext) -> NftAlternative {
        let packet = context.packet
        switch key {
        case "l4proto": return .known(.number(UInt64(packet.ipProtocolNumber)))
        case "nfproto": return .known(.number(packet.dst.family == .inet ? 2 : 10))
        case "protocol": return .known(.number(packet.dst.family == .inet ? 0x0800 : 0x86dd))
        case "mark": return .known(.number(UInt64(packet.mark)))
        case "iifname", "iif": return .known(.name(context.inInterface ?? ""))
        case "oifname", "oif": return .known(.name(context.outInterface ?? ""))
        case "nftrace": return .known(.number(0))
        case "pkttype":
            switch context.addressType(packet.dst, nil) {
            case .broadcast: return .known(.number(1))
            case .multicast: return .known(.number(2))
            default: return .known(.number(0), note: "packet type host assumed (unicast destination)")
            }
        default:
            return .unknown("meta \(key) is not modelled")
        }
    }

    func conntrack(_ key: String, direction: String?, _ context: PacketContext) -> NftAlternative {
        if context.untracked {
            return key == "state" ? .known(.number(NftValues.ctStates["untracked"]!)) : .absent
        }
        switch key {
        case "state":
            let (states, assumption) = context.conntrackStates
            var bits: UInt64 = 0
            for state in states {
                switch state {
                case .new: bits |= 8
                case .established: bits |= 2
                case .related: bits |= 4
                case .invalid: bits |= 1
                case .untracked: bits |= 64
                case .snat, .dnat: break
                }
            }
            return .known(.number(bits), note: assumption)
        case "status":
            var bits: UInt64 = 0
            if context.natStatus.contains(.snat) { bits |= 16 }
            if context.natStatus.contains(.dnat) { bits |= 32 }
            if !context.isFirstPacket || context.direction == .reply { bits |= 2 | 8 }
            return .known(.number(bits), note: "ct status from the connection's NAT and direction")
        case "direction":
            return .known(.number(context.direction == .original ? 0 : 1))
        case "mark":
            return .known(.number(UInt64(context.conntrackMark)))
        case "saddr", "ip saddr", "ip6 saddr":
            if direction == "original" && context.direction == .original { return .known(.address(context.packet.src)) }
            return .unknown("ct \(direction ?? "") \(key) is not tracked")
        default:
            return .unknown("ct \(key) is not modelled")
        }
    }

    func fib(_ result: String, flags: [String], _ context: PacketContext) -> NftAlternative {
        let packet = context.packet
        let address = flags.contains("saddr") ? packet.src : packet.dst
        let interface = flags.contains("iif") ? context.inInterface : flags.contains("oif") ? context.outInterface : nil
        switch result {
        case "type":
            guard let type = context.addressType(address, interface) else { return .unknown("fib address type of \(address)") }
            return .known(.number(NftValues.addressTypes[type.rawValue.lowercased()] ?? 1))
        case "oif", "oifname":
            guard let resolver = context.reversePath else { return .unknown("fib \(flags.joined(separator: " . ")) \(result): no route lookup") }
            let source = flags.contains("saddr") ? packet.dst : nil
            guard let route = resolver(address, source, flags.contains("mark") ? packet.mark : 0) else {
                return .known(.number(0), note: "no route to \(address)")
            }
            guard route.type == .unicast || route.type == .local else { return .known(.number(0)) }
            if let interface {
                return route.interfaces.contains(interface) || route.type == .local ? .known(.name(interface)) : .known(.number(0))
            }
            return route.interfaces.sorted().first.map { .known(.name($0)) } ?? .known(.number(0))
        default:
            return .unknown("fib \(result) is not modelled")
        }
    }

    /// The result of looking a key up in a set or map.
    enum Lookup {
        case hit(NftElement, note: String, record: NetfilterSetLookup)
        case miss(NetfilterSetLookup?)
        case unknown(String)
    }

    /// Looks `alternative` up in the set `reference` (named or anonymous).
    func lookup(_ alternative: NftAlternative, in reference: NftExpression, scope: NftScope) -> Lookup {
        let elements: NftElements
        let name: String
        var setName: String?
        var kinds: [NftValueKind] = []
        switch reference {
        case .setReference(let named):
            guard let set = scope.table.sets[named] else { return .unknown("set @\(named) is not in table \(scope.table)") }
            if let unreadable = set.unreadable { return .unknown(unreadable) }
            elements = set.elements
            name = "@" + named
            setName = named
            kinds = set.keyTypes
        case .typedSet(_, let typed):
            elements = typed
            name = "anonymous set"
        default:
            return .unknown("set \(NftRuleText.expression(reference)) could not be typed")
        }
        guard let parts = alternative.parts else { return .miss(nil) }
        let key = NftSetText.key(parts, kinds: kinds)
        let known = parts.compactMap { $0 }
        if known.count == parts.count {
            if let at = elements.exact[known] ?? elements.intervals.first(where: { Self.matches(elements.all[$0].key, parts) }) {
                let element = elements.all[at]
                return .hit(element, note: "\(name): \(known.map(\.description).joined(separator: " . "))",
                            record: NetfilterSetLookup(set: setName, key: key, element: NftSetText.key(element, kinds: kinds)))
            }
            return .miss(NetfilterSetLookup(set: setName, key: key, element: nil))
        }
        // An unknown part: the lookup is decided only if no element matches the known parts.
        if elements.all.contains(where: { Self.matches($0.key, parts) }) {
            return .unknown(alternative.unknown ?? "part of the key is unknown")
        }
        return .miss(NetfilterSetLookup(set: setName, key: key, element: nil))
    }

    /// True when every known part of `parts` falls in the element's key part.
    static func matches(_ key: [NftKeyPart], _ parts: [NftRuntime?]) -> Bool {
        guard key.count == parts.count else { return false }
        for (part, value) in zip(key, parts) {
            if let value, !part.contains(value) { return false }
        }
        return true
    }
}
