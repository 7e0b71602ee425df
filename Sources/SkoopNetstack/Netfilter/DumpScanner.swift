#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SkoopModel

/// Reads the structure of an iptables dump byte by byte: tables, chain declarations, and which
/// lines hold each chain's rules. Rule lines are only located (their chain name is checked);
/// decoding them is left to `ChainRules`. kube-proxy's dumps reach 440,000 lines, so the common
/// line (a rule of the same chain as the line before) costs a newline search and a comparison.
struct DumpScanner {
    /// A declared chain, kept small until its table is committed (kube-proxy declares 100,000):
    /// its name is made a String, and its policy a Target, only then.
    private struct Declared {
        /// Where the name sits in the dump.
        var nameStart: UInt32
        var nameCount: UInt32
        var policy: Policy
        var counters: Counters?

        var nameBytes: Range<Int> { Int(nameStart)..<Int(nameStart) + Int(nameCount) }
    }

    private enum Policy: UInt8 {
        case none, accept, drop

        var target: Target? {
            switch self {
            case .none: nil
            case .accept: .accept
            case .drop: .drop
            }
        }
    }

    private let dump: ScannedDump
    private(set) var ruleset = Ruleset()
    private var openTable: String?
    private var declared: [Declared] = []
    private var index = ChainNameIndex()
    /// The open table's rule lines with their chain, in dump order.
    private var ruleLines: [(chain: Int32, line: RuleLine)] = []
    /// The chain of the previous rule line, and where its name sits in the dump.
    private var lastChain = -1
    private var lastName = 0..<0

    init(dump: ScannedDump) {
        self.dump = dump
    }

