import Foundation
import SkoopModel

/// What a policy rule does when it matches.
public enum RuleAction: Hashable, Sendable {
    /// Look the packet up in a table; a miss (or a throw route) continues with the next rule.
    case lookup(RouteTable)
    /// `l3mdev`: look the packet up in the table of the VRF its interface belongs to.
    case lookupL3mdevTable
    /// Continue at the rule with this priority.
    case goto(UInt32)
    /// Drop silently.
    case blackhole
    /// Drop with "network unreachable".
    case unreachable
    /// Drop with "administratively prohibited".
    case prohibit
    /// Do nothing and continue.
    case nop
    /// An action Skoop does not simulate (as printed, e.g. "masquerade"): its outcome is uncertain.
    case unsupported(String)
}

/// A port selector (`sport`/`dport`): a range, or a value under a mask.
public struct PortSelector: Hashable, Sendable, CustomStringConvertible {
    /// The first port of the range (the value when `mask` is set).
    public var start: UInt16
    /// The last port of the range.
    public var end: UInt16
    /// A mask: the port matches when it equals `start` on these bits (0: a plain range).
    public var mask: UInt16

    /// Makes a selector; `mask` 0 means the range `start...end`.
    public init(start: UInt16, end: UInt16? = nil, mask: UInt16 = 0) {
        self.start = start
        self.end = end ?? start
        self.mask = mask
    }

    /// The kernel's fib_rule_port_match.
    public func matches(_ port: UInt16) -> Bool {
        if mask != 0 { return (start ^ port) & mask == 0 }
        return start <= port && port <= end
    }

    public var description: String {
        if mask != 0, mask != .max { return "0x" + String(start, radix: 16) + "/0x" + String(mask, radix: 16) }
        return start == end ? "\(start)" : "\(start)-\(end)"
    }
}

/// A policy routing rule from `ip -j rule show` (or with -6).
public struct PolicyRule: Hashable, Sendable {
    /// The priority (preference): rules run from the lowest.
    public var priority: UInt32
    /// The address family the rule belongs to.
    public var family: AddressFamily
    /// `not`: the selectors' result is inverted.
    public var invert: Bool
    /// `from`: nil means all.
    public var source: IPPrefix?
    /// `to`: nil means all.
    public var destination: IPPrefix?
    /// `fwmark` value, nil when the rule has no mark selector.
    public var fwmark: UInt32?
    /// `fwmark` mask (all ones when only a value was given).
    public var fwmask: UInt32
    /// `iif`: the incoming interface ("lo" for locally generated packets).
    public var iif: String?
    /// `oif`: the outgoing interface the caller asked for.
    public var oif: String?
    /// `tos` (0: any), the legacy selector: IPv4 compares only the TOS bits 0x1c.
    public var tos: UInt8
    /// `suppress_prefixlength`: a lookup result with a prefix this short or shorter is ignored.
    public var suppressPrefixLength: Int?
    /// What the rule does.
    public var action: RuleAction
    /// `iif` names an interface that does not exist ("[detached]"): the rule never matches.
    public var iifDetached: Bool
    /// `oif` names an interface that does not exist: the rule never matches.
    public var oifDetached: Bool
    /// `ipproto`: the IP protocol number.
    public var ipProtocol: UInt8?
    /// `sport`.
    public var sourcePorts: PortSelector?
    /// `dport`.
    public var destinationPorts: PortSelector?
    /// `uidrange`: the owners of the sending socket.
    public var uidRange: ClosedRange<UInt32>?
    /// `tun_id`: the tunnel key of packets received on a metadata (collect_md) tunnel.
    public var tunnelID: UInt64?
    /// `dscp` (6 bits, the whole field), with `dscpMask`.
    public var dscp: UInt8?
    /// The DSCP bits `dscp` compares (0x3f: all).
    public var dscpMask: UInt8
    /// `flowlabel` (IPv6), with `flowLabelMask`.
    public var flowLabel: UInt32?
    /// The flow-label bits compared.
    public var flowLabelMask: UInt32
    /// `suppress_ifgroup`: a result leaving through a device of this group is ignored (as printed).
    public var suppressInterfaceGroup: String?
    /// `realms`, as printed ("3/4"): a route classifier tag, no effect on the path.
    public var realms: String?
    /// `protocol`: who installed the rule, no effect on the path.
    public var installedBy: String?
    /// Keys of the rule Skoop does not know, or values it cannot read: the rule's outcome is uncertain.
    public var unsupported: [String]

