import SkoopModel

/// The text of a scanned dump, shared by the chains decoded from it.
final class ScannedDump: Sendable {
    /// The whole dump (checked to be UTF-8 when scanned), mapped or copied.
    let bytes: SharedBytes
    /// The file it came from, for messages.
    let source: String
    /// Whether rules are read by `FastRuleDecoder` where it can (else by `RuleDecoder` alone,
    /// the reference the fast path is checked against).
    let fastRules: Bool

    init(bytes: SharedBytes, source: String, fastRules: Bool = true) {
        self.bytes = bytes
        self.source = source
        self.fastRules = fastRules
    }

    /// The text of `line`.
    func slice(_ line: RuleLine) -> Substring {
        Substring(String(decoding: bytes.buffer[Int(line.start)..<Int(line.end)], as: UTF8.self))
    }
}

/// Where one rule sits in a scanned dump: byte offsets (counters included, newline excluded)
/// and its 1-based line. Twelve bytes a rule keeps 400,000-rule dumps small until decoded.
struct RuleLine: Hashable, Sendable {
    let start: UInt32
    let end: UInt32
    let line: UInt32
}

/// The rules of one chain: given decoded, or a chain of a scanned table, decoded on first use
/// and then kept. Copies of a Chain share the storage, so every engine over the same parsed
/// dump (every node of a cluster carries kube-proxy's identical ruleset) decodes and indexes a
/// chain once.
enum ChainRules: Sendable {
    case decoded(DecodedRules)
    /// The chain at this position of a scanned table.
    case scanned(ScannedTable, Int)

    /// Rules already decoded.
    init(decoded rules: [Rule]) {
        self = .decoded(DecodedRules(rules))
    }

    /// How many rules there are (known without decoding).
    var count: Int {
        switch self {
        case .decoded(let rules): rules.rules.count
        case .scanned(let table, let chain): table.ruleCount(chain)
        }
    }

    /// The rules; a line that cannot be read becomes an unreadable rule (uncertain when walked).
    var rules: [Rule] {
        switch self {
        case .decoded(let rules): rules.rules
        case .scanned(let table, let chain): table.rules(chain)
        }
    }

    /// The rules, or the first line that cannot be read; and what the reading noted. Done once.
    func decodeStrictly() throws(InputError) -> (rules: [Rule], notes: [RulesetWarning]) {
        var decoder = FastRuleDecoder()
        return try decodeStrictly(using: &decoder)
    }

    /// The same, with a decoder reused across chains.
    func decodeStrictly(using decoder: inout FastRuleDecoder) throws(InputError) -> (rules: [Rule], notes: [RulesetWarning]) {
        switch self {
        case .decoded(let rules): return (rules.rules, [])
        case .scanned(let table, let chain): return try table.decodeStrictly(chain, using: &decoder)
        }
    }

    /// True when rules can be decoded one by one (``rule(at:)``) rather than all at once.
    var decodesRulesApart: Bool {
        if case .scanned = self { return true }
        return false
    }

    /// Rule `position`, decoded alone when the chain was scanned and not decoded yet.
    func rule(at position: Int) -> Rule {
        switch self {
        case .decoded(let rules): rules.rules[position]
        case .scanned(let table, let chain): table.rule(chain, at: position)
        }
    }

    /// The destination index over the rules, built once.
    var destinationIndex: DestinationIndex {
        switch self {
        case .decoded(let rules): rules.destinationIndex
        case .scanned(let table, let chain): table.destinationIndex(chain)
        }
    }
}

/// Decoded rules and their destination index, built on first use.
final class DecodedRules: Sendable {
    let rules: [Rule]
    private let index = Locked<DestinationIndex?>(nil)

    init(_ rules: [Rule]) {
        self.rules = rules
    }

    var destinationIndex: DestinationIndex {
        index.withLock { cache in
            if let cache { return cache }
            let built = DestinationIndex(rules)
            cache = built
            return built
        }
    }
}

/// One table of a scanned dump: every rule line grouped by chain (one array for the whole
/// table, not one per chain: kube-proxy declares 100,000 chains), decoded chain by chain.
final class ScannedTable: Sendable {
    private let dump: ScannedDump
    private let table: String
    /// Rule lines grouped by chain, in dump order within a chain.
    private let lines: [RuleLine]
    /// Where each chain's lines start in `lines`; one more entry than chains.
    private let starts: [Int]
    /// Per chain, by position: arrays, not dictionaries (a full read fills 100,000 entries).
    private struct Caches {
        var decoded: [[Rule]?]
        var indexes: [DestinationIndex?]
        var validated: Validations
        /// Rules decoded one by one (by position in `lines`), of chains not decoded whole.
        var singles: [Int: Rule] = [:]

        init(chainCount: Int) {
            decoded = Array(repeating: nil, count: chainCount)
            indexes = Array(repeating: nil, count: chainCount)
            validated = Validations(chainCount: chainCount)
        }
    }

