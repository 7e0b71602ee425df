import SkoopModel

/// The rules of one nft chain: given decoded, or located in a skimmed nft.json and decoded on
/// first use, then kept. Copies of a chain share the decoding, so every node carrying the same
/// file (kube-proxy's table is identical on every node) decodes a chain once.
enum NftChainRules: Sendable {
    case decoded([NftRule])
    /// The chain at this position of a skimmed file.
    case skimmed(NftSkimmedFile, Int)

    /// The rules, or the full decoder's error for the first rule that does not decode.
    var decoded: Result<[NftRule], InputError> {
        switch self {
        case .decoded(let rules): .success(rules)
        case .skimmed(let file, let chain): file.rules(chain)
        }
    }
}

/// A skimmed nft.json: where each chain's rule items lie, decoded chain by chain.
final class NftSkimmedFile: Sendable {
    private let bytes: SharedBytes
    private let source: String
    /// Per chain position: its rule items, in file order.
    private let items: [[NftRuleItem]]
    private let decodedChains: Locked<[Result<[NftRule], InputError>?]>

    private init(bytes: SharedBytes, source: String, items: [[NftRuleItem]]) {
        self.bytes = bytes
        self.source = source
        self.items = items
        decodedChains = Locked(Array(repeating: nil, count: items.count))
    }

    /// Points the chains of `groups` (rule items by table position and chain name, in file
    /// order) at the file for their rules, and finds each table's base chains once.
    static func attach(_ groups: [(table: Int, chain: String, items: [NftRuleItem])], to ruleset: inout NftRuleset,
                       bytes: SharedBytes, source: String) {
        var positions = Array(repeating: [String: Int](), count: ruleset.tables.count)
        var items: [[NftRuleItem]] = []
        items.reserveCapacity(groups.count)
        for group in groups {
            if let position = positions[group.table][group.chain] {
                items[position] += group.items
            } else {
                if positions[group.table].isEmpty { positions[group.table].reserveCapacity(groups.count) }
                positions[group.table][group.chain] = items.count
                items.append(group.items)
            }
        }
        let file = NftSkimmedFile(bytes: bytes, source: source, items: items)
        ruleset.source = source
        for table in ruleset.tables.indices {
            // In place, by index (no second hash of each name), the dictionary held only here.
            var chains = ruleset.tables[table].chains
            ruleset.tables[table].chains = [:]
            for index in chains.values.indices {
                if let position = positions[table][chains.values[index].name] {
                    chains.values[index].storage = .skimmed(file, position)
                }
            }
            ruleset.tables[table].chains = chains
            ruleset.tables[table].rememberBaseChains()
        }
    }

    /// The rules of chain `position`, decoded once.
    func rules(_ position: Int) -> Result<[NftRule], InputError> {
        if let known = decodedChains.withLock({ $0[position] }) { return known }
        let outcome = decode(position)
        return decodedChains.withLock { cache in
            if let known = cache[position] { return known }  // another thread decoded it first
            cache[position] = outcome
            return outcome
        }
    }

    /// How many rules chain `position` holds (known without decoding).
    func ruleCount(_ position: Int) -> Int { items[position].count }

    private func decode(_ position: Int) -> Result<[NftRule], InputError> {
        var rules: [NftRule] = []
        rules.reserveCapacity(items[position].count)
        for item in items[position] {
            let index = Int(item.index), range = Int(item.start)..<Int(item.end)
            // In place from checked bytes, as the full decoder's fast path reads an item; any
            // doubt and the item is read the strict way, which words its error.
            if let span = JSONSpan.checked(bytes.buffer, range, depth: 2),
               case .rule(_, _, _, let rule)? = try? NftJSONItem(span: span, index: index) {
                rules.append(rule)
                continue
            }
            do throws(InputError) {
                guard case .rule(_, _, _, let rule) = try strictly(index, range) else { continue }
                rules.append(rule)
            } catch {
                return .failure(error)
            }
        }
        return .success(rules)
    }

    /// Item `index` read as the full decoder's strict path reads it: the same error, line and excerpt.
    private func strictly(_ index: Int, _ range: Range<Int>) throws(InputError) -> NftJSONItem {
        let buffer = bytes.buffer
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: Array(buffer[range]), source: source, linesBefore: { [bytes] in
                bytes.buffer[..<range.lowerBound].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            })
        } catch {
            throw InputError(source: source, line: error.line, expected: NftJSONParser.documentShape, found: error.inputError.found)
        }
        return try NftJSONItem(document.root, index: index, document: document)
    }
}

/// Where one rule item lies in a skimmed file: its index in the `nftables` list and its bytes.
struct NftRuleItem: Sendable {
    let index: Int32
    let start: UInt32
    let end: UInt32
}
