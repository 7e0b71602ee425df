import SkoopModel

/// Whether a rule's selectors hold: the query or the collected data may not decide it.
enum RuleMatch: Equatable {
    case yes
    case no
    case unknown(String)

    /// Both hold (the kernel stops at the first selector that fails).
    func and(_ next: @autoclosure () -> RuleMatch) -> RuleMatch {
        switch self {
        case .no: return .no
        case .yes: return next()
        case .unknown(let reason):
            switch next() {
            case .no: return .no
            case .yes: return self
            case .unknown(let other): return .unknown(reason + "; " + other)
            }
        }
    }

    var inverted: RuleMatch {
        switch self {
        case .yes: .no
        case .no: .yes
        case .unknown: self
        }
    }
}

/// The table a matching lookup rule consults.
enum RuleTableChoice {
    case table(RouteTable)
    case unknown(String)
}

/// Device kinds that may hand a packet tunnel metadata (`tun_id`) when in external/collect_md mode.
private let metadataTunnelKinds: Set<String> = ["vxlan", "geneve", "gre", "gretap", "ip6gre", "ip6gretap", "ipip",
                                               "ip6tnl", "sit", "erspan", "ip6erspan", "bareudp"]

extension Router {
    /// The kernel's fib_rule_match with the family's own match: every selector must hold, then
    /// `not` inverts. A selector the query cannot decide makes the answer unknown, naming it.
    func match(_ rule: PolicyRule, _ query: RouteQuery) -> RuleMatch {
        var result = commonMatch(rule, query).and(familyMatch(rule, query))
        if !rule.unsupported.isEmpty {
            result = result.and(.unknown("Skoop does not read " + rule.unsupported.joined(separator: ", ")))
        }
        return rule.invert ? result.inverted : result
    }

    /// iif, oif, fwmark, tun_id, l3mdev and uidrange (fib_rule_match).
    private func commonMatch(_ rule: PolicyRule, _ query: RouteQuery) -> RuleMatch {
        if rule.iifDetached || rule.oifDetached { return .no }  // the device is gone: its index matches nothing
        if let iif = rule.iif, iif != (query.iif ?? loopbackName) { return .no }
        if let oif = rule.oif, oif != query.oif { return .no }
        if let fwmark = rule.fwmark, (query.fwmark ^ fwmark) & rule.fwmask != 0 { return .no }
        var result = RuleMatch.yes
        if let wanted = rule.tunnelID, wanted != 0 {
            switch tunnelID(of: query) {
            case .some(let id): if id != wanted { return .no }
            case .none: result = result.and(.unknown("the tunnel id of a packet from \(query.iif ?? "?") is not known"))
            }
        }
        if rule.action == .lookupL3mdevTable, l3mdevMaster(of: query) == nil { return .no }
        if let range = rule.uidRange {
            // Packets that arrived on an interface are routed as the netns's root (uid 0).
            if let uid = query.isLocallyGenerated ? query.uid : 0 {
                if !range.contains(uid) { return .no }
            } else {
                result = result.and(.unknown("the sending socket's uid is not known"))
            }
        }
        return result
    }

