import Foundation
import SkoopModel

/// Reads `nft -j list ruleset` (nft.json) into an NftRuleset. Objects Skoop does not simulate
/// (flowtables, counters, quotas, ct helpers) are skipped; statements and expressions it does not
/// model become `unsupported` (the evaluator treats them as uncertain). Malformed input is an
/// error naming the file, line and item.
///
/// A large file is skimmed for the boundaries of its items, which are then checked and decoded
/// side by side straight from their bytes (each on its own: ``NftJSONItem``, ``JSONSpan``) and
/// gathered into tables in file order. Any failure on that
/// path reads the file again the strict way, whole, so that errors are the same whatever the path.
public enum NftJSONParser {
    /// Files above this size are decoded in pieces side by side.
    public static let splittingAbove = 1 << 20

    /// Parses `bytes`; `source` names the file in errors. Files above `splittingAbove` bytes are
    /// decoded in pieces (the fuzz harness lowers it to hold both paths to the same answers).
    public static func parse(_ bytes: [UInt8], source: String, splittingAbove: Int = NftJSONParser.splittingAbove) throws(InputError) -> NftRuleset {
        if bytes.count > splittingAbove {
            // Borrowed, not copied: nothing decoded in pieces keeps the bytes past this call.
            let ruleset = bytes.withUnsafeBufferPointer { buffer in
                inPieces(SharedBytes(buffer, release: { _, _ in }), source: source)
            }
            if let ruleset { return try ruleset.get() }
        }
        return try strict(bytes, source: source)
    }

    /// Parses `bytes` (a mapped file, say) without copying them when they decode in pieces.
    public static func parse(_ bytes: SharedBytes, source: String) throws(InputError) -> NftRuleset {
        if bytes.count > splittingAbove, let ruleset = inPieces(bytes, source: source) {
            return try ruleset.get()
        }
        return try strict(Array(bytes.buffer), source: source)
    }

    /// The whole document read at once, then its items in order: the reference for errors.
    static func strict(_ bytes: [UInt8], source: String) throws(InputError) -> NftRuleset {
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
        var builder = Builder(source: source)
        for (index, item) in items.enumerated() {
            builder.add(try NftJSONItem(item, index: index, document: document))
        }
        return try builder.finish()
    }

