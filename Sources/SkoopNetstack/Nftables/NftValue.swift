import SkoopModel

/// Turns literals into typed values, by the kind of expression they are compared with, using
/// the names nft prints (`tcp`, `new`, `local`, `echo-request`, ...).
enum NftValues {
    static let protocols: [String: UInt64] = ["icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
                                              "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132, "udplite": 136, "ipip": 4, "dccp": 33]
    static let ctStates: [String: UInt64] = ["invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64]
    static let ctStatuses: [String: UInt64] = ["expected": 1, "seen-reply": 2, "assured": 4, "confirmed": 8,
                                               "snat": 16, "dnat": 32, "dying": 512]
    static let addressTypes: [String: UInt64] = ["unspec": 0, "unicast": 1, "local": 2, "broadcast": 3, "anycast": 4,
                                                 "multicast": 5, "blackhole": 6, "unreachable": 7, "prohibit": 8]
    static let icmpTypes: [String: UInt64] = ["echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5,
                                              "echo-request": 8, "router-advertisement": 9, "router-solicitation": 10,
                                              "time-exceeded": 11, "parameter-problem": 12, "timestamp-request": 13,
                                              "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
                                              "address-mask-request": 17, "address-mask-reply": 18]
    static let icmpv6Types: [String: UInt64] = ["destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3,
                                                "parameter-problem": 4, "echo-request": 128, "echo-reply": 129,
                                                "mld-listener-query": 130, "mld-listener-report": 131, "mld-listener-done": 132,
                                                "nd-router-solicit": 133, "nd-router-advert": 134, "nd-neighbor-solicit": 135,
                                                "nd-neighbor-advert": 136, "nd-redirect": 137]
    static let tcpFlags: [String: UInt64] = ["fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128]
    static let services: [String: UInt64] = ["http": 80, "https": 443, "ssh": 22, "domain": 53, "ntp": 123, "bgp": 179]

    /// The names of a kind's symbolic constants.
    static func symbols(of kind: NftValueKind) -> [String: UInt64] {
        switch kind {
        case .l4proto: protocols
        case .ctState: ctStates
        case .ctStatus: ctStatuses
        case .ctDirection: ["original": 0, "reply": 1]
        case .addressType: addressTypes
        case .nfproto: ["ipv4": 2, "ipv6": 10]
        case .ethertype: ["ip": 0x0800, "arp": 0x0806, "ip6": 0x86dd, "vlan": 0x8100]
        case .pkttype: ["host": 0, "unicast": 0, "broadcast": 1, "multicast": 2, "other": 3]
        case .icmpType: icmpTypes
        case .icmpv6Type: icmpv6Types
        case .tcpFlags: tcpFlags
        case .port: services
        case .boolean: ["exists": 1, "missing": 0]
        default: [:]
        }
    }

    /// True for kinds whose values are bit sets (compared with `in` as "any bit").
    static func isBitmask(_ kind: NftValueKind) -> Bool {
        kind == .ctState || kind == .ctStatus || kind == .tcpFlags
    }

    /// `literal` as a value of `kind`; nil when it cannot be one.
    static func value(_ literal: NftLiteral, kind: NftValueKind) -> NftRuntime? {
        switch literal {
        case .number(let number):
            return .number(number)
        case .boolean(let flag):
            return .number(flag ? 1 : 0)
        case .list(let names):
            var bits: UInt64 = 0
            for name in names {
                guard case .number(let bit)? = value(.string(name), kind: kind) else { return nil }
                bits |= bit
            }
            return .number(bits)
        case .string(let text):
            switch kind {
            case .ipv4Address, .ipv6Address:
                return IPAddress(text).map { .address($0) }
            case .ifname:
                return .name(text)
            case .other:
                return .name(text)
            default:
                if let symbol = symbols(of: kind)[text] { return .number(symbol) }
                if text.hasPrefix("0x"), let number = UInt64(text.dropFirst(2), radix: 16) { return .number(number) }
                if let number = UInt64(text) { return .number(number) }
                if let address = IPAddress(text) { return .address(address) }
                return nil
            }
        }
    }

    /// A key part from a raw element expression (a literal, prefix or range) of `kind`.
    static func keyPart(_ expression: NftExpression, kind: NftValueKind) -> NftKeyPart? {
        switch expression {
        case .literal(let literal):
            return value(literal, kind: kind).map { .exact($0) }
        case .prefix(let address, let length):
            return IPAddress(address).flatMap { IPPrefix($0, length: length) }.map { .prefix($0) }
        case .range(let low, let high):
            guard let low = value(low, kind: kind), let high = value(high, kind: kind) else { return nil }
            return .range(low, high)
        case .typed(_, let part):
            return part
        default:
            return nil
        }
    }

    /// Types the elements of a set with `kinds` (one per concatenated field); nil when one
    /// cannot be read.
    static func elements(_ raw: [NftRawElement], kinds: [NftValueKind], dataKinds: [NftValueKind]?) -> [NftElement]? {
        var elements: [NftElement] = []
        elements.reserveCapacity(raw.count)
        for element in raw {
            let parts: [NftExpression]
            if case .concat(let items) = element.key { parts = items } else { parts = [element.key] }
            guard parts.count == kinds.count || kinds.count == 1 && parts.count == 1 else { return nil }
            var key: [NftKeyPart] = []
            for (part, kind) in zip(parts, kinds) {
                guard let typed = keyPart(part, kind: kind) else { return nil }
                key.append(typed)
            }
            var data: NftMapData?
            if let raw = element.data {
                switch raw {
                case .verdict(let verdict):
                    data = .verdict(verdict)
                default:
                    let items: [NftExpression]
                    if case .concat(let list) = raw { items = list } else { items = [raw] }
                    let kinds = dataKinds ?? Array(repeating: .integer, count: items.count)
                    var values: [NftRuntime] = []
                    for (item, kind) in zip(items, kinds) {
                        guard case .exact(let value)? = keyPart(item, kind: kind) else { return nil }
                        values.append(value)
                    }
                    data = .values(values)
                }
            }
            elements.append(NftElement(key: key, data: data))
        }
        return elements
    }

    /// The kinds of value `expression` yields (several for a concatenation); `family` is the
    /// table's, for `ct original saddr` in an ip or ip6 table.
    static func kinds(of expression: NftExpression, family: NftFamily) -> [NftValueKind] {
        switch expression {
        case .payload(let proto, let field):
            switch (proto, field) {
            case ("ip", "saddr"), ("ip", "daddr"): return [.ipv4Address]
            case ("ip6", "saddr"), ("ip6", "daddr"): return [.ipv6Address]
            case ("ip", "protocol"), ("ip6", "nexthdr"): return [.l4proto]
            case (_, "sport"), (_, "dport"): return [.port]
            case ("tcp", "flags"): return [.tcpFlags]
            case ("icmp", "type"): return [.icmpType]
            case ("icmpv6", "type"): return [.icmpv6Type]
            default: return [.integer]
            }
        case .meta(let key):
            switch key {
            case "l4proto": return [.l4proto]
            case "protocol": return [.ethertype]
            case "nfproto": return [.nfproto]
            case "mark": return [.mark]
            case "iifname", "oifname", "iif", "oif": return [.ifname]
            case "pkttype": return [.pkttype]
            default: return [.integer]
            }
        case .ct(let key, _):
            switch key {
            case "state": return [.ctState]
            case "status": return [.ctStatus]
            case "mark": return [.mark]
            case "direction": return [.ctDirection]
            case "saddr", "daddr", "ip saddr", "ip daddr", "ip6 saddr", "ip6 daddr":
                if key.hasPrefix("ip6") || family == .ip6 { return [.ipv6Address] }
                return [.ipv4Address]
            case "l3proto": return [.nfproto]
            case "protocol": return [.l4proto]
            case "proto-src", "proto-dst": return [.port]
            default: return [.integer]
            }
        case .fib(let result, _):
            return result == "type" ? [.addressType] : result == "oif" || result == "oifname" ? [.ifname] : [.integer]
        case .concat(let items):
            return items.flatMap { kinds(of: $0, family: family) }
        case .binary(_, let left, _):
            return kinds(of: left, family: family)
        default:
            return [.integer]
        }
    }
}
