import Foundation
import SkoopModel

/// What a policy rule does when it matches.
public enum RuleAction: Hashable, Sendable {
    /// Look the packet up in a table; a miss (or a throw route) continues with the next rule.
    case lookup(RouteTable)
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
    /// `tos` (0: any).
    public var tos: UInt8
    /// `suppress_prefixlength`: a lookup result with a prefix this short or shorter is ignored.
    public var suppressPrefixLength: Int?
    /// What the rule does.
    public var action: RuleAction

    /// Makes a rule.
    public init(priority: UInt32, family: AddressFamily = .inet, invert: Bool = false, source: IPPrefix? = nil,
                destination: IPPrefix? = nil, fwmark: UInt32? = nil, fwmask: UInt32 = .max, iif: String? = nil,
                oif: String? = nil, tos: UInt8 = 0, suppressPrefixLength: Int? = nil, action: RuleAction) {
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

    init(_ e: IPRoute2Element, family fallback: AddressFamily) throws(InputError) {
        let priority = try e.requiredInt("priority")
        guard let priority32 = UInt32(exactly: priority) else {
            throw e.failure("priority", "a rule priority", found: .number(String(priority)))
        }
        let source = try PolicyRule.selector(e, "src", "srclen", family: fallback)
        let destination = try PolicyRule.selector(e, "dst", "dstlen", family: source?.family ?? fallback)
        let tos = try e.hex32("tos") ?? 0
        guard tos <= 0xff else { throw e.failure("tos", "a TOS value", found: .number(String(tos))) }
        let action: RuleAction
        if let target = try e.int("goto") {
            guard let target32 = UInt32(exactly: target) else {
                throw e.failure("goto", "a rule priority", found: .number(String(target)))
            }
            action = .goto(target32)
        } else if let table = try e.string("table") {
            action = .lookup(RouteTable(table))
        } else {
            switch try e.string("action") {
            case "blackhole": action = .blackhole
            case "unreachable": action = .unreachable
            case "prohibit": action = .prohibit
            case "nop": action = .nop
            case let other:
                throw e.failure("action", "a table, a goto or an action (blackhole, unreachable, prohibit, nop)",
                                found: other.map { .string($0) })
            }
        }
        let fwmark = try e.hex32("fwmark")
        self.init(priority: priority32, family: source?.family ?? destination?.family ?? fallback,
                  invert: e.flag("not"), source: source, destination: destination, fwmark: fwmark,
                  fwmask: try e.hex32("fwmask") ?? .max, iif: try e.string("iif"), oif: try e.string("oif"),
                  tos: UInt8(tos), suppressPrefixLength: try e.int("suppress_prefixlen"), action: action)
    }

    /// `"src": "all"` or `"src": "10.0.0.0", "srclen": 8` (a missing length means a host).
    static func selector(_ e: IPRoute2Element, _ key: String, _ lengthKey: String, family: AddressFamily)
        throws(InputError) -> IPPrefix?
    {
        guard let text = try e.string(key), text != "all" else { return nil }
        guard let address = IPAddress(text) else { throw e.failure(key, "an address or \"all\"", found: .string(text)) }
        let length = try e.int(lengthKey) ?? (address.family == .inet ? 32 : 128)
        guard let prefix = IPPrefix(address, length: length) else {
            throw e.failure(lengthKey, "a prefix length", found: .number(String(length)))
        }
        return prefix
    }
}
