import SkoopModel

/// One network namespace's routing: policy rules, tables and addresses, queried as the kernel's
/// `fib_lookup` would (IPv4 and IPv6).
public struct Router: Sendable {
    /// The interfaces of the netns.
    public let interfaces: [NetInterface]
    /// The addresses of the netns, in `ip addr` order.
    public let addresses: [InterfaceAddress]
    /// IPv4 rules by priority (the kernel defaults when none were given).
    public let rules4: [PolicyRule]
    /// IPv6 rules by priority (the kernel defaults when none were given).
    public let rules6: [PolicyRule]
    /// Every route, without duplicates, in input order.
    public let routes: [Route]
    /// The name of the loopback device ("lo"), where local deliveries go.
    public let loopbackName: String

    /// Routes per (family, table), most specific first, then by metric, with their groups by
    /// prefix length: a lookup visits one group per length instead of every route (a node of
    /// a 5,000-node cluster has 5,000).
    let tables: [TableKey: IndexedRouteTable]
    /// The same routes grouped by prefix length (longest first) and network: a lookup visits
    /// one group per length instead of every route (a node of a 5,000-node cluster has 5,000).

    struct TableKey: Hashable, Sendable {
        var family: AddressFamily
        var table: RouteTable
    }

    /// Builds a router. `rules` may mix both families; a family without rules gets the kernel's
    /// defaults. `routes` may repeat routes (e.g. `ip route show table all` and `ip -6 route show
    /// table all` overlap); duplicates are dropped.
    public init(interfaces: [NetInterface] = [], addresses: [InterfaceAddress] = [], rules: [PolicyRule] = [],
                routes: [Route]) {
        self.interfaces = interfaces
        self.addresses = addresses
        func ordered(_ family: AddressFamily) -> [PolicyRule] {
            let given = rules.filter { $0.family == family }
            // A stable sort: rules of equal priority keep their listed order, as in the kernel.
            let chosen = given.isEmpty ? PolicyRule.kernelDefaults(family) : given
            return chosen.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
                .map(\.element)
        }
        rules4 = ordered(.inet)
        rules6 = ordered(.inet6)
        // Exact duplicates are dropped. Routes are told apart by a small key first, compared in
        // full only when it matches: hashing each whole route (names, flags) cost more than the
        // rest of building a router of 5,000 routes.
        var seen: [RouteIdentity: [Int]] = [:]
        seen.reserveCapacity(routes.count)
        var unique: [Route] = []
        unique.reserveCapacity(routes.count)
        for route in routes {
            let identity = RouteIdentity(table: route.table, destination: route.destination, tos: route.tos, metric: route.metric)
            if let same = seen[identity], same.contains(where: { unique[$0] == route }) { continue }
            seen[identity, default: []].append(unique.count)
            unique.append(route)
        }
        self.routes = unique
        loopbackName = interfaces.first(where: \.isLoopback)?.name ?? "lo"
        var tables: [TableKey: [Route]] = [:]
        for route in unique { tables[TableKey(family: route.family, table: route.table), default: []].append(route) }
        for (key, list) in tables {
            // Positions are sorted, not routes: moving 5,000 whole routes about cost more.
            tables[key] = list.indices.sorted { a, b in
                let x = list[a], y = list[b]
                if x.destination.length != y.destination.length { return x.destination.length > y.destination.length }
                // Routes with a TOS are tried before TOS-less ones of the same prefix.
                if (x.tos != 0) != (y.tos != 0) { return x.tos != 0 }
                if x.metric != y.metric { return x.metric < y.metric }
                return a < b
            }.map { list[$0] }
        }
        self.tables = tables.mapValues { IndexedRouteTable(routes: $0, groups: RouteLengthGroup.grouping($0)) }
    }

    /// The rules consulted for a family.
    public func rules(for family: AddressFamily) -> [PolicyRule] { family == .inet ? rules4 : rules6 }

    /// The routes of one table and family, most specific first.
    public func routes(in table: RouteTable, family: AddressFamily) -> [Route] {
        tables[TableKey(family: family, table: table)]?.routes ?? []
    }

    /// Routes `query` as the kernel would: rules by priority, then the longest-prefix, lowest-metric
    /// route of the rule's table; a throw route or a miss continues with the next rule.
    public func lookup(_ query: RouteQuery) -> RouteResult { lookup(query, choosingSource: true) }

