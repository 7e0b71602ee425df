import Foundation
import SkoopModel

/// A network interface as `ip -j -d link show` prints it.
public struct NetInterface: Hashable, Sendable {
    /// The ifindex.
    public var index: Int
    /// The interface name ("eth0", "cni0").
    public var name: String
    /// linkinfo.info_kind: "veth", "bridge", "vxlan", "ipip", ...; nil for a plain device or lo.
    public var kind: String?
    /// The master device (bridge or bond) this interface is enslaved to.
    public var master: String?
    /// The MTU.
    public var mtu: Int?
    /// The operational state: "UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN".
    public var operState: String?
    /// Flags such as "UP", "LOWER_UP", "BROADCAST", "LOOPBACK", "NO-CARRIER".
    public var flags: [String]
    /// "ether", "loopback", "none", ...
    public var linkType: String?
    /// The MAC address.
    public var address: String?
    /// The peer or lower device's name (`link`), printed when it is in the same netns.
    public var peerName: String?
    /// The peer or lower device's ifindex (`link_index`), printed when it is in another netns.
    public var peerIndex: Int?
    /// The netns id (`link_netnsid`) the peer lives in.
    public var peerNetnsID: Int?
    /// The interface alias (`ifalias`).
    public var alias: String?
    /// linkinfo.info_slave_kind: "bridge", "bond", ...
    public var slaveKind: String?
    /// Port settings, when the interface is a bridge port.
    public var bridgePort: BridgePortInfo?
    /// VXLAN settings, when `kind` is "vxlan".
    public var vxlan: VXLANInfo?
    /// Bridge settings, when `kind` is "bridge".
    public var bridge: BridgeInfo?
    /// The interface group as printed ("default", a number or a name from /etc/iproute2/group).
    public var group: String?
    /// The routing table of a VRF device (`kind` "vrf").
    public var vrfTable: UInt32?

    /// Makes an interface.
    public init(index: Int, name: String, kind: String? = nil, master: String? = nil, mtu: Int? = nil,
                operState: String? = nil, flags: [String] = ["UP", "LOWER_UP"], linkType: String? = nil,
                address: String? = nil, peerName: String? = nil, peerIndex: Int? = nil, peerNetnsID: Int? = nil,
                alias: String? = nil, slaveKind: String? = nil, bridgePort: BridgePortInfo? = nil,
                vxlan: VXLANInfo? = nil, bridge: BridgeInfo? = nil) {
        self.index = index
        self.name = name
        self.kind = kind
        self.master = master
        self.mtu = mtu
        self.operState = operState
        self.flags = flags
        self.linkType = linkType
        self.address = address
        self.peerName = peerName
        self.peerIndex = peerIndex
        self.peerNetnsID = peerNetnsID
        self.alias = alias
        self.slaveKind = slaveKind
        self.bridgePort = bridgePort
        self.vxlan = vxlan
        self.bridge = bridge
    }

    /// Administratively up (flag UP).
    public var isUp: Bool { flags.contains("UP") }
    /// Has carrier (flag LOWER_UP).
    public var hasCarrier: Bool { flags.contains("LOWER_UP") }
    /// The loopback device.
    public var isLoopback: Bool { flags.contains("LOOPBACK") || linkType == "loopback" }

    /// Parses `ip -j -d link show`.
    public static func parse(_ data: Data, source: String) throws(InputError) -> [NetInterface] {
        let elements = try IPRoute2Element.elements(
            of: data, source: source, expected: "a JSON array of interfaces (ip -j -d link show)", element: "interface")
        var result: [NetInterface] = []
        for element in elements { result.append(try NetInterface(element)) }
        return result
    }

    init(_ e: IPRoute2Element) throws(InputError) {
        self.init(index: try e.requiredInt("ifindex"), name: try e.requiredString("ifname"),
                  master: try e.string("master"), mtu: try e.int("mtu"), operState: try e.string("operstate"),
                  flags: try e.strings("flags"), linkType: try e.string("link_type"), address: try e.string("address"),
                  peerName: try e.string("link"), peerIndex: try e.int("link_index"),
                  peerNetnsID: try e.int("link_netnsid"), alias: try e.string("ifalias"))
        group = try e.string("group")
        guard let info = try e.child("linkinfo") else { return }
        kind = try info.string("info_kind")
        slaveKind = try info.string("info_slave_kind")
        if slaveKind == "bridge", let data = try info.child("info_slave_data") {
            bridgePort = try BridgePortInfo(data)
        }
        let data = try info.child("info_data")
        switch kind {
        case "vxlan": if let data { vxlan = try VXLANInfo(data) }
        case "bridge": if let data { bridge = try BridgeInfo(data) }
        case "vrf": vrfTable = try data?.hex32("table")
        default: break
        }
    }
}

