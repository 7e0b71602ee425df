import SkoopModel

/// Reads one rule's statements and expressions from nft's JSON schema (libnftables-json(5)).
/// Literals compared with an expression are typed here, from that expression's kind.
/// Generic over the JSON it reads (``NftJSONNode``): a tree on the strict path, spans on the fast one.
struct NftStatementReader<Node: NftJSONNode> {
    /// Words errors, naming the item.
    let errors: NftJSONErrors
    /// The table's family.
    let family: NftFamily
    /// Shares names repeated from rule to rule on the fast path.
    var strings: NftStrings? = nil

    func error(_ value: Node, _ expected: String) -> InputError {
        errors.error(value, expected)
    }

    /// One statement of a rule's `expr` array.
    func statement(_ value: Node) throws(InputError) -> NftStatement {
        guard let member = value.firstMember else {
            throw error(value, "a statement object")
        }
        let body = member.value
        switch member.key {
        case "match":
            var opValue, left, right: Node?
            body.forEachMember { key, value in
                if key.spells("op") { opValue = value } else if key.spells("left") { left = value } else if key.spells("right") { right = value }
            }
            guard let op = opValue?.string, let left, let right else {
                throw error(body, "a match with \"op\", \"left\" and \"right\"")
            }
            let leftExpression = try expression(left)
            let kinds = NftValues.kinds(of: leftExpression, family: family)
            return .match(operator: op, left: leftExpression, right: typed(try expression(right), kinds: kinds))
        case "accept", "drop", "continue", "return", "jump", "goto", "queue":
            return .verdict(try verdict(member.key, body))
        case "reject":
            return .reject(type: body["type"]?.string, code: body["expr"]?.string)
        case "vmap":
            let (key, data) = body.members("key", "data")
            guard let key, let data else { throw error(body, "a vmap with \"key\" and \"data\"") }
            let keyExpression = try expression(key)
            let kinds = NftValues.kinds(of: keyExpression, family: family)
            return .verdictMap(key: keyExpression, data: typed(try expression(data), kinds: kinds, dataKinds: [.verdict]))
        case "dnat", "snat", "masquerade", "redirect":
            var flagsValue, familyValue, addressValue, portValue: Node?
            body.forEachMember { key, value in
                if key.spells("addr") { addressValue = value }
                else if key.spells("port") { portValue = value }
                else if key.spells("family") { familyValue = value }
                else if key.spells("flags") { flagsValue = value }
            }
            var flags: [String] = []
            if let list = flagsValue?.elements { flags = list.compactMap(\.string) }
            if let single = flagsValue?.string { flags = [single] }
            let natFamily = familyValue?.string
            let addressKind: NftValueKind = natFamily == "ip6" || family == .ip6 ? .ipv6Address : .ipv4Address
            let address = try addressValue.map { (value) throws(InputError) in try natValue(value, kind: addressKind) }
            let port = try portValue.map { (value) throws(InputError) in try natValue(value, kind: .port) }
            return .nat(NftNAT(kind: member.key, address: address, port: port, family: natFamily, flags: flags))
        case "mangle":
            let (key, value) = body.members("key", "value")
            guard let key, let value else { throw error(body, "a mangle with \"key\" and \"value\"") }
            let target = try expression(key)
            let kinds = NftValues.kinds(of: target, family: family)
            return .mangle(target: target, value: typed(try expression(value), kinds: kinds))
        case "set":
            guard let op = body["op"]?.string, let elem = body["elem"], let set = body["set"]?.string else {
                throw error(body, "a set statement with \"op\", \"elem\" and \"set\"")
            }
            return .setUpdate(operation: op, set: set.hasPrefix("@") ? String(set.dropFirst()) : set, element: try expression(elem))
        case "notrack":
            return .notrack
        case "counter", "log", "limit", "quota":
            return .inert(member.key)
        case "xt":
            let name = body["name"]?.string ?? "?"
            return .unsupported(name: "xt", text: "xt \(body["type"]?.string ?? "") \(name) (an iptables-nft extension: read its rule from iptables-save)")
        default:
            return .unsupported(name: member.key, text: "\(member.key) \(body.summary)")
        }
    }

    func verdict(_ name: String, _ body: Node) throws(InputError) -> NftVerdict {
        switch name {
        case "accept": return .accept
        case "drop": return .drop
        case "continue": return .continue
        case "return": return .return
        case "queue": return .queue
        default:
            guard let target = body.member("target")?.string(sharing: strings) else { throw error(body, "a \(name) with a \"target\" chain") }
            return name == "jump" ? .jump(target) : .goto(target)
        }
    }

    /// A NAT address or port: a literal (typed now) or an expression such as a map lookup.
    func natValue(_ value: Node, kind: NftValueKind) throws(InputError) -> NftExpression {
        let parsed = try expression(value)
        if case .map(let key, let data) = parsed {
            let kinds = NftValues.kinds(of: key, family: family)
            return .map(key: key, data: typed(data, kinds: kinds, dataKinds: [kind]))
        }
        return typed(parsed, kinds: [kind])
    }