    /// Each chain's strict decoding outcome: its notes, or its error (few chains have one).
    private struct Validations {
        var notes: [[RulesetWarning]?]
        var failures: [Int: InputError] = [:]

        init(chainCount: Int) {
            notes = Array(repeating: nil, count: chainCount)
        }

        subscript(chain: Int) -> Result<[RulesetWarning], InputError>? {
            get {
                if let error = failures[chain] { return .failure(error) }
                return notes[chain].map { .success($0) }
            }
            set {
                switch newValue {
                case .success(let found): notes[chain] = found
                case .failure(let error): failures[chain] = error
                case nil: notes[chain] = nil; failures[chain] = nil
                }
            }
        }
    }
    private let caches: Locked<Caches>

    /// `lines` holds each rule line with the position of its chain, in dump order.
    init(dump: ScannedDump, table: String, chainCount: Int, lines: [(chain: Int32, line: RuleLine)]) {
        self.dump = dump
        self.table = table
        // A counting sort by chain keeps dump order within each chain.
        var starts = [Int](repeating: 0, count: chainCount + 1)
        for entry in lines { starts[Int(entry.chain) + 1] += 1 }
        for chain in 0..<chainCount { starts[chain + 1] += starts[chain] }
        var next = starts
        var grouped = [RuleLine](repeating: RuleLine(start: 0, end: 0, line: 0), count: lines.count)
        for entry in lines {
            grouped[next[Int(entry.chain)]] = entry.line
            next[Int(entry.chain)] += 1
        }
        self.lines = grouped
        self.starts = starts
        caches = Locked(Caches(chainCount: chainCount))
    }

    deinit {
        // Every rule decoded is 330,000 rules' strings and arrays to free: on one thread that
        // was a tenth or more of a full read's CPU, all of it after the decoding workers ended,
        // so each core frees half.
        var decoded = caches.withLock { caches in
            defer { caches.decoded = [] }
            return caches.decoded
        }
        guard lines.count > ChainDecoding.parallelAbove else { return }
        // Where half the rules are behind (about where decoding cut them).
        var cut = 0
        while cut + 1 < starts.count, starts[cut] * 2 < lines.count { cut += 1 }
        ChainDecoding.release(&decoded, cut: min(cut, decoded.count))
    }

    func ruleCount(_ chain: Int) -> Int { starts[chain + 1] - starts[chain] }

    func rules(_ chain: Int) -> [Rule] {
        if let cached = caches.withLock({ $0.decoded[chain] }) { return cached }
        var decoder = FastRuleDecoder()
        let rules = lines[starts[chain]..<starts[chain + 1]].map { decodeLine($0, &decoder) }
        caches.withLock { $0.decoded[chain] = rules }
        return rules
    }

    func decodeStrictly(_ chain: Int, using decoder: inout FastRuleDecoder) throws(InputError) -> (rules: [Rule], notes: [RulesetWarning]) {
        if let known = caches.withLock({ $0.validated[chain] }) { return (rules(chain), try known.get()) }
        var rules: [Rule] = []
        rules.reserveCapacity(ruleCount(chain))
        var notes: [RulesetWarning] = []
        let outcome: Result<[RulesetWarning], InputError>
        do throws(InputError) {
            for line in lines[starts[chain]..<starts[chain + 1]] {
                if let rule = fast(line, &decoder) {
                    rules.append(rule)
                    continue
                }
                let (rule, ruleNotes) = try decode(line)
                rules.append(rule)
                notes += ruleNotes.map { RulesetWarning(source: dump.source, line: rule.line, message: $0) }
            }
            outcome = .success(notes)
        } catch {
            outcome = .failure(error)
        }
        let kept = rules
        let stored = caches.withLock { caches -> [Rule]? in
            if let known = caches.validated[chain] {
                // Another thread decoded it first: keep one copy.
                if case .success = known { return caches.decoded[chain] }
                return nil
            }
            caches.validated[chain] = outcome
            if case .success = outcome { caches.decoded[chain] = kept }
            return kept
        }
        let found = try outcome.get()
        return (stored ?? self.rules(chain), found)
    }

    /// The rule on `line`; a line that cannot be read becomes an unreadable rule.
    private func decodeLine(_ line: RuleLine, _ decoder: inout FastRuleDecoder) -> Rule {
        fast(line, &decoder) ?? (try? decode(line).rule) ?? unreadable(line)
    }

    /// The rule on `line` as `FastRuleDecoder` reads it, when it can and is asked to.
    private func fast(_ line: RuleLine, _ decoder: inout FastRuleDecoder) -> Rule? {
        guard dump.fastRules else { return nil }
        return decoder.decode(dump.bytes.buffer, Int(line.start)..<Int(line.end), number: Int(line.line))
    }