    /// Makes a rule.
    public init(priority: UInt32, family: AddressFamily = .inet, invert: Bool = false, source: IPPrefix? = nil,
                destination: IPPrefix? = nil, fwmark: UInt32? = nil, fwmask: UInt32 = .max, iif: String? = nil,
                oif: String? = nil, tos: UInt8 = 0, suppressPrefixLength: Int? = nil, action: RuleAction,
                iifDetached: Bool = false, oifDetached: Bool = false, ipProtocol: UInt8? = nil,
                sourcePorts: PortSelector? = nil, destinationPorts: PortSelector? = nil,
                uidRange: ClosedRange<UInt32>? = nil, tunnelID: UInt64? = nil, dscp: UInt8? = nil,
                dscpMask: UInt8 = 0x3f, flowLabel: UInt32? = nil, flowLabelMask: UInt32 = 0xfffff,
                suppressInterfaceGroup: String? = nil, realms: String? = nil, installedBy: String? = nil,
                unsupported: [String] = []) {
        self.priority = priority
        self.family = family
        self.invert = invert
        self.source = source
        self.destination = destination
        self.fwmark = fwmark
        self.fwmask = fwmask
        self.iif = iif
        self.oif = oif
        self.tos = tos
        self.suppressPrefixLength = suppressPrefixLength
        self.action = action
        self.iifDetached = iifDetached
        self.oifDetached = oifDetached
        self.ipProtocol = ipProtocol
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.uidRange = uidRange
        self.tunnelID = tunnelID
        self.dscp = dscp
        self.dscpMask = dscpMask
        self.flowLabel = flowLabel
        self.flowLabelMask = flowLabelMask
        self.suppressInterfaceGroup = suppressInterfaceGroup
        self.realms = realms
        self.installedBy = installedBy
        self.unsupported = unsupported
    }

    /// The kernel's default rules for a family: 0 local, 32766 main, and for IPv4 32767 default.
    public static func kernelDefaults(_ family: AddressFamily) -> [PolicyRule] {
        var rules = [PolicyRule(priority: 0, family: family, action: .lookup(.local)),
                     PolicyRule(priority: 32766, family: family, action: .lookup(.main))]
        if family == .inet { rules.append(PolicyRule(priority: 32767, family: family, action: .lookup(.default))) }
        return rules
    }

    /// Parses `ip -j rule show`; `family` is the family the output was asked for (-4 or -6).
    public static func parse(_ data: Data, source: String, family: AddressFamily = .inet) throws(InputError)
        -> [PolicyRule]
    {
        let elements = try IPRoute2Element.elements(
            of: data, source: source, expected: "a JSON array of rules (ip -j rule show)", element: "rule")
        var result: [PolicyRule] = []
        for element in elements { result.append(try PolicyRule(element, family: family)) }
        return result
    }
}

/// IP protocol names as iproute2 prints them (`ipproto`), with their numbers.
enum IPProtocolName {
    static let numbers: [String: UInt8] = [
        "icmp": 1, "igmp": 2, "ipip": 4, "ipencap": 4, "tcp": 6, "egp": 8, "pup": 12, "udp": 17, "idp": 22,
        "tp": 29, "dccp": 33, "ipv6": 41, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58,
        "icmpv6": 58, "mtp": 92, "beetph": 94, "encap": 98, "pim": 103, "comp": 108, "l2tp": 115, "sctp": 132,
        "udplite": 136, "mpls": 137, "ethernet": 143, "raw": 255,
    ]

    /// The number of `text` ("tcp", "6"); nil when it is neither a known name nor a number.
    static func number(_ text: String) -> UInt8? { numbers[text.lowercased()] ?? UInt8(text) }

    /// The name iproute2 prints for `number`.
    static func name(_ number: UInt8) -> String {
        switch number {
        case 1: "icmp"
        case 6: "tcp"
        case 17: "udp"
        case 58: "ipv6-icmp"
        case 132: "sctp"
        default: numbers.first { $0.value == number && $0.key != "ipencap" && $0.key != "icmpv6" }?.key ?? "\(number)"
        }
    }
}

/// DSCP names as iproute2 prints them (`dscp`, from rt_dsfield): CSn, AFxy, EF.
enum DSCPName {
    /// The 6-bit DSCP of `text` ("AF42", "36", "0x24"); nil when unknown.
    static func value(_ text: String) -> UInt8? {
        let upper = text.uppercased()
        if let number = IPRoute2Number.hex32(text: text) { return number <= 0x3f ? UInt8(number) : nil }
        if upper == "EF" { return 46 }
        if upper.hasPrefix("CS"), let n = UInt8(upper.dropFirst(2)), n <= 7 { return n << 3 }
        if upper.hasPrefix("AF"), upper.count == 4, let x = UInt8(String(Array(upper)[2])), let y = UInt8(String(Array(upper)[3])),
           (1...4).contains(x), (1...3).contains(y) {
            return x << 3 | y << 1
        }
        return nil
    }
}
