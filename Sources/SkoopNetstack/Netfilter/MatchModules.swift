import SkoopModel

/// Turns the options of one `-m MODULE` into typed matches; nil when anything is not understood,
/// so the whole module becomes `.unsupported` and the rest of the rule is kept.
enum MatchModules {
    static func parse(module: String, calls: [OptionCall]) -> [Match]? {
        switch module {
        case "comment":
            return each(calls) { call in
                call.name == "--comment" ? .comment(call.arguments[0]) : nil
            }
        case "nfacct":
            return each(calls) { call in
                call.name == "--nfacct-name" && !call.negated ? .accountingObject(call.arguments[0]) : nil
            }
        case "tcp", "udp", "sctp", "udplite", "dccp":
            return each(calls) { call in
                switch call.name {
                case "--sport", "--source-port": PortRange(call.arguments[0]).map { .port(.source, $0) }
                case "--dport", "--destination-port": PortRange(call.arguments[0]).map { .port(.destination, $0) }
                case "--tcp-flags" where module == "tcp":
                    TCPFlags(names: call.arguments[0]).flatMap { mask in
                        TCPFlags(names: call.arguments[1]).map { .tcpFlags(mask: mask, set: $0) }
                    }
                case "--syn" where module == "tcp": .tcpFlags(mask: [.fin, .syn, .rst, .ack], set: .syn)
                default: nil
                }
            }
        case "multiport":
            return each(calls) { call in
                let side: PacketSide?? = switch call.name {
                case "--dports", "--destination-ports": .some(.destination)
                case "--sports", "--source-ports": .some(.source)
                case "--ports": .some(nil)
                default: nil
                }
                guard let side else { return nil }
                var ranges: [PortRange] = []
                for item in call.arguments[0].split(separator: ",") {
                    guard let range = PortRange(item) else { return nil }
                    ranges.append(range)
                }
                return .multiport(side, ranges)
            }
        case "icmp", "icmp6", "icmpv6":
            return each(calls) { call in
                guard call.name == "--icmp-type" || call.name == "--icmpv6-type" else { return nil }
                return ICMPTypes.parse(call.arguments[0], v6: call.name == "--icmpv6-type")
                    .map { .icmpType($0.type, code: $0.code) }
            }
        case "set":
            var matches: [Match] = []
            for call in calls {
                switch call.name {
                case "--match-set":
                    var flags: [PacketSide] = []
                    for flag in call.arguments[1].split(separator: ",") {
                        guard let side = PacketSide(rawValue: String(flag)) else { return nil }
                        flags.append(side)
                    }
                    matches.append(Match(.set(name: call.arguments[0], flags: flags), negated: call.negated))
                case "--return-nomatch", "--update-counters", "--update-subcounters":
                    // Counter bookkeeping does not change whether the packet matches (checked against
                    // the default behaviour); --return-nomatch is rare and treated as the default.
                    continue
                default:
                    return nil
                }
            }
            return matches
        case "mark", "connmark":
            return each(calls) { call in
                guard call.name == "--mark", let (value, mask) = Numbers.valueMask(call.arguments[0]) else { return nil }
                return module == "mark" ? .mark(value: value, mask: mask) : .connmark(value: value, mask: mask)
            }
        case "addrtype":
            return addressType(calls)
        case "conntrack", "state":
            return each(calls) { call in
                guard call.name == "--ctstate" || call.name == "--state" else { return nil }
                var states = Set<ConntrackState>()
                for name in call.arguments[0].split(separator: ",") {
                    guard let state = ConntrackState(rawValue: name.uppercased()) else { return nil }
                    states.insert(state)
                }
                return .conntrackState(states)
            }
        case "statistic":
            return statistic(calls)
        case "iprange":
            return each(calls) { call in
                let side: PacketSide? = call.name == "--src-range" ? .source : call.name == "--dst-range" ? .destination : nil
                let bounds = call.arguments.first?.split(separator: "-") ?? []
                guard let side, bounds.count == 2, let low = IPAddress(bounds[0]), let high = IPAddress(bounds[1]) else {
                    return nil
                }
                return .addressRange(side, low, high)
            }
        case "physdev":
            return each(calls) { call in
                switch call.name {
                case "--physdev-in": .physdevIn(call.arguments[0])
                case "--physdev-out": .physdevOut(call.arguments[0])
                case "--physdev-is-in": .physdevIsIn
                case "--physdev-is-out": .physdevIsOut
                case "--physdev-is-bridged": .physdevIsBridged
                default: nil
                }
            }
        case "rpfilter":
            let known: Set<String> = ["--loose", "--validmark", "--accept-local", "--invert"]
            guard calls.allSatisfy({ known.contains($0.name) && !$0.negated }) else { return nil }
            return [Match(.reversePathFilter(calls.map(\.name)))]
        case "length":
            return each(calls) { call in
                guard call.name == "--length" else { return nil }
                let parts = call.arguments[0].split(separator: ":")
                guard let low = parts.first.flatMap({ UInt32($0) }) else { return nil }
                let high = parts.count > 1 ? UInt32(parts[1]) : low
                guard let high, low <= high else { return nil }
                return .length(low...high)
            }
        case "recent":
            return recent(calls)
        case "mac":
            return each(calls) { call in call.name == "--mac-source" ? .macSource(call.arguments[0].lowercased()) : nil }
        case "owner":
            return owner(calls)
        case "socket":
            // --restore-skmark rewrites the mark from a socket's mark, which ss does not show: unmodelled.
            guard calls.allSatisfy({ ["--transparent", "--nowildcard"].contains($0.name) && !$0.negated }) else { return nil }
            let names = Set(calls.map(\.name))
            return [Match(.socket(transparent: names.contains("--transparent"), noWildcard: names.contains("--nowildcard")))]
        default:
            return nil
        }
    }