    /// `lookup(_:)`, without choosing the source address of a locally generated packet when
    /// `choosingSource` is false: checks that only ask where a packet would go (the plugin check
    /// asks for every node's pod CIDR) need not pay for it.
    public func lookup(_ query: RouteQuery, choosingSource: Bool) -> RouteResult {
        if let special = specialDestination(query) { return special }
        let rules = rules(for: query.destination.family)
        var uncertainties: [String] = []
        func finish(_ result: RouteResult) -> RouteResult {
            var result = result
            result.uncertainties = uncertainties
            return result
        }
        var index = 0
        var steps = 0
        while index < rules.count, steps <= rules.count * 2 {
            steps += 1
            let rule = rules[index]
            switch match(rule, query) {
            case .no:
                index += 1
                continue
            case .unknown(let reason):
                // Both branches are not explored: the rule is assumed not to match, and the answer says so.
                uncertainties.append("rule \"\(rule)\" may match (\(reason)); assumed not to")
                index += 1
                continue
            case .yes:
                break
            }
            switch rule.action {
            case .goto(let target):
                // Like the kernel: jump to the first rule with exactly that priority (only forward);
                // an unresolved goto is skipped.
                if let jump = rules.indices.first(where: { $0 > index && rules[$0].priority == target }) {
                    index = jump
                } else {
                    index += 1
                }
                continue
            case .nop:
                index += 1
                continue
            case .unsupported(let action):
                uncertainties.append("rule \"\(rule)\" matches, but Skoop does not simulate its action \"\(action)\"; skipped")
                index += 1
                continue
            case .blackhole: return finish(RouteResult(query: query, outcome: .blackhole, rule: rule))
            case .unreachable: return finish(RouteResult(query: query, outcome: .unreachable, rule: rule))
            case .prohibit: return finish(RouteResult(query: query, outcome: .prohibit, rule: rule))
            case .lookup, .lookupL3mdevTable:
                let table: RouteTable
                switch tableToLookUp(rule, query) {
                case .table(let chosen): table = chosen
                case .unknown(let reason):
                    uncertainties.append("rule \"\(rule)\" matches, but \(reason); skipped")
                    index += 1
                    continue
                }
                guard let found = fibLookup(table: table, query: query) else { index += 1; continue }
                if found.route.type == .throw { index += 1; continue }
                switch suppresses(rule, found) {
                case .yes:
                    index += 1
                    continue
                case .unknown(let reason):
                    uncertainties.append("rule \"\(rule)\" may ignore its answer (\(reason)); assumed not to")
                case .no:
                    break
                }
                return finish(result(for: found, table: table, rule: rule, query: query, choosingSource: choosingSource))
            }
        }
        return finish(fallbackWithoutRoute(query))
    }

    /// A route of a table with the next hops usable for this query.
    struct FIBMatch {
        var route: Route
        var nexthops: [Nexthop]
    }

    /// The table's answer: longest prefix, then TOS and metric; error routes (throw, blackhole,
    /// unreachable, prohibit) answer at once, unicast ones need a live next hop (on `oif` if given).
    func fibLookup(table: RouteTable, query: RouteQuery) -> FIBMatch? {
        for group in tables[TableKey(family: query.destination.family, table: table)]?.groups ?? [] {
            guard let network = IPPrefix(query.destination, length: group.length)?.network,
                  let candidates = group.byNetwork[network] else { continue }
            if let match = firstUsable(candidates, query) { return match }
        }
        return nil
    }

    /// The first of `candidates` (routes whose prefix holds the destination) the query can use.
    private func firstUsable(_ candidates: [Route], _ query: RouteQuery) -> FIBMatch? {
        for route in candidates {
            if route.tos != 0, route.tos != query.tos { continue }
            switch route.type {
            case .throw, .blackhole, .unreachable, .prohibit, .nat, .xresolve:
                return FIBMatch(route: route, nexthops: [])
            case .unicast, .local, .broadcast, .anycast, .multicast:
                func isUsable(_ hop: Nexthop) -> Bool {
                    !hop.isDead && (query.oif == nil || route.type != .unicast || hop.dev == query.oif)
                }
                if route.multipath.isEmpty {  // one array, not a list of next hops filtered into another
                    let hop = Nexthop(gateway: route.gateway, dev: route.dev, weight: 1, flags: route.flags)
                    if !isUsable(hop) { continue }
                    return FIBMatch(route: route, nexthops: [hop])
                }
                let usable = route.nexthops.filter(isUsable)
                if usable.isEmpty { continue }
                return FIBMatch(route: route, nexthops: usable)
            }
        }
        return nil
    }

