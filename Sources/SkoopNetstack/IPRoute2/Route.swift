import Foundation
import SkoopModel

/// A route type (rtm_type).
public enum RouteType: String, Hashable, Sendable, CaseIterable {
    case unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit, `throw`, nat, xresolve
}

/// One next hop of a route.
public struct Nexthop: Hashable, Sendable {
    /// The gateway, nil for a directly connected route.
    public var gateway: IPAddress?
    /// The outgoing interface.
    public var dev: String?
    /// The ECMP weight (1 when not given).
    public var weight: Int
    /// Flags: "onlink", "linkdown", "dead", ...
    public var flags: [String]

    /// Makes a next hop.
    public init(gateway: IPAddress? = nil, dev: String? = nil, weight: Int = 1, flags: [String] = []) {
        self.gateway = gateway
        self.dev = dev
        self.weight = weight
        self.flags = flags
    }

    /// The gateway is taken to be on the link even without a covering route.
    public var isOnlink: Bool { flags.contains("onlink") }
    /// The kernel marked it unusable.
    public var isDead: Bool { flags.contains("dead") }
}

/// A route from `ip -j route show table all` (or with -6).
public struct Route: Hashable, Sendable {
    /// The route type (unicast when iproute2 printed none).
    public var type: RouteType
    /// The destination prefix ("default" is /0; a bare address is a host prefix).
    public var destination: IPPrefix
    /// The table (main when not printed).
    public var table: RouteTable
    /// The TOS selector (0: any).
    public var tos: UInt8
    /// The gateway of a single-path route.
    public var gateway: IPAddress?
    /// The outgoing interface of a single-path route.
    public var dev: String?
    /// Who installed it: "kernel", "boot", "static", "bird", ...
    public var protocolName: String?
    /// The scope (global when not printed).
    public var scope: RouteScope
    /// The metric/priority (0 when not printed).
    public var metric: UInt32
    /// The preferred source address.
    public var preferredSource: IPAddress?
    /// Flags: "onlink", "linkdown", "dead", ...
    public var flags: [String]
    /// The next hops of a multipath route; empty for a single-path route.
    public var multipath: [Nexthop]

    /// Makes a route.
    public init(type: RouteType = .unicast, destination: IPPrefix, table: RouteTable = .main, tos: UInt8 = 0,
                gateway: IPAddress? = nil, dev: String? = nil, protocolName: String? = nil,
                scope: RouteScope = .global, metric: UInt32 = 0, preferredSource: IPAddress? = nil,
                flags: [String] = [], multipath: [Nexthop] = []) {
        self.type = type
        self.destination = destination
        self.table = table
        self.tos = tos
        self.gateway = gateway
        self.dev = dev
        self.protocolName = protocolName
        self.scope = scope
        self.metric = metric
        self.preferredSource = preferredSource
        self.flags = flags
        self.multipath = multipath
    }

    /// The address family.
    public var family: AddressFamily { destination.family }

    /// The route's next hops: its multipath list, or its single gateway/dev.
    public var nexthops: [Nexthop] {
        multipath.isEmpty ? [Nexthop(gateway: gateway, dev: dev, weight: 1, flags: flags)] : multipath
    }

    /// Parses `ip -j route show ...`. The family of "default" and of mixed output is read from each
    /// route's addresses (IPv6 routes also carry "pref"), falling back to `family`.
    public static func parse(_ data: Data, source: String, family: AddressFamily = .inet) throws(InputError) -> [Route] {
        try parseRecords(data, source: source, context: family)
    }
}

extension Route: IPRoute2Record {
    static let arrayDescription = "a JSON array of routes (ip -j route show)"
    static let elementName = "route"
    typealias Context = AddressFamily

    init<Fields: IPRoute2Fields>(_ e: Fields, context fallback: AddressFamily) throws(Fields.Failure) {
        let typeText = try e.string("type") ?? "unicast"
        guard let type = RouteType(rawValue: typeText) else {
            throw e.failure("type", "a route type (unicast, local, blackhole...)", found: .string(typeText))
        }
        var multipath: [Nexthop] = []
        for hop in try e.children("nexthops", element: "nexthop") {
            multipath.append(Nexthop(gateway: try Route.gateway(of: hop), dev: try hop.string("dev"),
                                     weight: try hop.int("weight") ?? 1, flags: try hop.strings("flags")))
        }
        let gateway = try Route.gateway(of: e)
        let preferredSource = try e.address("prefsrc")
        let family = gateway?.family ?? preferredSource?.family ?? multipath.lazy.compactMap(\.gateway).first?.family
            ?? (e.has("pref") ? .inet6 : fallback)
        guard let destination = try e.prefix("dst", family: family) else { throw e.failure("dst", "a destination", found: nil) }
        let tos = try e.hex32("tos") ?? 0
        let metric = try e.int("metric") ?? 0
        guard tos <= 0xff, let metric32 = UInt32(exactly: metric) else {
            throw e.failure("metric", "a metric and a TOS in range", found: .number(String(metric)))
        }
        self.init(type: type, destination: destination, table: (try e.string("table")).map(RouteTable.init) ?? .main,
                  tos: UInt8(tos), gateway: gateway, dev: try e.string("dev"), protocolName: try e.string("protocol"),
                  scope: try e.scope("scope") ?? .global, metric: metric32, preferredSource: preferredSource,
                  flags: try e.strings("flags"), multipath: multipath)
    }

    /// "gateway", or RTA_VIA printed as {"family": ..., "host": ...}.
    static func gateway<Fields: IPRoute2Fields>(of e: Fields) throws(Fields.Failure) -> IPAddress? {
        if let gateway = try e.address("gateway") { return gateway }
        return try e.child("via")?.address("host")
    }
}
