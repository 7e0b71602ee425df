import SkoopModel

/// Renders sets, maps and their elements the way `nft list set` prints them, for the rules
/// browser and for the lookups recorded in traces (so both spell an element the same).
public enum NftSetText {
    /// "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; flags interval }".
    public static func declaration(_ set: NftSet) -> String {
        let key = set.keyTypes.map(\.rawValue).joined(separator: " . ")
        var text = (set.dataTypes == nil ? "set " : "map ") + set.name + " { type " + key
        if let data = set.dataTypes { text += " : " + data.map(\.rawValue).joined(separator: " . ") }
        if !set.flags.isEmpty { text += "; flags " + set.flags.sorted().joined(separator: ",") }
        return text + " }"
    }

    /// One element with a map's data: "10.96.0.10 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80".
    public static func element(_ element: NftElement, kinds: [NftValueKind]) -> String {
        let key = self.key(element, kinds: kinds)
        switch element.data {
        case nil: return key
        case .verdict(let verdict): return "\(key) : \(verdict)"
        case .values(let values): return "\(key) : " + values.map { value($0, kind: nil) }.joined(separator: " . ")
        }
    }

    /// An element's key, parts joined by " . ".
    public static func key(_ element: NftElement, kinds: [NftValueKind]) -> String {
        element.key.enumerated().map { position, part in
            let kind = kinds.indices.contains(position) ? kinds[position] : nil
            switch part {
            case .exact(let exact): return value(exact, kind: kind)
            case .prefix(let prefix): return prefix.description
            case .range(let low, let high): return value(low, kind: kind) + "-" + value(high, kind: kind)
            }
        }.joined(separator: " . ")
    }

    /// A packet's key (several parts for a concatenation), spelled like an element.
    static func key(_ parts: [NftRuntime?], kinds: [NftValueKind]) -> String {
        parts.enumerated().map { position, part in
            part.map { value($0, kind: kinds.indices.contains(position) ? kinds[position] : nil) } ?? "?"
        }.joined(separator: " . ")
    }

    /// A value by its kind: protocol numbers by name, the rest as they are.
    static func value(_ value: NftRuntime, kind: NftValueKind?) -> String {
        if kind == .l4proto, case .number(let number) = value,
           let name = protocolNames[number] {
            return name
        }
        return value.description
    }

    private static let protocolNames: [UInt64: String] = [1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 33: "dccp",
                                                            47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp",
                                                            136: "udplite"]
}
