import SkoopModel

extension NftEngine {
    /// The iptables engine's NAT rewrite, shared so both front ends translate alike.
    private static let natRewriter = NetfilterEngine(ruleset: Ruleset())

    /// Applies dnat/snat/masquerade/redirect to the branch (terminal: the rule accepts).
    fileprivate func applyNATStatement(_ nat: NftNAT, to walk: inout Walk, scope: NftScope, place: String,
                                       lookups: inout [NetfilterSetLookup]) -> (String, String) {
        var remarks: [String] = []
        var address: IPAddress?
        var port: UInt16?
        func resolve(_ expression: NftExpression, what: String) -> [NftRuntime]? {
            switch expression {
            case .typed(_, .exact(let value)):
                return [value]
            case .typed(_, .range(let low, _)):
                remarks.append("\(what) range \(NftRuleText.expression(expression)): its first value assumed")
                return [low]
            case .typed(_, .prefix(let prefix)):
                remarks.append("\(what) prefix \(prefix): its first address assumed")
                return [.address(prefix.network)]
            default:
                let alternatives = evaluate(expression, walk.context, scope: scope)
                lookups += alternatives.flatMap(\.lookups)
                guard alternatives.count == 1, let parts = alternatives[0].parts, parts.allSatisfy({ $0 != nil }) else {
                    walk.flags.insert(.uncertain)
                    walk.warn("\(place): the \(what) of \(nat.kind) (\(NftRuleText.expression(expression))) is unknown: left unchanged")
                    return nil
                }
                return parts.compactMap { $0 }
            }
        }
        if let expression = nat.address, let values = resolve(expression, what: "address") {
            for value in values {
                switch value {
                case .address(let found): address = found
                case .number(let number): port = UInt16(truncatingIfNeeded: number)
                case .name: break
                }
            }
        }
        if let expression = nat.port, let values = resolve(expression, what: "port"), case .number(let number)? = values.first {
            port = UInt16(truncatingIfNeeded: number)
        }
        let random = nat.flags.contains("random")
        let fullyRandom = nat.flags.contains("fully-random")
        let ports = port.map { PortRange($0) }
        let target: Target
        switch nat.kind {
        case "dnat": target = .dnat(to: [NATRange(low: address, ports: ports)], random: random, persistent: nat.flags.contains("persistent"))
        case "snat": target = .snat(to: [NATRange(low: address, ports: ports)], random: random, randomFully: fullyRandom,
                                   persistent: nat.flags.contains("persistent"))
        case "masquerade": target = .masquerade(toPorts: ports, random: random, randomFully: fullyRandom)
        default: target = .redirect(toPorts: ports, random: random)
        }
        if (nat.kind == "dnat" || nat.kind == "snat") && address == nil && port == nil {
            return (nat.kind.uppercased(), remarks.joined(separator: "; "))
        }
        let (verdict, note) = Self.natRewriter.applyNAT(target, to: &walk, scope: Scope(hook: scope.hook, table: "nat"))
        return (verdict, ([note] + remarks).filter { !$0.isEmpty }.joined(separator: "; "))
    }
}

extension NftEngine {
    /// A NAT statement on a rule branch: the packet is rewritten and the rule accepts.
    func applyNAT(_ nat: NftNAT, to branch: inout some NftBranch, scope: NftScope, place: String) {
        var lookups: [NetfilterSetLookup] = []
        let (verdict, note) = applyNATStatement(nat, to: &branch.walk, scope: scope, place: place, lookups: &lookups)
        branch.lookups += lookups
        branch.label = verdict
        if !note.isEmpty { branch.notes.append(note) }
    }

    /// `meta mark set`, `ct mark set`: marks change; other keys are not modelled.
    func mangle(_ target: NftExpression, _ value: NftExpression, _ branch: inout some NftBranch, scope: NftScope, place: String) {
        let alternatives = evaluate(value, branch.walk.context, scope: scope)
        let newValue: UInt32? = if alternatives.count == 1, case .number(let number)?? = alternatives[0].parts?.first {
            UInt32(truncatingIfNeeded: number)
        } else {
            nil
        }
        switch target {
        case .meta("mark"):
            guard let newValue else { return unknownMangle(target, value, &branch, place: place) }
            let before = branch.walk.context.packet.mark
            branch.walk.context.packet.mark = newValue
            branch.label = "MARK"
            branch.notes.append("mark 0x\(String(before, radix: 16)) -> 0x\(String(newValue, radix: 16))")
        case .ct("mark", _):
            guard let newValue else { return unknownMangle(target, value, &branch, place: place) }
            branch.walk.context.conntrackMark = newValue
            branch.label = "CONNMARK"
            branch.notes.append("ct mark -> 0x\(String(newValue, radix: 16))")
        case .meta("nftrace"), .meta("priority"), .meta("secmark"):
            break  // tracing and queueing priority: no effect on the packet's path
        default:
            unknownMangle(target, value, &branch, place: place)
        }
    }

    private func unknownMangle(_ target: NftExpression, _ value: NftExpression, _ branch: inout some NftBranch, place: String) {
        let text = "\(NftRuleText.expression(target)) set \(NftRuleText.expression(value))"
        branch.walk.flags.insert(.uncertain)
        branch.walk.warn("\(place): \(text) is not modelled: the packet is assumed unchanged")
        branch.notes.append("unsupported statement \(text)")
    }
}

/// What NAT and mangle statements update on a rule branch.
protocol NftBranch {
    var walk: Walk { get set }
    var notes: [String] { get set }
    var label: String { get set }
    var lookups: [NetfilterSetLookup] { get set }
}
