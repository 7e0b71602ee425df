import Foundation
import SkoopModel

/// A neighbour (ARP/NDP) entry from `ip -j neigh show`.
public struct Neighbor: Hashable, Sendable {
    /// The neighbour's IP address.
    public var destination: IPAddress
    /// The interface.
    public var dev: String
    /// The link-layer address, absent for FAILED/INCOMPLETE entries.
    public var lladdr: String?
    /// NUD states: "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "INCOMPLETE", "PERMANENT", "NOARP".
    public var states: [String]
    /// The neighbour is a router (IPv6).
    public var isRouter: Bool
    /// A proxy entry.
    public var isProxy: Bool

    /// Makes an entry.
    public init(destination: IPAddress, dev: String, lladdr: String? = nil, states: [String] = ["REACHABLE"],
                isRouter: Bool = false, isProxy: Bool = false) {
        self.destination = destination
        self.dev = dev
        self.lladdr = lladdr
        self.states = states
        self.isRouter = isRouter
        self.isProxy = isProxy
    }

    /// Resolution failed: packets to this neighbour are dropped.
    public var isFailed: Bool { states.contains("FAILED") }
    /// Has a usable link-layer address.
    public var isResolved: Bool { lladdr != nil && !isFailed && !states.contains("INCOMPLETE") }

    /// Parses `ip -j neigh show`.
    public static func parse(_ data: Data, source: String) throws(InputError) -> [Neighbor] {
        try parseRecords(data, source: source, context: ())
    }
}

extension Neighbor: IPRoute2Record {
    static let arrayDescription = "a JSON array of neighbours (ip -j neigh show)"
    static let elementName = "neighbour"

    init<Fields: IPRoute2Fields>(_ e: Fields, context: ()) throws(Fields.Failure) {
        self.init(destination: try e.requiredAddress("dst"), dev: try e.string("dev") ?? "",
                  lladdr: try e.string("lladdr"), states: try e.strings("state"), isRouter: e.flag("router"),
                  isProxy: e.flag("proxy"))
    }
}

/// A bridge forwarding database entry from `bridge -j fdb show`.
public struct FDBEntry: Hashable, Sendable {
    /// The MAC address.
    public var mac: String
    /// The port (or VXLAN device) the entry belongs to.
    public var ifname: String
    /// The remote VTEP, for VXLAN entries.
    public var dst: IPAddress?
    /// The bridge the port belongs to, for bridge (master) entries.
    public var master: String?
    /// The VLAN.
    public var vlan: Int?
    /// The VNI, for VXLAN entries with an explicit one.
    public var vni: Int?
    /// "permanent", "static", "" (learned), ...
    public var state: String
    /// Flags: "self", "master", "extern_learn", "offload", ...
    public var flags: [String]

    /// Makes an entry.
    public init(mac: String, ifname: String, dst: IPAddress? = nil, master: String? = nil, vlan: Int? = nil,
                vni: Int? = nil, state: String = "", flags: [String] = []) {
        self.mac = mac
        self.ifname = ifname
        self.dst = dst
        self.master = master
        self.vlan = vlan
        self.vni = vni
        self.state = state
        self.flags = flags
    }

    /// An entry of the device itself (flag "self"), e.g. a VXLAN remote, rather than of a bridge.
    public var isSelf: Bool { flags.contains("self") }
    /// Never ages out.
    public var isPermanent: Bool { state == "permanent" || state == "static" }

    /// Parses `bridge -j fdb show`.
    public static func parse(_ data: Data, source: String) throws(InputError) -> [FDBEntry] {
        try parseRecords(data, source: source, context: ())
    }
}

extension FDBEntry: IPRoute2Record {
    static let arrayDescription = "a JSON array of FDB entries (bridge -j fdb show)"
    static let elementName = "entry"

    init<Fields: IPRoute2Fields>(_ e: Fields, context: ()) throws(Fields.Failure) {
        self.init(mac: try e.requiredString("mac"), ifname: try e.requiredString("ifname"), dst: try e.address("dst"),
                  master: try e.string("master"), vlan: try e.int("vlan"), vni: try e.int("vni"),
                  state: try e.string("state") ?? "", flags: try e.strings("flags"))
    }
}
