import SkoopModel

extension Router {
    /// The rp_filter check of a packet from `packetSource` to `destination` that arrived on `iif`
    /// (the kernel's fib_validate_source): the route back to the source, looked up as if sent from
    /// here with the addresses swapped, must be unicast (a source that is one of our own addresses
    /// fails); `.strict` also needs one of its next hops to leave through `iif`. `.off` always passes.
    public func reversePathCheck(packetSource: IPAddress, arrivedOn iif: String, destination: IPAddress,
                                 mode: ReversePathMode, fwmark: UInt32 = 0) -> Bool {
        if mode == .off { return true }
        let back = lookup(RouteQuery(destination: packetSource, source: destination, fwmark: fwmark))
        guard back.outcome == .unicast else { return false }
        switch mode {
        case .off, .loose: return true
        case .strict: return back.branches.contains { $0.oif == iif }
        }
    }
}
