import SkoopModel

extension PolicyRule {
    /// Every key `ip -j rule show` prints (iproute2 up to 6.16); any other key makes the rule uncertain.
    static let knownKeys: Set<String> = [
        "priority", "not", "src", "srclen", "dst", "dstlen", "tos", "fwmark", "fwmask", "iif", "iif_detached",
        "oif", "oif_detached", "l3mdev", "uid_start", "uid_end", "ipproto", "sport", "sport_mask", "sport_start",
        "sport_end", "dport", "dport_mask", "dport_start", "dport_end", "tun_id", "table", "suppress_prefixlen",
        "suppress_ifgroup", "flow_from", "flow_to", "nat_gateway", "masquerade", "goto", "unresolved", "nop",
        "action", "protocol", "flowlabel", "flowlabel_mask", "dscp", "dscp_mask",
    ]

    init(_ e: IPRoute2Element, family fallback: AddressFamily) throws(InputError) {
        let priority = try e.requiredInt("priority")
        guard let priority32 = UInt32(exactly: priority) else {
            throw e.failure("priority", "a rule priority", found: .number(String(priority)))
        }
        var unsupported: [String] = []
        for member in e.object.members ?? [] where !PolicyRule.knownKeys.contains(member.key) {
            unsupported.append("\"\(member.key)\": \(member.value.summary)")
        }
        let source = try PolicyRule.selector(e, "src", "srclen", family: fallback)
        let destination = try PolicyRule.selector(e, "dst", "dstlen", family: source?.family ?? fallback)
        let tos = try PolicyRule.tos(e, unsupported: &unsupported)
        self.init(priority: priority32, family: source?.family ?? destination?.family ?? fallback,
                  invert: e.has("not"), source: source, destination: destination, fwmark: try e.hex32("fwmark"),
                  fwmask: try e.hex32("fwmask") ?? .max, iif: try e.string("iif"), oif: try e.string("oif"),
                  tos: tos, suppressPrefixLength: try e.int("suppress_prefixlen"),
                  action: try PolicyRule.action(e), iifDetached: e.has("iif_detached"), oifDetached: e.has("oif_detached"))
        if let text = try e.string("ipproto") {
            if let number = IPProtocolName.number(text) { ipProtocol = number } else { unsupported.append("ipproto \(text)") }
        }
        sourcePorts = try PolicyRule.ports(e, "sport")
        destinationPorts = try PolicyRule.ports(e, "dport")
        if let start = try PolicyRule.uint32(e, "uid_start") {
            let end = try PolicyRule.uint32(e, "uid_end") ?? start
            guard start <= end else { throw e.failure("uid_end", "the end of a uid range (at least \(start))", found: .number("\(end)")) }
            uidRange = start...end
        }
        if let id = try e.int("tun_id") {
            guard let id64 = UInt64(exactly: id) else { throw e.failure("tun_id", "a tunnel id", found: .number("\(id)")) }
            tunnelID = id64
        }
        if let text = try PolicyRule.text(e, "dscp") {
            if let value = DSCPName.value(text) { dscp = value } else { unsupported.append("dscp \(text)") }
            if let mask = try e.hex32("dscp_mask") {
                guard mask <= 0x3f else { throw e.failure("dscp_mask", "a 6-bit DSCP mask", found: .string("0x" + String(mask, radix: 16))) }
                dscpMask = UInt8(mask)
            }
        }
        if let label = try e.hex32("flowlabel") {
            flowLabel = label
            flowLabelMask = try e.hex32("flowlabel_mask") ?? 0xfffff
        }
        suppressInterfaceGroup = try PolicyRule.text(e, "suppress_ifgroup")
        if let to = try e.string("flow_to") {
            realms = try e.string("flow_from").map { "\($0)/\(to)" } ?? to
        }
        installedBy = try e.string("protocol")
        self.unsupported = unsupported
    }

    /// The action keys: `goto`, `nop`, `action`, the old NAT ones, `l3mdev`, then `table`.
    private static func action(_ e: IPRoute2Element) throws(InputError) -> RuleAction {
        if e.has("goto") {
            if let text = try? e.string("goto") { return .unsupported("goto \(text)") }
            let target = try e.int("goto") ?? 0
            guard let target32 = UInt32(exactly: target) else {
                throw e.failure("goto", "a rule priority", found: .number(String(target)))
            }
            return .goto(target32)
        }
        if e.has("nop") { return .nop }
        if let action = try e.string("action") {
            switch action {
            case "blackhole": return .blackhole
            case "unreachable": return .unreachable
            case "prohibit": return .prohibit
            default: return .unsupported(action)
            }
        }
        if e.has("masquerade") { return .unsupported("masquerade") }
        if let gateway = try e.string("nat_gateway") { return .unsupported("map-to \(gateway)") }
        if e.has("l3mdev") { return .lookupL3mdevTable }
        if let table = try e.string("table") { return .lookup(RouteTable(table)) }
        throw e.failure("action", "a table, a goto or an action (blackhole, unreachable, prohibit, nop)", found: nil)
    }

    /// `tos`: "0x10", or a DSCP name from rt_dsfield for the byte ("AF11" is 0x28).
    private static func tos(_ e: IPRoute2Element, unsupported: inout [String]) throws(InputError) -> UInt8 {
        guard let text = try text(e, "tos") else { return 0 }
        if let value = IPRoute2Number.hex32(text: text) {
            guard value <= 0xff else { throw e.failure("tos", "a TOS value", found: .string(text)) }
            return UInt8(value)
        }
        if let dscp = DSCPName.value(text) { return dscp << 2 }
        unsupported.append("tos \(text)")
        return 0
    }

    /// `sport`/`dport` (with `_mask`), or `sport_start`/`sport_end`.
    private static func ports(_ e: IPRoute2Element, _ key: String) throws(InputError) -> PortSelector? {
        func port(_ name: String) throws(InputError) -> UInt16? {
            guard let value = try e.int(name) else { return nil }
            guard let port = UInt16(exactly: value) else { throw e.failure(name, "a port", found: .number("\(value)")) }
            return port
        }
        if let single = try port(key) {
            let mask = try e.hex32(key + "_mask") ?? 0
            guard mask <= 0xffff else { throw e.failure(key + "_mask", "a 16-bit port mask", found: .string("0x" + String(mask, radix: 16))) }
            return PortSelector(start: single, mask: UInt16(mask))
        }
        guard let start = try port(key + "_start") else { return nil }
        let end = try port(key + "_end") ?? start
        guard start <= end else { throw e.failure(key + "_end", "the end of a port range (at least \(start))", found: .number("\(end)")) }
        return PortSelector(start: start, end: end)
    }

    private static func uint32(_ e: IPRoute2Element, _ key: String) throws(InputError) -> UInt32? {
        guard let value = try e.int(key) else { return nil }
        guard let result = UInt32(exactly: value) else { throw e.failure(key, "a 32-bit number", found: .number("\(value)")) }
        return result
    }

    /// A value iproute2 prints as a string or a number, as text.
    private static func text(_ e: IPRoute2Element, _ key: String) throws(InputError) -> String? {
        if let number = try? e.int(key) { return String(number) }
        return try e.string(key)
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
