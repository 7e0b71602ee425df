import SkoopModel

/// One item of nft.json's `nftables` list, decoded on its own: everything an item says is read
/// and checked without the items before it, so items can be decoded side by side and only
/// gathered into tables in order.
enum NftJSONItem: Sendable {
    case table(family: NftFamily, name: String)
    case chain(family: NftFamily, table: String, name: String, handle: Int?, base: NftBaseChain?)
    case rule(family: NftFamily, table: String, chain: String, rule: NftRule)
    /// Consecutive rules of one chain, gathered while decoding so that tables are filled a
    /// chain at a time (nft lists a chain's rules together).
    case rules(family: NftFamily, table: String, chain: String, rules: [NftRule])
    case set(family: NftFamily, table: String, name: String, keyTypes: [NftValueKind], dataTypes: [NftValueKind]?,
             flags: Set<String>, elements: [NftRawElement])
    case element(family: NftFamily, table: String, set: String, elements: [NftRawElement])
    /// metainfo, flowtables, named counters and quotas, ct helpers: nothing to simulate.
    case ignored

    /// Decodes `item`, item `index` of `document`'s list; errors name the file, line and item.
    init(_ item: JSONValue, index: Int, document: JSONDocument) throws(InputError) {
        try self.init(node: item, errors: NftJSONErrors(document: document, index: index))
    }

    /// Decodes `item` read in place from checked bytes; any error only means "read it the strict way".
    /// `strings` shares the names repeated from item to item (one per decoding thread).
    /// This is the entry point for one item (a chain declaration or one rule) found by a skim.
    init(span item: JSONSpan, index: Int, strings: NftStrings? = nil) throws(InputError) {
        try self.init(node: item, errors: NftJSONErrors(document: nil, index: index), strings: strings)
    }

