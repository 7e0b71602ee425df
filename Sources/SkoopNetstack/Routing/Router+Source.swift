import SkoopModel

extension Router {
    /// The source address the kernel gives a locally generated packet on this route.
    func selectSource(for route: Route, branch: RouteBranch?, query: RouteQuery) -> IPAddress? {
        if let preferred = route.preferredSource { return preferred }
        switch query.destination {
        case .v4:
            // A local route without prefsrc: the packet goes to itself from its own address.
            if route.type == .local { return query.destination }
            guard let device = branch?.oif ?? route.dev else { return nil }
            // inet_select_addr: a gateway must be reachable on the link (scope link); a directly
            // connected destination may use a host-scope address too.
            let limit: RouteScope = branch?.gateway == nil ? .host : .link
            return primaryAddress(on: device, family: .inet, within: limit, near: branch?.gateway)
                ?? addresses.lazy.filter { $0.family == .inet && !$0.secondary && $0.scope != .link && $0.scope <= limit }
                .sorted { $0.interfaceIndex < $1.interfaceIndex }.first?.local
        case .v6(let destination):
            return selectSource6(toward: destination, device: branch?.oif ?? route.dev)
        }
    }

    /// The first primary IPv4 address on `device` with a scope no narrower than `limit`, preferring
    /// one whose subnet holds `near` (inet_select_addr).
    func primaryAddress(on device: String, family: AddressFamily, within limit: RouteScope,
                        near: IPAddress? = nil) -> IPAddress? {
        // A plain loop: this runs for every route lookup of a locally generated packet.
        var first: IPAddress?
        for address in addresses
        where address.interface == device && address.family == family && !address.secondary && !address.tentative
            && address.scope <= limit {
            guard let near else { return address.local }
            if address.subnet?.contains(near) == true { return address.local }
            if first == nil { first = address.local }
        }
        return first
    }

    /// RFC 6724 source selection, simplified as the kernel applies it: the destination itself if
    /// local, then an appropriate scope, a non-deprecated address, the outgoing interface, and the
    /// longest matching prefix.
    func selectSource6(toward destination: IPv6Address, device: String?) -> IPAddress? {
        let destinationScope = scope6(destination)
        let candidates = addresses.filter { address in
            guard address.family == .inet6, !address.tentative, let local = address.local.v6 else { return false }
            // Link-local sources only on their own link; loopback only toward loopback.
            if address.scope == .link, device != nil, address.interface != device { return false }
            if local.isLoopback != destination.isLoopback { return false }
            return true
        }
        func rank(_ address: InterfaceAddress) -> (Int, Int, Int, Int, Int) {
            guard let local = address.local.v6 else { return (1, 1, 1, 1, 0) }
            let same = local == destination ? 0 : 1
            let sourceScope = scope6(local)
            // Prefer the smallest scope that still reaches the destination, then any larger one.
            let scopeRank = sourceScope >= destinationScope ? Int(sourceScope - destinationScope) : 1000 + Int(destinationScope - sourceScope)
            let deprecated = address.deprecated ? 1 : 0
            let onDevice = address.interface == device ? 0 : 1
            return (same, scopeRank, deprecated, onDevice, -commonPrefixLength(local, destination))
        }
        return candidates.min { rank($0) < rank($1) }?.local
    }

    /// The RFC 4291 scope value of an address: 1 interface, 2 link, 5 site, 14 global.
    func scope6(_ address: IPv6Address) -> UInt8 {
        if address.isLoopback { return 1 }
        if address.high >> 54 == 0x3FA { return 2 }  // fe80::/10
        if address.high >> 56 == 0xFF { return UInt8(truncatingIfNeeded: address.high >> 48) & 0x0F }
        return 14
    }

    func commonPrefixLength(_ a: IPv6Address, _ b: IPv6Address) -> Int {
        let high = (a.high ^ b.high).leadingZeroBitCount
        return high < 64 ? high : 64 + (a.low ^ b.low).leadingZeroBitCount
    }
}
