import SkoopModel

/// The outcome of the kernel's source validation (fib_validate_source) of an arriving IPv4 packet.
public enum SourceValidation: Hashable, Sendable {
    /// The packet may go on.
    case passes
    /// The source is one of this netns's own addresses (a martian) and accept_local is off.
    case localSource(RouteResult)
    /// rp_filter rejects it: no usable route back (loose or strict), or, strict, none through the
    /// arrival interface. `back` is the route back the kernel found (or failed to find).
    case reversePathFails(back: RouteResult)
}

extension Router {
    /// The rp_filter check of a packet from `packetSource` to `destination` that arrived on `iif`
    /// (the kernel's fib_validate_source): the route back to the source, looked up as if sent from
    /// here with the addresses swapped, must be unicast (a source that is one of our own addresses
    /// fails); `.strict` also needs one of its next hops to leave through `iif`. `.off` always passes.
    public func reversePathCheck(packetSource: IPAddress, arrivedOn iif: String, destination: IPAddress,
                                 mode: ReversePathMode, fwmark: UInt32 = 0) -> Bool {
        if mode == .off { return true }
        let packet = Packet(src: packetSource, dst: destination, proto: .icmp, mark: fwmark)
        return validateSource(packet, arrivedOn: iif, mode: mode, acceptLocal: false, validMark: true,
                              addressless: false) == .passes
    }

    /// fib_validate_source for `packet` arriving on `iif`.
    /// - Parameters:
    ///   - forwardedThrough: for a forwarded packet, the interface its route leaves through (the
    ///     kernel looks the route back up as arriving there); nil for local delivery ("lo").
    ///   - acceptLocal: net.ipv4.conf.{all,iif}.accept_local: our own addresses are valid sources.
    ///   - validMark: src_valid_mark: the route back is looked up with the packet's mark (else 0).
    ///   - addressless: `iif` has no IPv4 address: then even loose mode needs the route back through it.
    public func validateSource(_ packet: Packet, arrivedOn iif: String, forwardedThrough: String? = nil,
                               mode: ReversePathMode, acceptLocal: Bool, validMark: Bool,
                               addressless: Bool) -> SourceValidation {
        // The route back: addresses and ports swapped, as root, with the mark only if it is valid.
        var back = RouteQuery(packet: packet.reply)
        back.fwmark = validMark ? packet.mark : 0
        back.iif = forwardedThrough ?? loopbackName
        back.uid = 0
        let result = lookup(back, choosingSource: false)
        switch result.outcome {
        case .local:
            if !acceptLocal { return .localSource(result) }
            if mode == .off || result.route?.dev == iif { return .passes }
        case .unicast:
            if mode == .off || result.branches.contains(where: { $0.oif == iif }) { return .passes }
        case .broadcast, .multicast:
            return mode == .off ? .passes : .reversePathFails(back: result)
        case .blackhole, .unreachable, .prohibit, .noRoute:
            return mode == .off ? .passes : .reversePathFails(back: result)
        }
        // The route back leaves elsewhere: strict fails, and so does loose on an interface without
        // an address (the kernel's last resort).
        return mode == .loose && !addressless ? .passes : .reversePathFails(back: result)
    }
}