    /// An expression.
    func expression(_ value: Node) throws(InputError) -> NftExpression {
        if let text = value.string {
            if text.hasPrefix("@") { return .setReference(String(text.dropFirst())) }
            return .literal(.string(text))
        }
        if let text = value.number {
            guard let number = UInt64(text) ?? Int64(text).map({ UInt64(bitPattern: $0) }) else {
                throw error(value, "an integer")
            }
            return .literal(.number(number))
        }
        if let flag = value.bool { return .literal(.boolean(flag)) }
        if let items = value.elements {
            // A list of flag names (ct state { established, related } prints as an array).
            let names = items.compactMap(\.string)
            guard names.count == items.count else { throw error(value, "a list of names") }
            return .literal(.list(names))
        }
        if value.isNull { throw error(value, "an expression") }
        guard let member = value.firstMember else { throw error(value, "an expression object") }
        return try expressionObject(member.key, member.value)
    }

    func expressionObject(_ name: String, _ body: Node) throws(InputError) -> NftExpression {
        switch name {
        case "payload":
            let (protocolValue, fieldValue) = body.members("protocol", "field")
            if let proto = protocolValue?.string, let field = fieldValue?.string {
                return .payload(protocol: proto, field: field)
            }
            return .unsupported("raw payload \(body.summary)")
        case "meta":
            guard let key = body.member("key")?.string else { throw error(body, "a meta \"key\"") }
            return .meta(key)
        case "ct":
            var keyValue, familyValue, directionValue: Node?
            body.forEachMember { name, value in
                if name.spells("key") { keyValue = value } else if name.spells("family") { familyValue = value } else if name.spells("dir") { directionValue = value }
            }
            guard let key = keyValue?.string else { throw error(body, "a ct \"key\"") }
            let qualified = familyValue?.string.map { "\($0) \(key)" } ?? key
            return .ct(key: qualified, direction: directionValue?.string)
        case "fib":
            guard let result = body["result"]?.string else { throw error(body, "a fib \"result\"") }
            let flags = body["flags"]?.elements?.compactMap(\.string) ?? body["flags"]?.string.map { [$0] } ?? []
            return .fib(result: result, flags: flags)
        case "concat":
            guard let items = body.elements else { throw error(body, "a concat list") }
            var parts: [NftExpression] = []
            for item in items { parts.append(try expression(item)) }
            return .concat(parts)
        case "set":
            let items = body.elements ?? [body]
            var raw: [NftRawElement] = []
            for item in items { raw.append(try element(item, isMap: item.elements?.count == 2)) }
            return .anonymousSet(raw)
        case "prefix":
            let (addressValue, lengthValue) = body.members("addr", "len")
            guard let address = addressValue?.string, let length = lengthValue?.integer else {
                throw error(body, "a prefix with \"addr\" and \"len\"")
            }
            return .prefix(address: address, length: length)
        case "range":
            guard let bounds = body.elements, bounds.count == 2,
                  case .literal(let low) = try expression(bounds[0]), case .literal(let high) = try expression(bounds[1]) else {
                throw error(body, "a range of two literals")
            }
            return .range(low, high)
        case "numgen":
            guard let modulus = body["mod"]?.integer, modulus > 0 else { throw error(body, "a numgen \"mod\"") }
            return .numgen(mode: body["mode"]?.string ?? "random", modulus: UInt64(modulus), offset: UInt64(body["offset"]?.integer ?? 0))
        case "jhash", "symhash":
            guard let modulus = body["mod"]?.integer, modulus > 0 else { throw error(body, "a \(name) \"mod\"") }
            return .hash(kind: name, modulus: UInt64(modulus), offset: UInt64(body["offset"]?.integer ?? 0))
        case "&", "|", "^", "<<", ">>":
            guard let operands = body.elements, operands.count == 2 else { throw error(body, "two operands of \(name)") }
            return .binary(operator: name, try expression(operands[0]), try expression(operands[1]))
        case "map":
            let (key, data) = body.members("key", "data")
            guard let key, let data else { throw error(body, "a map with \"key\" and \"data\"") }
            return .map(key: try expression(key), data: try expression(data))
        case "elem":
            guard let inner = body["val"] else { throw error(body, "an element \"val\"") }
            return try expression(inner)
        case "accept", "drop", "continue", "return", "jump", "goto", "queue":
            return .verdict(try verdict(name, body))
        default:
            return .unsupported("\(name) \(body.summary)")
        }
    }

    /// A set element: a key, or `[key, data]` in a map.
    func element(_ value: Node, isMap: Bool) throws(InputError) -> NftRawElement {
        if isMap, let pair = value.elements, pair.count == 2 {
            return NftRawElement(key: try expression(pair[0]), data: try expression(pair[1]))
        }
        return NftRawElement(key: try expression(value))
    }

    /// `expression` with its literals (or anonymous set) typed as `kinds`.
    func typed(_ expression: NftExpression, kinds: [NftValueKind], dataKinds: [NftValueKind]? = nil) -> NftExpression {
        switch expression {
        case .literal, .prefix, .range:
            guard kinds.count == 1, let part = NftValues.keyPart(expression, kind: kinds[0]) else { return expression }
            return .typed(expression, part)
        case .anonymousSet(let raw):
            guard let elements = NftValues.elements(raw, kinds: kinds, dataKinds: dataKinds) else { return expression }
            return .typedSet(raw, NftElements(elements))
        default:
            return expression
        }
    }
}