    private init<Node: NftJSONNode>(node item: Node, errors: NftJSONErrors, strings: NftStrings? = nil) throws(InputError) {
        func error(_ value: Node, _ expected: String) -> InputError {
            errors.error(value, expected)
        }
        func table(_ object: Node, nameKey: String = "table") throws(InputError) -> (NftFamily, String) {
            let found = object.values(of: ["family", nameKey])
            return try table(object, family: found[0], name: found[1], nameKey: nameKey)
        }
        func table(_ object: Node, family familyValue: Node?, name nameValue: Node?,
                   nameKey: String = "table") throws(InputError) -> (NftFamily, String) {
            guard let familyName = familyValue?.string else { throw error(object, "a \"family\" string") }
            guard let family = NftFamily(rawValue: familyName) else {
                throw error(familyValue ?? object, "a family: ip, ip6, inet, bridge, arp or netdev")
            }
            guard let name = nameValue?.string else { throw error(object, "a \"\(nameKey)\" string") }
            return (family, name)
        }
        func rawElements(_ value: Node?, isMap: Bool) throws(InputError) -> [NftRawElement] {
            guard let value else { return [] }
            let list = value.elements ?? [value]
            let reader = NftStatementReader<Node>(errors: errors, family: .inet, strings: strings)
            var raw: [NftRawElement] = []
            raw.reserveCapacity(list.count)
            for item in list {
                raw.append(try reader.element(item, isMap: isMap))
            }
            return raw
        }
        func typeNames(_ value: Node) -> [String]? {
            if let name = value.string { return [name] }
            guard let list = value.elements else { return nil }
            let names = list.compactMap(\.string)
            return names.count == list.count ? names : nil
        }

        guard let member = item.firstMember, member.count == 1 else {
            throw error(item, "an object with one member (table, chain, rule, set, map, element, ...)")
        }
        let object = member.value
        switch member.key {
        case "table":
            let (family, name) = try table(object, nameKey: "name")
            self = .table(family: family, name: name)
        case "chain":
            // One pass over the members for all of them: a chain is read in one look.
            var familyValue, tableValue, nameValue, hookValue, prioValue, policyValue, typeValue, devValue, handleValue: Node?
            object.forEachMember { key, value in
                if key.spells("family") { familyValue = value }
                else if key.spells("table") { tableValue = value }
                else if key.spells("name") { nameValue = value }
                else if key.spells("handle") { handleValue = value }
                else if key.spells("hook") { hookValue = value }
                else if key.spells("prio") { prioValue = value }
                else if key.spells("policy") { policyValue = value }
                else if key.spells("type") { typeValue = value }
                else if key.spells("dev") { devValue = value }
            }
            let (family, tableName) = try table(object, family: familyValue, name: tableValue)
            guard let name = nameValue?.string(sharing: strings) else { throw error(object, "a chain \"name\"") }
            var base: NftBaseChain?
            if let hook = hookValue?.string {
                guard let priority = prioValue?.integer else {
                    throw error(object, "a base chain's integer \"prio\"")
                }
                let policy: NftVerdict = policyValue?.string == "drop" ? .drop : .accept
                base = NftBaseChain(type: typeValue?.string ?? "filter", hook: hook, priority: priority,
                                    policy: policy, device: devValue?.string)
            }
            self = .chain(family: family, table: tableName, name: name, handle: handleValue?.integer, base: base)
        case "rule":
            var familyValue, tableValue, chainValue, exprValue, handleValue, commentValue: Node?
            object.forEachMember { key, value in
                if key.spells("family") { familyValue = value }
                else if key.spells("table") { tableValue = value }
                else if key.spells("chain") { chainValue = value }
                else if key.spells("handle") { handleValue = value }
                else if key.spells("expr") { exprValue = value }
                else if key.spells("comment") { commentValue = value }
            }
            let (family, tableName) = try table(object, family: familyValue, name: tableValue)
            guard let chainName = chainValue?.string(sharing: strings) else { throw error(object, "a rule's \"chain\"") }
            guard let expressions = exprValue?.elements else { throw error(object, "a rule's \"expr\" array") }
            let reader = NftStatementReader<Node>(errors: errors, family: family, strings: strings)
            var statements: [NftStatement] = []
            statements.reserveCapacity(expressions.count)
            for expression in expressions {
                statements.append(try reader.statement(expression))
            }
            let rule = NftRule(handle: handleValue?.integer ?? 0, statements: statements, comment: commentValue?.string(sharing: strings))
            self = .rule(family: family, table: tableName, chain: chainName, rule: rule)
        case "set", "map":
            let (family, tableName) = try table(object)
            guard let name = object["name"]?.string else { throw error(object, "a set \"name\"") }
            guard let typeValue = object["type"], let keyTypes = typeNames(typeValue) else {
                throw error(object, "a set \"type\" (a type name or a list of them)")
            }
            var dataTypes: [NftValueKind]?
            if member.key == "map" {
                guard let mapValue = object["map"], let names = typeNames(mapValue) else {
                    throw error(object, "a map's \"map\" data type")
                }
                dataTypes = names.map(NftValueKind.init(typeName:))
            }
            var flags: Set<String> = []
            if let list = object["flags"]?.elements { flags = Set(list.compactMap(\.string)) }
            if let single = object["flags"]?.string { flags = [single] }
            if object["timeout"] != nil { flags.insert("timeout") }
            let raw = try rawElements(object["elem"], isMap: member.key == "map")
            self = .set(family: family, table: tableName, name: name, keyTypes: keyTypes.map(NftValueKind.init(typeName:)),
                        dataTypes: dataTypes, flags: flags, elements: raw)
        case "element":
            let (family, tableName) = try table(object)
            guard let name = object["name"]?.string else { throw error(object, "an element's set \"name\"") }
            let isMap = object["elem"]?.elements?.first?.elements?.count == 2
            self = .element(family: family, table: tableName, set: name, elements: try rawElements(object["elem"], isMap: isMap))
        default:
            self = .ignored
        }
    }
}
