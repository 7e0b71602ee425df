import SkoopModel

/// Reads `nft -j list ruleset` (nft.json) into an NftRuleset. Objects Skoop does not simulate
/// (flowtables, counters, quotas, ct helpers) are skipped; statements and expressions it does not
/// model become `unsupported` (the evaluator treats them as uncertain). Malformed input is an
/// error naming the file, line and item.
public enum NftJSONParser {
    /// Parses `bytes`; `source` names the file in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(InputError) -> NftRuleset {
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
        var builder = Builder(document: document)
        for (index, item) in items.enumerated() {
            try builder.add(item, index: index)
        }
        return try builder.finish()
    }

    /// Accumulates tables as items arrive (nft lists sets and chains before rules, but an
    /// `element` or a rule may name a chain or set declared later in hand-made files).
    struct Builder {
        let document: JSONDocument
        var tables: [NftTable] = []
        var position: [String: Int] = [:]
        /// Raw set elements and where each set was declared, typed once the set's kinds are known.
        var pendingElements: [String: [NftRawElement]] = [:]

        init(document: JSONDocument) {
            self.document = document
        }

        func error(_ value: JSONValue, index: Int, _ expected: String) -> InputError {
            InputError(source: document.source, line: document.line(of: value), expected: "\(expected) (nftables[\(index)])",
                       found: document.excerpt(at: value.offset))
        }

        mutating func table(_ object: JSONValue, index: Int, nameKey: String = "table") throws(InputError) -> Int {
            guard let familyName = object["family"]?.string else { throw error(object, index: index, "a \"family\" string") }
            guard let family = NftFamily(rawValue: familyName) else {
                throw error(object["family"] ?? object, index: index, "a family: ip, ip6, inet, bridge, arp or netdev")
            }
            guard let name = object[nameKey]?.string else { throw error(object, index: index, "a \"\(nameKey)\" string") }
            let key = "\(familyName) \(name)"
            if let found = position[key] { return found }
            position[key] = tables.count
            tables.append(NftTable(family: family, name: name))
            return tables.count - 1
        }

        mutating func add(_ item: JSONValue, index: Int) throws(InputError) {
            guard let members = item.members, let member = members.first, members.count == 1 else {
                throw error(item, index: index, "an object with one member (table, chain, rule, set, map, element, ...)")
            }
            let object = member.value
            switch member.key {
            case "table":
                _ = try table(object, index: index, nameKey: "name")
            case "chain":
                let at = try table(object, index: index)
                guard let name = object["name"]?.string else { throw error(object, index: index, "a chain \"name\"") }
                var chain = tables[at].chains[name] ?? NftChain(name: name)
                chain.handle = object["handle"]?.integer ?? chain.handle
                if let hook = object["hook"]?.string {
                    guard let priority = object["prio"]?.integer else {
                        throw error(object, index: index, "a base chain's integer \"prio\"")
                    }
                    let policy: NftVerdict = object["policy"]?.string == "drop" ? .drop : .accept
                    chain.base = NftBaseChain(type: object["type"]?.string ?? "filter", hook: hook, priority: priority,
                                              policy: policy, device: object["dev"]?.string)
                }
                if tables[at].chains[name] == nil { tables[at].chainOrder.append(name) }
                tables[at].chains[name] = chain
            case "rule":
                let at = try table(object, index: index)
                guard let chainName = object["chain"]?.string else { throw error(object, index: index, "a rule's \"chain\"") }
                guard let expressions = object["expr"]?.elements else { throw error(object, index: index, "a rule's \"expr\" array") }
                let family = tables[at].family
                var statements: [NftStatement] = []
                for expression in expressions {
                    statements.append(try NftStatementReader(document: document, index: index, family: family).statement(expression))
                }
                let rule = NftRule(handle: object["handle"]?.integer ?? 0, statements: statements, comment: object["comment"]?.string)
                if tables[at].chains[chainName] == nil {
                    tables[at].chains[chainName] = NftChain(name: chainName)
                    tables[at].chainOrder.append(chainName)
                }
                tables[at].chains[chainName]!.rules.append(rule)
            case "set", "map":
                let at = try table(object, index: index)
                guard let name = object["name"]?.string else { throw error(object, index: index, "a set \"name\"") }
                guard let typeValue = object["type"], let keyTypes = typeNames(typeValue) else {
                    throw error(object, index: index, "a set \"type\" (a type name or a list of them)")
                }
                var dataTypes: [NftValueKind]?
                if member.key == "map" {
                    guard let mapValue = object["map"], let names = typeNames(mapValue) else {
                        throw error(object, index: index, "a map's \"map\" data type")
                    }
                    dataTypes = names.map(NftValueKind.init(typeName:))
                }
                var flags: Set<String> = []
                if let list = object["flags"]?.elements { flags = Set(list.compactMap(\.string)) }
                if let single = object["flags"]?.string { flags = [single] }
                if object["timeout"] != nil { flags.insert("timeout") }
                let raw = try rawElements(object["elem"], index: index, isMap: member.key == "map")
                pendingElements["\(at) \(name)", default: []] += raw
                var set = tables[at].sets[name] ?? NftSet(name: name, keyTypes: [])
                set.keyTypes = keyTypes.map(NftValueKind.init(typeName:))
                set.dataTypes = dataTypes
                set.flags = flags
                tables[at].sets[name] = set
            case "element":
                let at = try table(object, index: index)
                guard let name = object["name"]?.string else { throw error(object, index: index, "an element's set \"name\"") }
                let isMap = object["elem"]?.elements?.first?.elements?.count == 2
                pendingElements["\(at) \(name)", default: []] += try rawElements(object["elem"], index: index, isMap: isMap)
            default:
                break  // metainfo, flowtables, named counters and quotas, ct helpers: nothing to simulate
            }
        }

        func typeNames(_ value: JSONValue) -> [String]? {
            if let name = value.string { return [name] }
            guard let list = value.elements else { return nil }
            let names = list.compactMap(\.string)
            return names.count == list.count ? names : nil
        }

        func rawElements(_ value: JSONValue?, index: Int, isMap: Bool) throws(InputError) -> [NftRawElement] {
            guard let value else { return [] }
            let list = value.elements ?? [value]
            let reader = NftStatementReader(document: document, index: index, family: .inet)
            var raw: [NftRawElement] = []
            raw.reserveCapacity(list.count)
            for item in list {
                raw.append(try reader.element(item, isMap: isMap))
            }
            return raw
        }

        mutating func finish() throws(InputError) -> NftRuleset {
            for (key, raw) in pendingElements {
                let parts = key.split(separator: " ", maxSplits: 1)
                guard let at = Int(parts[0]) else { continue }
                let name = String(parts[1])
                guard var set = tables[at].sets[name] else {
                    throw InputError(source: document.source, expected: "a declaration of set \(name) in table \(tables[at])",
                                     found: "elements of an undeclared set")
                }
                if let elements = NftValues.elements(raw, kinds: set.keyTypes, dataKinds: set.dataTypes) {
                    set.elements = NftElements(set.elements.all + elements)
                } else {
                    // Lookups in it become uncertain rather than refusing the whole file.
                    set.unreadable = "elements of set \(name) do not read as \(set.keyTypes.map(\.rawValue).joined(separator: " . "))"
                }
                tables[at].sets[name] = set
            }
            return NftRuleset(tables: tables)
        }
    }
}