    private func error(_ line: Int, _ expected: String, _ found: UnsafeBufferPointer<UInt8>.SubSequence) -> InputError {
        InputError(source: dump.source, line: line, expected: expected, found: String(decoding: found, as: UTF8.self))
    }

    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) throws(InputError) {
        // Room for more lines than a dump this size holds (kube-proxy's: a rule per ~145 bytes,
        // a chain per ~430): growing by doubling would copy these arrays again and again and
        // touch twice the memory, each new page a page fault. Reserved pages never touched cost
        // nothing.
        ruleLines.reserveCapacity(bytes.count / 64 + 16)
        declared.reserveCapacity(bytes.count / 128 + 16)
        var position = 0
        var lineNumber = 0
        var lastContent = 0
        let count = bytes.count
        while position <= count {
            lineNumber += 1
            var end = count
            if position < count, let base = bytes.baseAddress,
               let found = memchr(base + position, Int32(UInt8(ascii: "\n")), count - position) {
                end = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
            }
            var start = position
            position = end + 1
            var stop = end
            if stop > start, bytes[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
            while start < stop, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
            if start == stop { continue }
            lastContent = lineNumber
            try consume(bytes, start..<stop, number: lineNumber)
        }
        if let openTable {
            throw InputError(source: dump.source, line: lastContent, expected: "COMMIT closing table *\(openTable)",
                             found: "end of input")
        }
    }

    private mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, number: Int) throws(InputError) {
        let text = bytes[line]
        switch bytes[line.lowerBound] {
        case UInt8(ascii: "#"):
            noteHeader(String(decoding: text, as: UTF8.self))
            return
        case UInt8(ascii: "*"):
            guard openTable == nil else { throw error(number, "COMMIT before a new table", text) }
            let name = String(decoding: text.dropFirst(), as: UTF8.self).trimmingSpaces
            guard IPTablesSaveParser.knownTables.contains(name) else {
                throw error(number, "a table name (raw, mangle, nat, filter, security)", text)
            }
            openTable = name
            return
        default:
            break
        }
        guard openTable != nil else { throw error(number, "a *table line before chains and rules", text) }
        switch bytes[line.lowerBound] {
        case UInt8(ascii: ":"):
            try declareChain(bytes, line, number: number)
        case UInt8(ascii: "["), UInt8(ascii: "-"):
            try locateRule(bytes, line, number: number)
        default:
            guard String(decoding: text, as: UTF8.self).trimmedSpaces == "COMMIT" else {
                throw error(number, "-A CHAIN, :CHAIN, COMMIT or a comment", text)
            }
            commit()
        }
    }

    private mutating func noteHeader(_ line: String) {
        guard line.hasPrefix("# Generated by") else { return }
        if line.contains("ip6tables") { ruleset.family = .inet6 }
        if line.contains("nf_tables") || line.contains("-nft-save") {
            ruleset.dialect = .nft
        } else if ruleset.dialect == .unknown {
            ruleset.dialect = .legacy
        }
    }

    /// `:NAME POLICY [packets:bytes]`.
    private mutating func declareChain(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, number: Int) throws(InputError) {
        // Three words at most, found without an array: this runs for each of 100,000 chains.
        let text = bytes[line]
        guard let first = Self.firstWord(bytes, line.lowerBound + 1..<line.upperBound),
              let second = Self.firstWord(bytes, first.upperBound..<line.upperBound) else {
            throw error(number, ":CHAIN POLICY [packets:bytes]", text)
        }
        let third = Self.firstWord(bytes, second.upperBound..<line.upperBound)
        let policy: Policy
        switch (bytes[second.lowerBound], second.count) {
        case (UInt8(ascii: "-"), 1): policy = .none
        case (UInt8(ascii: "A"), 6) where String(decoding: bytes[second], as: UTF8.self) == "ACCEPT": policy = .accept
        case (UInt8(ascii: "D"), 4) where String(decoding: bytes[second], as: UTF8.self) == "DROP": policy = .drop
        default: throw error(number, "a chain policy (ACCEPT, DROP or -)", text)
        }
        var counters: Counters?
        if let third {
            let word = bytes[third]
            guard let parsed = Counters(plainBytes: word) ?? Counters(bracketed: Substring(String(decoding: word, as: UTF8.self))) else {
                throw error(number, "[packets:bytes]", text)
            }
            counters = parsed
        }
        if index.insert(first, in: bytes) != nil {
            throw error(number, "a chain declared once", text)
        }
        declared.append(Declared(nameStart: UInt32(first.lowerBound), nameCount: UInt32(first.count), policy: policy,
                                 counters: counters))
    }

    /// `[packets:bytes] -A CHAIN ...`: notes the line under its chain.
    private mutating func locateRule(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, number: Int) throws(InputError) {
        let text = bytes[line]
        var at = line.lowerBound
        if bytes[at] == UInt8(ascii: "[") {
            // The counters are read with the rule; here they only have to end before -A.
            while at < line.upperBound, bytes[at] != UInt8(ascii: "]") { at += 1 }
            guard at < line.upperBound else { throw error(number, "[packets:bytes] before the rule", text) }
            at += 1
            while at < line.upperBound, bytes[at] == UInt8(ascii: " ") { at += 1 }
        }
        guard line.upperBound - at >= 3, bytes[at] == UInt8(ascii: "-"), bytes[at + 1] == UInt8(ascii: "A"),
              bytes[at + 2] == UInt8(ascii: " ") else {
            throw error(number, "-A CHAIN, :CHAIN, COMMIT or a comment", text)
        }
        guard let nameRange = Self.firstWord(bytes, at + 3..<line.upperBound) else {
            throw error(number, "-A CHAIN", text)
        }
        let chain = try chainPosition(bytes, nameRange, line: line, number: number)
        ruleLines.append((Int32(chain), RuleLine(start: UInt32(line.lowerBound), end: UInt32(line.upperBound), line: UInt32(number))))
    }

    /// The declared chain whose name is at `range`; the previous rule's chain is tried first.
    private mutating func chainPosition(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Range<Int>,
                                        number: Int) throws(InputError) -> Int {
        func same(_ other: Range<Int>) -> Bool {
            range.count == other.count
                && memcmp(bytes.baseAddress! + range.lowerBound, bytes.baseAddress! + other.lowerBound, range.count) == 0
        }
        if lastChain >= 0, same(lastName) { return lastChain }
        // iptables-save lists rules chain by chain in declaration order: try the next chain
        // before hashing the name.
        if lastChain + 1 < declared.count, same(declared[lastChain + 1].nameBytes) {
            lastChain += 1
            lastName = range
            return lastChain
        }
        let found: Int?
        if bytes[range].contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\\") }) {
            // A quoted or escaped chain name: read the line the way the rule decoder will.
            let whole = Substring(String(decoding: bytes[line], as: UTF8.self))
            guard let words = try? ShellTokenizer.split(whole.drop { $0 != "-" }), words.count >= 2 else {
                throw error(number, "balanced quotes", bytes[line])
            }
            found = index.position(of: words[1], in: bytes)
            guard found != nil else { throw error(number, "a rule for a chain declared with :\(words[1])", bytes[line]) }
        } else {
            found = index.position(of: bytes.baseAddress! + range.lowerBound, count: range.count, in: bytes)
        }
        guard let position = found else {
            throw error(number, "a rule for a chain declared with :\(String(decoding: bytes[range], as: UTF8.self))", bytes[line])
        }
        lastChain = position
        lastName = range
        return position
    }

    /// Closes the open table.
    private mutating func commit() {
        guard let name = openTable else { return }
        let rules = ScannedTable(dump: dump, table: name, chainCount: declared.count, lines: ruleLines)
        let chains = declared.indices.map { position in
            let chain = declared[position]
            return Chain(name: String(decoding: dump.bytes.buffer[chain.nameBytes], as: UTF8.self), policy: chain.policy.target,
                         counters: chain.counters, storage: .scanned(rules, position))
        }
        ruleset.tables.append(Table(name: name, chains: chains, index: index, dump: dump))
        openTable = nil
        declared = []
        index = ChainNameIndex()
        ruleLines = []
        lastChain = -1
    }

    /// The first space- or tab-separated word of `range` (every rule line: no array).
    static func firstWord(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int>? {
        var at = range.lowerBound
        while at < range.upperBound, bytes[at] == UInt8(ascii: " ") || bytes[at] == UInt8(ascii: "\t") { at += 1 }
        let start = at
        while at < range.upperBound, bytes[at] != UInt8(ascii: " "), bytes[at] != UInt8(ascii: "\t") { at += 1 }
        return at > start ? start..<at : nil
    }
}