    /// from, to, tos/dscp, ipproto, sport, dport, flowlabel (fib4_rule_match / fib6_rule_match).
    private func familyMatch(_ rule: PolicyRule, _ query: RouteQuery) -> RuleMatch {
        let family = query.destination.family
        let unspecified: IPAddress = family == .inet ? .v4(.any) : .v6(.any)
        if let source = rule.source, !source.contains(query.source ?? unspecified) { return .no }
        if let destination = rule.destination, !destination.contains(query.destination) { return .no }
        if let dscp = rule.dscp {
            if (dscp ^ (query.tos >> 2)) & rule.dscpMask != 0 { return .no }
        } else if rule.tos != 0 {
            // IPv4 keeps the old TOS semantics (bits 0x1c only); IPv6 compares the whole DSCP.
            let mask: UInt8 = family == .inet ? 0x1c : 0xfc
            if (rule.tos ^ query.tos) & mask != 0 { return .no }
        }
        var result = RuleMatch.yes
        if let wanted = rule.ipProtocol {
            if let number = query.ipProtocol {
                if number != wanted { return .no }
            } else {
                result = result.and(.unknown("the packet's protocol is not known"))
            }
        }
        func port(_ selector: PortSelector?, _ port: UInt16?, _ name: String) -> RuleMatch {
            guard let selector else { return .yes }
            guard let port else { return .unknown("the packet's \(name) port is not known") }
            return selector.matches(port) ? .yes : .no
        }
        if rule.sourcePorts != nil || rule.destinationPorts != nil {
            result = result.and(port(rule.sourcePorts, query.sourcePort, "source"))
                .and(port(rule.destinationPorts, query.destinationPort, "destination"))
            if result == .no { return .no }
        }
        if family == .inet6, let label = rule.flowLabel, rule.flowLabelMask != 0 {
            if let own = query.flowLabel {
                if (own ^ label) & rule.flowLabelMask != 0 { return .no }
            } else {
                result = result.and(.unknown("the packet's flow label is not known"))
            }
        }
        return result
    }

    /// The tunnel key of the query: given, or 0 unless the packet came from a tunnel device.
    private func tunnelID(of query: RouteQuery) -> UInt64? {
        if let id = query.tunnelID { return id }
        guard let iif = query.iif else { return 0 }
        guard let kind = interfaces.first(where: { $0.name == iif })?.kind else { return 0 }
        return metadataTunnelKinds.contains(kind) ? nil : 0
    }

    /// The VRF device the packet's oif, else iif, is or belongs to (l3mdev_fib_rule_match).
    func l3mdevMaster(of query: RouteQuery) -> NetInterface? {
        func vrf(of name: String?) -> NetInterface? {
            guard let name, let device = interfaces.first(where: { $0.name == name }) else { return nil }
            if device.kind == "vrf" { return device }
            guard let master = device.master else { return nil }
            return interfaces.first { $0.name == master && $0.kind == "vrf" }
        }
        return vrf(of: query.oif) ?? vrf(of: query.iif)
    }

    /// The table a matching rule looks the packet up in (an l3mdev rule: its VRF's).
    func tableToLookUp(_ rule: PolicyRule, _ query: RouteQuery) -> RuleTableChoice {
        switch rule.action {
        case .lookup(let table): return .table(table)
        default:
            guard let vrf = l3mdevMaster(of: query) else { return .unknown("no VRF device is on the packet's path") }
            guard let table = vrf.vrfTable else { return .unknown("the table of VRF \(vrf.name) was not collected") }
            return .table(RouteTable(String(table)))
        }
    }

    /// Whether the rule's suppressors reject a table's answer (fib4_rule_suppress / fib6_rule_suppress).
    /// Error routes (blackhole, unreachable, prohibit) are never suppressed: they end the lookup first.
    func suppresses(_ rule: PolicyRule, _ found: FIBMatch) -> RuleMatch {
        switch found.route.type {
        case .blackhole, .unreachable, .prohibit, .throw: return .no
        default: break
        }
        if let length = rule.suppressPrefixLength, Int(found.route.destination.length) <= length { return .yes }
        guard let group = rule.suppressInterfaceGroup, let device = found.nexthops.first?.dev ?? found.route.dev else {
            return .no
        }
        guard let own = interfaces.first(where: { $0.name == device })?.group else {
            return .unknown("the group of \(device) was not collected")
        }
        return Router.sameGroup(own, group) ? .yes : .no
    }

    /// Group names as iproute2 prints them: "default" is group 0.
    static func sameGroup(_ a: String, _ b: String) -> Bool {
        func normal(_ text: String) -> String { text == "0" ? "default" : text }
        return normal(a) == normal(b)
    }
}