/// A bridge port's settings (linkinfo.info_slave_data with info_slave_kind "bridge").
public struct BridgePortInfo: Hashable, Sendable {
    /// STP state: "forwarding", "blocking", "disabled", "learning", "listening".
    public var state: String?
    /// Hairpin mode: frames may leave through the port they came in on.
    public var hairpin: Bool?
    /// MAC learning on this port.
    public var learning: Bool?
    /// Unknown-unicast flooding to this port.
    public var flood: Bool?
    /// Isolated port.
    public var isolated: Bool?
    /// Proxy ARP on this port.
    public var proxyARP: Bool?

    /// Makes port settings.
    public init(state: String? = "forwarding", hairpin: Bool? = false, learning: Bool? = true, flood: Bool? = true,
                isolated: Bool? = false, proxyARP: Bool? = false) {
        self.state = state
        self.hairpin = hairpin
        self.learning = learning
        self.flood = flood
        self.isolated = isolated
        self.proxyARP = proxyARP
    }

    init(_ e: IPRoute2Element) throws(InputError) {
        self.init(state: try e.string("state"), hairpin: try e.bool("hairpin"), learning: try e.bool("learning"),
                  flood: try e.bool("flood"), isolated: try e.bool("isolated"), proxyARP: try e.bool("proxy_arp"))
    }
}

/// A VXLAN device's settings (linkinfo.info_data).
public struct VXLANInfo: Hashable, Sendable {
    /// The VNI.
    public var id: UInt32
    /// The UDP destination port (4789, or 8472 for flannel).
    public var port: Int?
    /// The local tunnel address.
    public var local: IPAddress?
    /// A fixed unicast remote.
    public var remote: IPAddress?
    /// A multicast group.
    public var group: IPAddress?
    /// The underlay device (`link`).
    public var underlayDevice: String?
    /// Whether the device learns remote MACs.
    public var learning: Bool?

    /// Makes VXLAN settings.
    public init(id: UInt32, port: Int? = nil, local: IPAddress? = nil, remote: IPAddress? = nil,
                group: IPAddress? = nil, underlayDevice: String? = nil, learning: Bool? = nil) {
        self.id = id
        self.port = port
        self.local = local
        self.remote = remote
        self.group = group
        self.underlayDevice = underlayDevice
        self.learning = learning
    }

    init(_ e: IPRoute2Element) throws(InputError) {
        let id = try e.requiredInt("id")
        guard let vni = UInt32(exactly: id) else { throw e.failure("id", "a VXLAN id", found: .number(String(id))) }
        self.init(id: vni, port: try e.int("port"), local: try e.address("local", or: "local6"),
                  remote: try e.address("remote", or: "remote6"), group: try e.address("group", or: "group6"), underlayDevice: try e.string("link"),
                  learning: try e.bool("learning"))
    }
}

/// A bridge device's settings (linkinfo.info_data).
public struct BridgeInfo: Hashable, Sendable {
    /// VLAN filtering enabled.
    public var vlanFiltering: Bool?
    /// STP state (0 off).
    public var stpState: Int?
    /// Bridged IPv4 traffic goes through iptables (per-bridge override of br_netfilter).
    public var nfCallIptables: Bool?
    /// Bridged IPv6 traffic goes through ip6tables.
    public var nfCallIp6tables: Bool?

    /// Makes bridge settings.
    public init(vlanFiltering: Bool? = nil, stpState: Int? = nil, nfCallIptables: Bool? = nil,
                nfCallIp6tables: Bool? = nil) {
        self.vlanFiltering = vlanFiltering
        self.stpState = stpState
        self.nfCallIptables = nfCallIptables
        self.nfCallIp6tables = nfCallIp6tables
    }

    init(_ e: IPRoute2Element) throws(InputError) {
        self.init(vlanFiltering: try e.bool("vlan_filtering"), stpState: try e.int("stp_state"),
                  nfCallIptables: try e.bool("nf_call_iptables"), nfCallIp6tables: try e.bool("nf_call_ip6tables"))
    }
}
