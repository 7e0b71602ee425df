import SkoopModel

/// The matches answered from the netns's own routing and sockets (rpfilter, owner, socket) and
/// from the packet's size (length), each as the kernel's xt module decides.
extension NetfilterEngine {
    /// xt_rpfilter: a loopback packet passes; the route back to the source (looked up as sent from
    /// here, with the packet's mark only for --validmark) must be unicast (or local with
    /// --accept-local) and leave through the incoming interface (any interface with --loose).
    func reversePathAnswer(_ options: [String], _ context: PacketContext) -> MatchAnswer {
        let invert = options.contains("--invert")
        func answer(_ valid: Bool, _ why: String) -> MatchAnswer {
            .assumed(valid != invert, "reverse path \(valid ? "valid" : "invalid"): \(why)")
        }
        if let fixed = context.reversePathValid { return fixed != invert ? .yes : .no }
        if context.inInterface == "lo" { return answer(true, "arrived on loopback") }
        let packet = context.packet
        if packet.src.isUnspecifiedNetwork, packet.dst.isLimitedBroadcast || packet.dst.isLocalMulticast {
            return answer(true, "a source-less broadcast or link-local multicast")
        }
        guard let lookup = context.reversePath, let inInterface = context.inInterface else {
            return .unknown("reverse path lookup not supplied")
        }
        let source: IPAddress? = packet.dst.isMulticast || packet.dst.isLimitedBroadcast ? nil : packet.dst
        let mark = options.contains("--validmark") ? packet.mark : 0
        guard let route = lookup(packet.src, source, mark) else {
            return answer(false, "no route back to \(packet.src)")
        }
        if route.type != .unicast && !(route.type == .local && options.contains("--accept-local")) {
            return answer(false, "the route back to \(packet.src) is \(route.type.rawValue)")
        }
        if options.contains("--loose") { return answer(true, "a route back to \(packet.src) exists (loose)") }
        if route.interfaces.contains(inInterface) { return answer(true, "the route back to \(packet.src) leaves through \(inInterface)") }
        let through = route.interfaces.sorted().joined(separator: ",")
        return answer(false, "the route back to \(packet.src) leaves through \(through.isEmpty ? "no interface" : through), not \(inInterface)")
    }

    /// xt_length: the IP packet's total length. Unknown, it is decided only when every length the
    /// packet could have (its headers' minimum up to 65535) falls on the same side.
    func lengthAnswer(_ range: ClosedRange<UInt32>, _ context: PacketContext) -> MatchAnswer {
        if let length = context.length ?? context.packet.length {
            return .assumed(range.contains(length), "packet length \(length) bytes")
        }
        let packet = context.packet
        let header: UInt32 = (packet.src.family == .inet ? 20 : 40) + (packet.proto == .tcp ? 20 : 8)
        if range.lowerBound <= header && range.upperBound >= 65535 { return .yes }
        if range.upperBound < header { return .no }
        return .unknown("the packet's length is unknown (a \(packet.proto.rawValue) datagram's size is the application's)")
    }

    /// xt_owner: only a locally generated packet has a socket (OUTPUT, and POSTROUTING after it);
    /// without one the match holds only when every option is negated.
    func ownerAnswer(_ owner: OwnerMatch, _ context: PacketContext, scope: Scope) -> MatchAnswer {
        guard scope.hook == .output || scope.hook == .postrouting else {
            return .unknown("the owner match is valid only in OUTPUT and POSTROUTING")
        }
        guard context.inInterface == nil else {
            return .assumed(owner.allNegated, "a forwarded packet has no local socket")
        }
        if owner.socketExists == true { return .assumed(false, "a locally generated packet has its socket") }
        guard owner.uid != nil || owner.gid != nil else { return .assumed(true, "a locally generated packet has its socket") }
        let socket: LocalSocket
        switch context.sendingSocket?(context.packet, context.direction, nil) ?? .unknown("the socket table was not supplied") {
        case .found(let found): socket = found
        case .none: return .unknown("no collected socket sent \(context.packet)")
        case .unknown(let why): return .unknown("the sending socket is unknown: \(why)")
        }
        var notes = ["sent by \(socket.description)"]
        if let (range, negated) = owner.uid {
            guard let uid = socket.uid else { return .unknown("the uid of \(socket.description) was not collected (ss -e shows it)") }
            if range.contains(uid) == negated { return .assumed(false, "uid \(uid); " + notes[0]) }
            notes.append("uid \(uid)")
        }
        if let (range, negated) = owner.gid {
            guard let gid = socket.gid, !owner.supplementaryGroups else {
                return .unknown("the groups of \(socket.description) were not collected")
            }
            if range.contains(gid) == negated { return .assumed(false, "gid \(gid); " + notes[0]) }
        }
        return .assumed(true, notes.reversed().joined(separator: "; "))
    }

    /// xt_socket: the socket the packet would be delivered to; one bound to the wildcard address
    /// does not count unless --nowildcard, and --transparent needs IP_TRANSPARENT.
    func socketAnswer(transparent: Bool, noWildcard: Bool, _ context: PacketContext, scope: Scope) -> MatchAnswer {
        guard scope.hook == .prerouting || scope.hook == .input else {
            return .unknown("the socket match is valid only in PREROUTING and INPUT")
        }
        let packet = context.packet
        guard packet.proto == .tcp || packet.proto == .udp else { return .no }
        switch context.receivingSocket?(packet, context.direction, context.inInterface) ?? .unknown("the socket table was not supplied") {
        case .none:
            return .assumed(false, "no local socket takes \(packet)")
        case .unknown(let why):
            return .unknown("the receiving socket is unknown: \(why)")
        case .found(let socket):
            if socket.boundToWildcard && !noWildcard {
                return .assumed(false, "\(socket.description) is bound to the wildcard address")
            }
            if transparent {
                guard let isTransparent = socket.transparent else {
                    return .unknown("whether \(socket.description) is transparent was not collected")
                }
                return .assumed(isTransparent, "\(socket.description) is \(isTransparent ? "" : "not ")transparent")
            }
            return .assumed(true, "taken by \(socket.description)")
        }
    }
}

extension IPAddress {
    /// 0.0.0.0/8 (a source-less packet).
    var isUnspecifiedNetwork: Bool {
        if case .v4(let address) = self { return address.value >> 24 == 0 }
        return self == IPAddress("::")
    }

    /// 255.255.255.255.
    var isLimitedBroadcast: Bool {
        if case .v4(let address) = self { return address == .broadcast }
        return false
    }

    /// A multicast address.
    var isMulticast: Bool {
        switch self {
        case .v4(let address): address.isMulticast
        case .v6(let address): address.isMulticast
        }
    }

    /// 224.0.0.0/24 (link-local multicast).
    var isLocalMulticast: Bool {
        if case .v4(let address) = self { return address.value >> 8 == 0xE0_0000 }
        return false
    }
}