    func result(for match: FIBMatch, table: RouteTable, rule: PolicyRule, query: RouteQuery,
                choosingSource: Bool = true) -> RouteResult {
        let route = match.route
        var result = RouteResult(query: query, outcome: .noRoute, rule: rule, table: table, route: route)
        switch route.type {
        case .unicast:
            result.outcome = .unicast
            result.branches = match.nexthops.map { RouteBranch(gateway: $0.gateway, oif: $0.dev, weight: $0.weight) }
        case .local, .anycast:
            result.outcome = .local
            result.branches = [RouteBranch(gateway: nil, oif: loopbackName)]
        case .broadcast:
            result.outcome = .broadcast
            result.branches = [RouteBranch(gateway: nil, oif: route.dev)]
        case .multicast:
            result.outcome = .multicast
            result.branches = [RouteBranch(gateway: nil, oif: route.dev)]
        case .blackhole, .nat, .xresolve, .throw: result.outcome = .blackhole
        case .unreachable: result.outcome = .unreachable
        case .prohibit: result.outcome = .prohibit
        }
        if choosingSource, query.isLocallyGenerated, result.outcome.delivers {
            result.source = query.source ?? selectSource(for: route, branch: result.branches.first, query: query)
        }
        return result
    }

    /// Destinations the kernel answers before any rule: the limited broadcast address.
    func specialDestination(_ query: RouteQuery) -> RouteResult? {
        guard query.destination == .v4(.broadcast) else { return nil }
        var result = RouteResult(query: query, outcome: .broadcast)
        if query.isLocallyGenerated {
            let oif = query.oif ?? addresses.first(where: { $0.family == .inet && $0.scope == .global })?.interface
            result.branches = [RouteBranch(gateway: nil, oif: oif)]
            result.source = query.source ?? oif.flatMap { primaryAddress(on: $0, family: .inet, within: .link) }
        }
        return result
    }

    /// No rule answered. A locally generated IPv4 packet bound to an interface is then assumed to
    /// be on that link, as the kernel does; anything else has no route.
    func fallbackWithoutRoute(_ query: RouteQuery) -> RouteResult {
        guard query.isLocallyGenerated, let oif = query.oif, query.destination.family == .inet else {
            return RouteResult(query: query, outcome: .noRoute)
        }
        return RouteResult(query: query, outcome: .unicast, branches: [RouteBranch(gateway: nil, oif: oif)],
                           source: query.source ?? primaryAddress(on: oif, family: .inet, within: .host))
    }
}

/// What tells most routes apart, cheap to hash.
private struct RouteIdentity: Hashable {
    var table: RouteTable
    var destination: IPPrefix
    var tos: UInt8
    var metric: UInt32
}

/// One routing table: its routes in lookup order and the same routes by prefix length.
struct IndexedRouteTable: Sendable {
    let routes: [Route]
    let groups: [RouteLengthGroup]
}

/// Routes of one prefix length, by network address (in their table's order).
struct RouteLengthGroup: Sendable {
    let length: Int
    let byNetwork: [IPAddress: [Route]]

    /// `routes` (most specific first) grouped by prefix length, longest first, keeping their order.
    static func grouping(_ routes: [Route]) -> [RouteLengthGroup] {
        var groups: [RouteLengthGroup] = []
        var start = 0
        while start < routes.count {
            let length = routes[start].destination.length
            var end = start
            while end < routes.count, routes[end].destination.length == length { end += 1 }
            var byNetwork: [IPAddress: [Route]] = [:]
            byNetwork.reserveCapacity(end - start)
            end = start
            while end < routes.count, routes[end].destination.length == length {
                byNetwork[routes[end].destination.network, default: []].append(routes[end])
                end += 1
            }
            groups.append(RouteLengthGroup(length: Int(length), byNetwork: byNetwork))
            start = end
        }
        return groups
    }
}