    /// Rule `position` of `chain`: from the chain decoded whole, else decoded alone and kept.
    func rule(_ chain: Int, at position: Int) -> Rule {
        let line = starts[chain] + position
        if let cached = caches.withLock({ $0.decoded[chain]?[position] ?? $0.singles[line] }) { return cached }
        var decoder = FastRuleDecoder()
        let rule = decodeLine(lines[line], &decoder)
        caches.withLock { $0.singles[line] = rule }
        return rule
    }

    /// The index of the chain's rules by host destination, built from the rule lines: a line
    /// that starts with its host destination (``LeadingDestination``) is not decoded, any other
    /// is decoded alone. The same index as over the decoded rules (``DestinationIndex/host(of:)``).
    func destinationIndex(_ chain: Int) -> DestinationIndex {
        if let cached = caches.withLock({ $0.indexes[chain] }) { return cached }
        let buffer = dump.bytes.buffer
        let hosts = (0..<ruleCount(chain)).map { position -> IPAddress? in
            let line = lines[starts[chain] + position]
            if let host = LeadingDestination.host(in: buffer, Int(line.start)..<Int(line.end)) { return host }
            return DestinationIndex.host(of: rule(chain, at: position))
        }
        let built = DestinationIndex(hosts: hosts)
        caches.withLock { $0.indexes[chain] = built }
        return built
    }

    private func decode(_ line: RuleLine) throws(InputError) -> (rule: Rule, notes: [String]) {
        try RuleDecoder.decode(dump.slice(line), number: Int(line.line), table: table, source: dump.source)
    }

    private func unreadable(_ line: RuleLine) -> Rule {
        let why: String
        do {
            _ = try decode(line)
            why = "unknown"
        } catch {
            why = error.expected
        }
        return Rule(matches: [Match(.unsupported(module: RuleDecoder.unreadableModule, arguments: ["expected \(why)"]))],
                    target: .none, text: String(dump.slice(line)), line: Int(line.line))
    }
}

/// Chain positions by name: the scanner's index into the dump, or built on first lookup.
final class ChainDirectory: Sendable {
    private let positions: Locked<[String: Int]?>
    private let scanned: (index: ChainNameIndex, dump: ScannedDump)?

    init(index: ChainNameIndex, dump: ScannedDump) {
        positions = Locked(nil)
        scanned = (index, dump)
    }

    init() {
        positions = Locked(nil)
        scanned = nil
    }

    /// A finder over `chains` (the chains this directory was made for) for one thread's many lookups.
    func finder(for chains: [Chain]) -> ChainFinder {
        guard let scanned else { return ChainFinder(chains: chains, directory: self) }
        return ChainFinder(chains: chains, index: scanned.index, dump: scanned.dump)
    }

    /// The position of the chain called `name` in `chains` (the chains this directory was made for).
    func position(of name: String, in chains: [Chain]) -> Int? {
        if let scanned {
            return scanned.index.position(of: name, in: scanned.dump.bytes.buffer)
        }
        return positions.withLock { cache in
            if let cache { return cache[name] }
            var built: [String: Int] = [:]
            for (position, chain) in chains.enumerated() where built[chain.name] == nil { built[chain.name] = position }
            cache = built
            return built[name]
        }
    }
}

/// Chain lookups by name for one thread making many (a decoding worker checks each of 330,000
/// rules' jumps): what it needs is taken once, instead of each lookup copying the table's
/// chain and index (retains on objects both workers share, each a contended atomic).
struct ChainFinder {
    private let chains: [Chain]
    /// The scanner's index into `bytes`, when the table was scanned.
    private let index: ChainNameIndex
    private let isScanned: Bool
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Keeps `bytes` alive.
    private let dump: ScannedDump?
    /// Answers for a table that was not scanned.
    private let directory: ChainDirectory?

    init(chains: [Chain], index: ChainNameIndex, dump: ScannedDump) {
        self.chains = chains
        self.index = index
        isScanned = true
        bytes = dump.bytes.buffer
        self.dump = dump
        directory = nil
    }

    init(chains: [Chain], directory: ChainDirectory) {
        self.chains = chains
        index = ChainNameIndex(capacity: 0)
        isScanned = false
        bytes = UnsafeBufferPointer(start: nil, count: 0)
        dump = nil
        self.directory = directory
    }

    /// Whether a chain is called `name`.
    func contains(_ name: String) -> Bool {
        guard isScanned else { return directory?.position(of: name, in: chains) != nil }
        return index.position(of: name, in: bytes) != nil
    }

    /// The name of the chain whose name is the bytes at `range` of `text`, as the table holds
    /// it (no new string: a jump target is mostly a 25-byte name, a heap allocation each);
    /// nil when no chain is called so or the table was not scanned.
    func name(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard isScanned, let base = text.baseAddress,
              let position = index.position(of: base + range.lowerBound, count: range.count, in: bytes) else { return nil }
        return chains[position].name
    }
}
