import SkoopModel

/// What `nft -j list ruleset` (nft.json) holds, table by table: enough to know whether a netns
/// carries native nftables rules that hook packets, which the iptables engine does not evaluate.
public struct NftablesInventory: Hashable, Sendable {
    /// One table and its base chains (chains attached to a hook).
    public struct Table: Hashable, Sendable, CustomStringConvertible {
        /// ip, ip6, inet, bridge, arp or netdev.
        public var family: String
        /// The table's name.
        public var name: String
        /// Its base chains as "HOOK:CHAIN".
        public var baseChains: [String]
        /// Its rule count.
        public var rules: Int

        /// True for the tables iptables-nft writes (family ip/ip6, an xtables table name): their
        /// rules are read from iptables-save instead.
        public var isXtablesCompatible: Bool {
            (family == "ip" || family == "ip6") && ["filter", "nat", "mangle", "raw", "security"].contains(name)
        }

        public var description: String { "\(family) \(name)" }
    }

    /// The tables, in file order.
    public var tables: [Table]

    /// The tables with base chains that are not iptables-nft's: their rules decide packets.
    public var nativeTablesWithHooks: [Table] {
        tables.filter { !$0.isXtablesCompatible && !$0.baseChains.isEmpty }
    }

    /// Reads nft.json; errors name the file, the line and what was expected.
    public static func parse(_ bytes: [UInt8], source: String) throws(InputError) -> NftablesInventory {
        let shape = "nft -j list ruleset output ({\"nftables\": [...]})"
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes, source: source)
        } catch {
            throw InputError(source: source, line: error.line, expected: shape, found: error.inputError.found)
        }
        guard let items = document.root["nftables"]?.elements else {
            throw InputError(source: source, line: document.line(of: document.root), expected: shape,
                             found: document.excerpt(at: document.root.offset))
        }
        var tables: [Table] = []
        var position: [String: Int] = [:]
        func index(family: String?, table: String?) -> Int? {
            guard let family, let table else { return nil }
            let key = "\(family) \(table)"
            if let found = position[key] { return found }
            position[key] = tables.count
            tables.append(Table(family: family, name: table, baseChains: [], rules: 0))
            return tables.count - 1
        }
        for item in items {
            if let table = item["table"] {
                _ = index(family: table["family"]?.string, table: table["name"]?.string)
            } else if let chain = item["chain"] {
                guard let at = index(family: chain["family"]?.string, table: chain["table"]?.string) else { continue }
                if let hook = chain["hook"]?.string {
                    tables[at].baseChains.append("\(hook):\(chain["name"]?.string ?? "?")")
                }
            } else if let rule = item["rule"] {
                guard let at = index(family: rule["family"]?.string, table: rule["table"]?.string) else { continue }
                tables[at].rules += 1
            }
        }
        return NftablesInventory(tables: tables)
    }
}