    /// One match per option, each with its own `!`; nil when any option is unknown.
    static func each(_ calls: [OptionCall], _ transform: (OptionCall) -> MatchKind?) -> [Match]? {
        var matches: [Match] = []
        for call in calls {
            guard let kind = transform(call) else { return nil }
            matches.append(Match(kind, negated: call.negated))
        }
        return matches.isEmpty ? [] : matches
    }

    static func addressType(_ calls: [OptionCall]) -> [Match]? {
        let limitIn = calls.contains { $0.name == "--limit-iface-in" }
        let limitOut = calls.contains { $0.name == "--limit-iface-out" }
        var matches: [Match] = []
        for call in calls where call.name != "--limit-iface-in" && call.name != "--limit-iface-out" {
            let side: PacketSide
            switch call.name {
            case "--src-type": side = .source
            case "--dst-type": side = .destination
            default: return nil
            }
            var types: [AddressType] = []
            for name in call.arguments[0].split(separator: ",") {
                guard let type = AddressType(rawValue: name.uppercased()) else { return nil }
                types.append(type)
            }
            matches.append(Match(.addressType(side, types, limitInterfaceIn: limitIn, limitInterfaceOut: limitOut),
                                 negated: call.negated))
        }
        return matches
    }

    static func statistic(_ calls: [OptionCall]) -> [Match]? {
        var values: [String: OptionCall] = [:]
        for call in calls { values[call.name] = call }
        switch values["--mode"]?.arguments.first {
        case "random":
            guard let call = values["--probability"], let p = Double(call.arguments[0]), (0...1).contains(p) else { return nil }
            return [Match(.statisticRandom(probability: p), negated: call.negated)]
        case "nth":
            guard let every = values["--every"].flatMap({ UInt32($0.arguments[0]) }), every > 0 else { return nil }
            let packet = values["--packet"].flatMap { UInt32($0.arguments[0]) } ?? 0
            let negated = values["--every"]?.negated ?? false
            return [Match(.statisticNth(every: every, packet: packet), negated: negated)]
        default:
            return nil
        }
    }

