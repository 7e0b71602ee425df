import SkoopModel

/// A parsed dump and what deserved a warning while reading it.
public struct IPTablesParseResult: Hashable, Sendable {
    /// The ruleset.
    public var ruleset: Ruleset
    /// Readable oddities: jumps to missing chains, options Skoop does not model.
    public var warnings: [RulesetWarning]
}

/// Reads `iptables-save -c`, `iptables-nft-save -c` and `ip6tables-save -c` output.
public enum IPTablesSaveParser {
    /// The table names the kernel knows.
    static let knownTables: Set<String> = ["raw", "mangle", "nat", "filter", "security"]

    /// Parses a whole dump, every rule decoded: throws `InputError` for the first malformed line,
    /// keeps unknown matches and targets as `.unsupported`, warns about jumps to missing chains.
    /// `fastRules: false` reads every rule the reference way (no byte-level fast path): the same
    /// result, slower; for checking the fast path against.
    public static func parse(_ text: String, source: String, fastRules: Bool = true) throws -> IPTablesParseResult {
        let scanned = try scan(SharedBytes(copying: Array(text.utf8)), source: source, fastRules: fastRules)
        return IPTablesParseResult(ruleset: scanned.ruleset, warnings: try scanned.ruleset.validate(source: source))
    }

    /// Reads a dump's structure (tables, chains, which line holds which chain's rules) without
    /// decoding rules: a chain's rules are decoded when first used, so a diagnosis pays only for
    /// the chains its packets visit. Throws for structural errors; a rule that turns out to be
    /// malformed when decoded becomes an unreadable rule (walked as uncertain, with a warning).
    public static func scan(_ text: String, source: String) throws(InputError) -> IPTablesParseResult {
        try scan(SharedBytes(copying: Array(text.utf8)), source: source)
    }

    /// Scans a dump given as bytes (a mapped file: a diagnosis never copies the 50 MB dump of
    /// every node into a String). The bytes must be UTF-8, as iptables-save writes them.
    public static func scan(_ bytes: SharedBytes, source: String, fastRules: Bool = true) throws(InputError) -> IPTablesParseResult {
        guard bytes.count < Int(UInt32.max) else {
            throw InputError(source: source, expected: "a dump smaller than 4 GiB", found: "\(bytes.count) bytes")
        }
        guard UTF8Check.isValid(bytes.buffer) else {
            throw InputError(source: source, expected: "UTF-8 text", found: "invalid UTF-8")
        }
        let dump = ScannedDump(bytes: bytes, source: source, fastRules: fastRules)
        var scanner = DumpScanner(dump: dump)
        try scanner.scan(bytes.buffer)
        return IPTablesParseResult(ruleset: scanner.ruleset, warnings: [])
    }
}

/// Whether bytes are UTF-8: eight ASCII bytes at a time (a dump is nearly all ASCII), the
/// standard library's validation from the first word that is not.
enum UTF8Check {
    static func isValid(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var position = 0
        while position + 8 <= buffer.count,
              raw.loadUnaligned(fromByteOffset: position, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            position += 8
        }
        // Back to the start of the character the non-ASCII word may be in the middle of.
        while position > 0, position < buffer.count, buffer[position] & 0xC0 == 0x80 { position -= 1 }
        return String(validating: buffer[position...], as: UTF8.self) != nil
    }
}

/// Decodes one `[packets:bytes] -A CHAIN ...` line into a rule.
enum RuleDecoder {
    /// The match module standing for a rule that could not be read.
    static let unreadableModule = "unreadable"

    /// The rule on `line` (leading blanks already dropped) and what the reading noted.
    static func decode(_ line: Substring, number: Int, table: String, source: String) throws(InputError) -> (rule: Rule, notes: [String]) {
        func failure(_ expected: String) -> InputError {
            InputError(source: source, line: number, expected: expected, found: String(line))
        }
        var body = line
        var counters: Counters?
        if body.hasPrefix("[") {
            guard let close = body.firstIndex(of: "]"), let parsed = Counters(bracketed: body[...close]) else {
                throw failure("[packets:bytes] before the rule")
            }
            counters = parsed
            body = body[body.index(after: close)...].drop { $0 == " " }
        }
        guard body.hasPrefix("-A ") else { throw failure("-A CHAIN, :CHAIN, COMMIT or a comment") }
        let words: [String]
        do {
            words = try ShellTokenizer.split(body)
        } catch {
            throw failure("balanced quotes")
        }
        guard words.count >= 2 else { throw failure("-A CHAIN") }
        var reader = RuleReader(words: words, start: 2, table: table)
        let matches: [Match], target: Target
        do {
            (matches, target) = try reader.read(onError: { failure($0) })
        } catch let known as InputError {
            throw known
        } catch {
            throw InputError(source: source, line: number, expected: "an iptables rule", found: String(line))
        }
        return (Rule(matches: matches, target: target, counters: counters, text: String(body), line: number), reader.notes)
    }
}

extension Counters {
    /// `[packets:bytes]` as the dumps print it, or nil.
    init?(bracketed text: Substring) {
        if let fast = Counters(plainBytes: text.utf8) {
            self = fast
            return
        }
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let parts = text.dropFirst().dropLast().split(separator: ":")
        guard parts.count == 2, let packets = UInt64(parts[0]), let bytes = UInt64(parts[1]) else { return nil }
        self.init(packets: packets, bytes: bytes)
    }

    /// `[DIGITS:DIGITS]` without overflow, read byte by byte (it prefixes each of 400,000 rules).
    init?<Bytes: Collection<UInt8>>(plainBytes bytes: Bytes) {
        guard bytes.first == UInt8(ascii: "["), bytes.count >= 5 else { return nil }
        var packets: UInt64 = 0, value: UInt64 = 0
        var digits = 0, sawColon = false, closed = false
        for byte in bytes.dropFirst() {
            guard !closed else { return nil }
            if byte == UInt8(ascii: "]") {
                closed = true
                continue
            }
            if byte == UInt8(ascii: ":") {
                guard !sawColon, digits > 0 else { return nil }
                sawColon = true
                packets = value
                value = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 19 else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        guard closed, sawColon, digits > 0 else { return nil }
        self.init(packets: packets, bytes: value)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String { String(trimmedSpaces) }

    /// The text without leading and trailing spaces and tabs, as a slice (no copy).
    var trimmedSpaces: SubSequence {
        // Index walks, not reversed(): this runs on every line of 400,000-line dumps.
        var start = startIndex, end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start {
            let before = index(before: end)
            guard self[before] == " " || self[before] == "\t" else { break }
            end = before
        }
        return self[start..<end]
    }
}
