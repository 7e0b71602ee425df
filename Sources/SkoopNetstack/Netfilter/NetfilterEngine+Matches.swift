import SkoopModel

/// One way a rule's matches can come out, before it is applied to a branch (kept apart from
/// the branch so the common single-outcome path appends to the trace without copying it).
struct MatchAlternative {
    var matched: Bool
    var factor: Double = 1
    var flags: NetfilterOutcomeFlags = []
    var notes: [String] = []
    var warnings: [String] = []

    /// Folds the alternative's weight, flags and warnings into `walk`.
    func apply(to walk: inout Walk) {
        walk.probability *= factor
        walk.flags.formUnion(flags)
        for warning in warnings { walk.warn(warning) }
    }
}

/// How one match evaluates: a plain answer, or several weighted alternatives.
enum MatchAnswer {
    case yes
    case no
    /// Both outcomes explored: (matched, probability factor, flag, note).
    case branches([(Bool, Double, NetfilterOutcomeFlags, String?)])
    /// Decided, with a remark for the trace (an assumption).
    case assumed(Bool, String)
    /// Unknown: both outcomes, flagged uncertain, with a warning.
    case unknown(String)
}

extension NetfilterEngine {
    /// Evaluates every match of `rule`; returns the matching alternatives first, then no-match ones.
    func matchAlternatives(_ rule: Rule, _ context: PacketContext, scope: Scope) -> [MatchAlternative] {
        var live = [MatchAlternative(matched: true)]
        var failed: [MatchAlternative] = []
        for match in rule.matches {
            var nextLive: [MatchAlternative] = []
            for partial in live {
                for (holds, factor, flags, note, warning) in alternatives(match, context, scope: scope) {
                    var copy = partial
                    copy.factor *= factor
                    copy.flags.formUnion(flags)
                    if let note { copy.notes.append(note) }
                    if let warning { copy.warnings.append("line \(rule.line): \(warning)") }
                    if holds != match.negated {
                        nextLive.append(copy)
                    } else {
                        copy.matched = false
                        failed.append(copy)
                    }
                }
            }
            live = nextLive
            if live.isEmpty { break }
        }
        return live + merge(failed)
    }

    /// Merges no-match alternatives that differ only by weight (a probability ladder's
    /// leftovers) so a long chain does not multiply identical branches.
    func merge(_ failed: [MatchAlternative]) -> [MatchAlternative] {
        var merged: [MatchAlternative] = []
        for alternative in failed {
            if let at = merged.firstIndex(where: { $0.flags == alternative.flags && $0.warnings == alternative.warnings }) {
                merged[at].factor += alternative.factor
            } else {
                merged.append(alternative)
            }
        }
        return merged
    }

    /// The outcomes of one match before negation: (holds, factor, flags, note, warning).
    func alternatives(_ match: Match, _ context: PacketContext, scope: Scope)
        -> [(Bool, Double, NetfilterOutcomeFlags, String?, String?)] {
        switch answer(match.kind, context, scope: scope) {
        case .yes: return [(true, 1, [], nil, nil)]
        case .no: return [(false, 1, [], nil, nil)]
        case .assumed(let holds, let note): return [(holds, 1, [], note, nil)]
        case .branches(let list): return list.map { ($0.0, $0.1, $0.2, $0.3, nil) }
        case .unknown(let why):
            return [(true, 1, .uncertain, "assumed to match: \(why)", why),
                    (false, 1, .uncertain, "assumed not to match: \(why)", why)]
        }
    }