    /// xt_owner applies each option's `!` itself, so the module stays one match.
    static func owner(_ calls: [OptionCall]) -> [Match]? {
        var owner = OwnerMatch()
        func ids(_ text: String) -> ClosedRange<UInt32>? {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let low = UInt32(parts[0]) else { return nil }
            guard let high = parts.count == 2 ? UInt32(parts[1]) : low, low <= high else { return nil }
            return low...high
        }
        for call in calls {
            switch call.name {
            case "--uid-owner":
                guard owner.uid == nil, let range = ids(call.arguments[0]) else { return nil }
                owner.uid = (range, call.negated)
            case "--gid-owner":
                guard owner.gid == nil, let range = ids(call.arguments[0]) else { return nil }
                owner.gid = (range, call.negated)
            case "--suppl-groups":
                owner.supplementaryGroups = true
            case "--socket-exists":
                owner.socketExists = call.negated
            default:
                return nil
            }
        }
        guard owner.uid != nil || owner.gid != nil || owner.socketExists != nil else { return nil }
        return [Match(.owner(owner))]
    }

    static func recent(_ calls: [OptionCall]) -> [Match]? {
        var name = "DEFAULT"
        var command: RecentCommand?
        var negated = false
        var options: [String] = []
        for call in calls {
            if call.name == "--name" {
                name = call.arguments[0]
            } else if let c = RecentCommand(rawValue: call.name) {
                command = c
                negated = call.negated
            } else {
                options += call.words
            }
        }
        guard let command else { return nil }
        return [Match(.recent(name: name, command: command, options: options), negated: negated)]
    }
}

/// Number spellings in iptables dumps.
enum Numbers {
    /// Parses "0x4000" or "16384".
    static func uint32<S: StringProtocol>(_ text: S) -> UInt32? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt32(text.dropFirst(2), radix: 16) }
        return UInt32(text)
    }

    /// Parses "value/mask" or "value" (mask all ones).
    static func valueMask<S: StringProtocol>(_ text: S) -> (UInt32, UInt32)? {
        let parts = text.split(separator: "/")
        guard (1...2).contains(parts.count), let value = uint32(parts[0]) else { return nil }
        guard parts.count == 2 else { return (value, .max) }
        guard let mask = uint32(parts[1]) else { return nil }
        return (value, mask)
    }
}

/// ICMP type names and numbers as `--icmp-type` accepts them.
enum ICMPTypes {
    static let v4: [String: (UInt8, UInt8?)] = [
        "any": (255, nil), "echo-reply": (0, nil), "pong": (0, nil), "destination-unreachable": (3, nil),
        "network-unreachable": (3, 0), "host-unreachable": (3, 1), "protocol-unreachable": (3, 2),
        "port-unreachable": (3, 3), "fragmentation-needed": (3, 4), "source-quench": (4, nil),
        "redirect": (5, nil), "echo-request": (8, nil), "ping": (8, nil), "router-advertisement": (9, nil),
        "router-solicitation": (10, nil), "time-exceeded": (11, nil), "ttl-exceeded": (11, nil),
        "parameter-problem": (12, nil), "timestamp-request": (13, nil), "timestamp-reply": (14, nil),
    ]
    static let v6: [String: (UInt8, UInt8?)] = [
        "destination-unreachable": (1, nil), "packet-too-big": (2, nil), "time-exceeded": (3, nil),
        "parameter-problem": (4, nil), "echo-request": (128, nil), "echo-reply": (129, nil),
        "router-solicitation": (133, nil), "router-advertisement": (134, nil),
        "neighbour-solicitation": (135, nil), "neighbor-solicitation": (135, nil),
        "neighbour-advertisement": (136, nil), "neighbor-advertisement": (136, nil),
    ]

    /// Parses "8", "3/4" or a name.
    static func parse(_ text: String, v6: Bool) -> (type: UInt8, code: UInt8?)? {
        if let named = (v6 ? Self.v6 : Self.v4)[text.lowercased()] { return named }
        let parts = text.split(separator: "/")
        guard (1...2).contains(parts.count), let type = UInt8(parts[0]) else { return nil }
        if parts.count == 2 {
            guard let code = UInt8(parts[1]) else { return nil }
            return (type, code)
        }
        return (type, nil)
    }
}