    /// The items decoded in pieces side by side; nil when anything is amiss (the document is not
    /// exactly `{"nftables": [...]}`, or an item does not decode): the strict read then words it.
    /// Errors gathering the tables (an undeclared set) are the same on both paths.
    static func inPieces(_ bytes: SharedBytes, source: String) -> Result<NftRuleset, InputError>? {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        guard let skim = try? JSONListSkim.skim(bytes, source: source, listMember: "nftables", pick: .members([]),
                                                 threads: threads, splittingAbove: 8 << 20),
              onlyTheList(bytes.buffer, skim) else { return nil }
        let count = skim.itemOffsets.count
        let pieces = min(max(count / 1_024, 1), 8 * threads)
        let decoded = Locked<[[NftJSONItem]?]>(Array(repeating: nil, count: pieces))
        let ready = (0..<pieces).map { _ in DispatchSemaphore(value: 0) }
        let failed = Locked(false)
        // Pieces are decoded on other threads while this one gathers them in order. A thread of
        // its own drives them, so they progress even when every pooled thread is waiting.
        let finished = DispatchSemaphore(value: 0)
        let decoding = Thread {
            defer { finished.signal() }
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                defer { ready[piece].signal() }
                var items: [NftJSONItem] = []
                items.reserveCapacity(count / pieces + 1)
                var group = RuleGroup()
                let strings = NftStrings()
                for index in (count * piece / pieces)..<(count * (piece + 1) / pieces) {
                    // Checked as the strict reader would, then decoded in place (no tree). Inside
                    // the document's object and its list: two containers are open around it.
                    guard !failed.withLock({ $0 }),
                          let span = JSONSpan.checked(bytes.buffer, skim.itemOffsets[index]..<skim.itemEnds[index], depth: 2),
                          let item = try? NftJSONItem(span: span, index: index, strings: strings) else {
                        failed.withLock { $0 = true }
                        return
                    }
                    group.add(item, to: &items)
                }
                group.flush(into: &items)
                decoded.withLock { $0[piece] = items }
            }
        }
        decoding.start()
        // The bytes are borrowed: no piece may still be reading them once this returns.
        defer { finished.wait() }
        var builder = Builder(source: source)
        builder.expectedChains = chainDeclarations(bytes.buffer, skim)
        for piece in 0..<pieces {
            ready[piece].wait()
            guard let items = decoded.withLock({ list in defer { list[piece] = nil }; return list[piece] }) else { return nil }
            for item in items { builder.add(item) }
        }
        do {
            return .success(try builder.finish())
        } catch {
            return .failure(error)
        }
    }

    /// The rules of one chain met one after another, gathered into one item.
    struct RuleGroup {
        var chain: (family: NftFamily, table: String, name: String)?
        var rules: [NftRule] = []

        mutating func add(_ item: NftJSONItem, to items: inout [NftJSONItem]) {
            guard case .rule(let family, let table, let name, let rule) = item else {
                flush(into: &items)
                items.append(item)
                return
            }
            if let chain, chain.family != family || chain.name != name || chain.table != table { flush(into: &items) }
            chain = (family, table, name)
            rules.append(rule)
        }

        mutating func flush(into items: inout [NftJSONItem]) {
            if let chain, !rules.isEmpty {
                items.append(.rules(family: chain.family, table: chain.table, chain: chain.name, rules: rules))
            }
            chain = nil
            rules = []
        }
    }

    /// About how many items declare a chain (those written `{"chain"`, as nft writes them): how
    /// many names a table's chain dictionary is made for once it is seen to be big.
    static func chainDeclarations(_ bytes: UnsafeBufferPointer<UInt8>, _ skim: JSONListSkim) -> Int {
        let head = Array("{\"chain\"".utf8)
        var count = 0
        for (offset, end) in zip(skim.itemOffsets, skim.itemEnds) where end - offset > head.count {
            if bytes[offset..<(offset + head.count)].elementsEqual(head) { count += 1 }
        }
        return count
    }

    /// Whether the document is `{"nftables": [ITEMS]}` and nothing else (whitespace aside): the
    /// skim checks no value outside the list.
    static func onlyTheList(_ bytes: UnsafeBufferPointer<UInt8>, _ skim: JSONListSkim) -> Bool {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        let head = Array("{\"nftables\":[".utf8)
        var matched = 0, index = 0
        let firstItem = skim.itemOffsets.first ?? bytes.count
        while index < firstItem {
            let byte = bytes[index]
            index += 1
            if isSpace(byte) { continue }
            guard matched < head.count, byte == head[matched] else { return false }
            matched += 1
        }
        guard matched == head.count else { return false }
        // Between items: a comma each; after the last: "]}". Compared byte by byte, spaces
        // skipped, with nothing allocated per item.
        let tail = Array("]}".utf8)
        for (index, end) in skim.itemEnds.enumerated() {
            let isLast = index + 1 == skim.itemOffsets.count
            let next = isLast ? bytes.count : skim.itemOffsets[index + 1]
            var matched = 0
            for byte in bytes[end..<next] where !isSpace(byte) {
                guard isLast ? matched < tail.count && byte == tail[matched] : matched == 0 && byte == UInt8(ascii: ",") else { return false }
                matched += 1
            }
            guard matched == (isLast ? tail.count : 1) else { return false }
        }
        return !skim.itemOffsets.isEmpty
    }

    /// Accumulates tables as items arrive (nft lists sets and chains before rules, but an
    /// `element` or a rule may name a chain or set declared later in hand-made files).
    struct Builder {
        let source: String
        var tables: [NftTable] = []
        var position: [String: Int] = [:]
        /// Raw set elements and where each set was declared, typed once the set's kinds are known.
        var pendingElements: [String: [NftRawElement]] = [:]

        init(source: String) {
            self.source = source
        }

        /// About how many chains the file declares (0: unknown): a table's dictionary of chains is
        /// made that big at once when it grows past a few thousand, rather than doubling on.
        var expectedChains = 0

        /// The table the previous item named: items come table by table.
        var last: (family: NftFamily, name: String, at: Int)?

        mutating func table(_ family: NftFamily, _ name: String) -> Int {
            if let last, last.family == family, last.name == name { return last.at }
            let at = lookUp(family, name)
            last = (family, name, at)
            return at
        }

        mutating func lookUp(_ family: NftFamily, _ name: String) -> Int {
            let key = "\(family.rawValue) \(name)"
            if let found = position[key] { return found }
            position[key] = tables.count
            tables.append(NftTable(family: family, name: name))
            return tables.count - 1
        }

        mutating func add(_ item: NftJSONItem) {
            switch item {
            case .table(let family, let name):
                _ = table(family, name)
            case .chain(let family, let tableName, let name, let handle, let base):
                let at = table(family, tableName)
                // One hash of the name: found or made in place.
                var isNew = false
                tables[at].chains[name, default: { isNew = true; return NftChain(name: name) }()].update(handle: handle, base: base)
                if isNew { placed(name, at) }
            case .rule(let family, let tableName, let chainName, let rule):
                append([rule], family, tableName, chainName)
            case .rules(let family, let tableName, let chainName, let rules):
                append(rules, family, tableName, chainName)
            case .set(let family, let tableName, let name, let keyTypes, let dataTypes, let flags, let raw):
                let at = table(family, tableName)
                pendingElements["\(at) \(name)", default: []] += raw
                var set = tables[at].sets[name] ?? NftSet(name: name, keyTypes: [])
                set.keyTypes = keyTypes
                set.dataTypes = dataTypes
                set.flags = flags
                tables[at].sets[name] = set
            case .element(let family, let tableName, let name, let raw):
                let at = table(family, tableName)
                pendingElements["\(at) \(name)", default: []] += raw
            case .ignored:
                break
            }
        }

        mutating func append(_ rules: [NftRule], _ family: NftFamily, _ tableName: String, _ chainName: String) {
            let at = table(family, tableName)
            var isNew = false
            tables[at].chains[chainName, default: { isNew = true; return NftChain(name: chainName) }()].append(rules)
            if isNew { placed(chainName, at) }
        }

        /// Records a new chain of table `at` in file order.
        mutating func placed(_ name: String, _ at: Int) {
            tables[at].chainOrder.append(name)
            if tables[at].chainOrder.count == 4_096, expectedChains > 4_096 {
                tables[at].chains.reserveCapacity(expectedChains)
                tables[at].chainOrder.reserveCapacity(expectedChains)
            }
        }

        mutating func finish() throws(InputError) -> NftRuleset {
            for (key, raw) in pendingElements {
                let parts = key.split(separator: " ", maxSplits: 1)
                guard let at = Int(parts[0]) else { continue }
                let name = String(parts[1])
                guard var set = tables[at].sets[name] else {
                    throw InputError(source: source, expected: "a declaration of set \(name) in table \(tables[at])",
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