    func answer(_ kind: MatchKind, _ context: PacketContext, scope: Scope) -> MatchAnswer {
        let packet = context.packet
        func bool(_ value: Bool) -> MatchAnswer { value ? .yes : .no }
        func address(_ side: PacketSide) -> IPAddress { side == .source ? packet.src : packet.dst }
        func port(_ side: PacketSide) -> UInt16 { side == .source ? packet.sport : packet.dport }
        let hasPorts = packet.proto == .tcp || packet.proto == .udp
        switch kind {
        case .address(let side, let prefix):
            return bool(prefix.contains(address(side)))
        case .inInterface(let name):
            return bool(context.inInterface.map { Self.interface($0, matches: name) } ?? false)
        case .outInterface(let name):
            return bool(context.outInterface.map { Self.interface($0, matches: name) } ?? false)
        case .proto(let number):
            return bool(number == 0 || number == packet.ipProtocolNumber)
        case .port(let side, let range):
            return bool(hasPorts && range.contains(port(side)))
        case .multiport(let side, let ranges):
            guard hasPorts else { return .no }
            let ports = side.map { [port($0)] } ?? [packet.sport, packet.dport]
            return bool(ranges.contains { range in ports.contains { range.contains($0) } })
        case .tcpFlags(let mask, let set):
            guard packet.proto == .tcp else { return .no }
            if let flags = context.tcpFlags { return bool(flags.intersection(mask) == set) }
            let first = context.isFirstPacket && context.direction == .original
            let flags: TCPFlags = first ? .syn : .ack
            return .assumed(flags.intersection(mask) == set, "TCP flags assumed \(first ? "SYN" : "ACK")")
        case .icmpType(let type, let code):
            guard packet.proto == .icmp else { return .no }
            if type == 255 { return .yes }
            let actual = context.icmpType ?? packet.echoType(reply: context.direction == .reply)
            let holds = actual == type && (code == nil || code == (context.icmpCode ?? 0))
            if context.icmpType == nil {
                return .assumed(holds, "ICMP type assumed \(context.direction == .reply ? "echo-reply" : "echo-request")")
            }
            return bool(holds)
        case .set(let name, let flags):
            guard let member = ipsets.contains(IPSetPacketFields(packet), inSet: name, flags: flags) else {
                return .unknown("ipset \(name) is missing or of an unmodelled type")
            }
            return bool(member)
        case .mark(let value, let mask):
            return bool(packet.mark & mask == value)
        case .connmark(let value, let mask):
            return bool(context.conntrackMark & mask == value)
        case .addressType(let side, let types, let limitIn, let limitOut):
            let interface = limitIn ? context.inInterface : (limitOut ? context.outInterface : nil)
            guard let type = context.addressType(address(side), interface) else {
                return .unknown("address type of \(address(side)) not supplied")
            }
            return bool(types.contains(type))
        case .comment, .accountingObject:
            return .yes
        case .conntrackState(let wanted):
            let (states, assumption) = context.conntrackStates
            return .assumed(!states.isDisjoint(with: wanted), assumption)
        case .statisticRandom(let p):
            if p >= 1 { return .yes }
            if p <= 0 { return .no }
            return .branches([(true, p, [], "statistic random: taken with p=\(p)"),
                              (false, 1 - p, [], "statistic random: not taken (p=\(1 - p))")])
        case .statisticNth(let every, let packetNumber):
            if every == 1 { return .yes }
            let p = 1 / Double(every)
            return .branches([(true, p, [], "statistic nth: packet \(packetNumber) of every \(every)"),
                              (false, 1 - p, [], "statistic nth: another packet of every \(every)")])
        case .addressRange(let side, let low, let high):
            let value = address(side)
            return bool(value.family == low.family && low <= value && value <= high)
        case .physdevIn(let name):
            return bool(context.physdevIn.map { Self.interface($0, matches: name) } ?? false)
        case .physdevOut(let name):
            return bool(context.physdevOut.map { Self.interface($0, matches: name) } ?? false)
        case .physdevIsIn:
            return bool(context.physdevIn != nil)
        case .physdevIsOut:
            return bool(context.physdevOut != nil)
        case .physdevIsBridged:
            return bool(context.physdevIn != nil && context.physdevOut != nil)
        case .reversePathFilter(let options):
            return reversePathAnswer(options, context)
        case .length(let range):
            return lengthAnswer(range, context)
        case .recent(let name, let command, _):
            if command == .set { return .yes }
            return .branches([(true, 1, .affinity, "recent \(name): assumed a hit (session affinity)"),
                              (false, 1, [], "recent \(name): assumed no hit (first connection)")])
        case .macSource(let mac):
            guard let source = context.sourceMAC else { return .unknown("source MAC not supplied") }
            return bool(source.lowercased() == mac)
        case .owner(let owner):
            return ownerAnswer(owner, context, scope: scope)
        case .socket(let transparent, let noWildcard):
            return socketAnswer(transparent: transparent, noWildcard: noWildcard, context, scope: scope)
        case .unsupported(let module, let arguments):
            if module == RuleDecoder.unreadableModule {
                return .unknown("the rule could not be read (\(arguments.joined(separator: " "))): its matches and target are unknown, assumed to continue")
            }
            return .unknown("match -m \(module) \(arguments.joined(separator: " ")) is not modelled")
        }
    }

    /// iptables interface matching: a trailing `+` matches any name with that prefix.
    static func interface(_ actual: String, matches pattern: String) -> Bool {
        if pattern.hasSuffix("+") { return actual.hasPrefix(pattern.dropLast()) }
        return actual == pattern
    }
}
