import Synchronization
import SkoopModel

/// The text of a scanned dump, shared by the chains decoded from it.
final class ScannedDump: Sendable {
    /// The whole dump (native UTF-8: line offsets index it in constant time).
    let text: String
    /// The file it came from, for messages.
    let source: String

    init(text: String, source: String) {
        self.text = text
        self.source = source
    }

    /// The bytes of `line`, as a slice of the dump.
    func slice(_ line: RuleLine) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: Int(line.start))
        let end = utf8.index(utf8.startIndex, offsetBy: Int(line.end))
        return text[start..<end]
    }
}

/// Where one rule sits in a scanned dump: byte offsets (counters included, newline excluded)
/// and its 1-based line. Twelve bytes a rule keeps 400,000-rule dumps small until decoded.
struct RuleLine: Hashable, Sendable {
    let start: UInt32
    let end: UInt32
    let line: UInt32
}

/// The rules of one chain: given decoded, or lines of a scanned dump decoded on first use and
/// then kept. Copies of a Chain share it, so every engine over the same parsed dump (every node
/// of a cluster carries kube-proxy's identical ruleset) decodes and indexes a chain once.
final class ChainRules: Sendable {
    /// How many rules there are (known without decoding).
    let count: Int
    private let lines: [RuleLine]
    private let dump: ScannedDump?
    private let table: String
    private let decoded: Mutex<[Rule]?>
    private let index: Mutex<DestinationIndex?>
    private let validation: Mutex<Result<[RulesetWarning], InputError>?>

    /// Rules already decoded.
    init(decoded rules: [Rule]) {
        count = rules.count
        lines = []
        dump = nil
        table = ""
        decoded = Mutex(rules)
        index = Mutex(nil)
        validation = Mutex(.success([]))
    }

    /// Rules of `table` still to be decoded from `dump`.
    init(lines: [RuleLine], dump: ScannedDump, table: String) {
        count = lines.count
        self.lines = lines
        self.dump = dump
        self.table = table
        decoded = Mutex(nil)
        index = Mutex(nil)
        validation = Mutex(nil)
    }

    /// The rules; a line that cannot be read becomes an unreadable rule (uncertain when walked).
    var rules: [Rule] {
        decoded.withLock { cache in
            if let cache { return cache }
            let rules = lines.map { line in
                (try? decode(line).rule) ?? unreadable(line)
            }
            cache = rules
            return rules
        }
    }

    /// The rules, or the first line that cannot be read; and what the reading noted. Done once.
    func decodeStrictly() throws(InputError) -> (rules: [Rule], notes: [RulesetWarning]) {
        guard let dump else { return (rules, []) }
        let outcome = validation.withLock { cached -> Result<[RulesetWarning], InputError> in
            if let cached { return cached }
            var rules: [Rule] = []
            var notes: [RulesetWarning] = []
            rules.reserveCapacity(lines.count)
            let result: Result<[RulesetWarning], InputError>
            do throws(InputError) {
                for line in lines {
                    let (rule, ruleNotes) = try decode(line)
                    rules.append(rule)
                    notes += ruleNotes.map { RulesetWarning(source: dump.source, line: rule.line, message: $0) }
                }
                let kept = rules
                decoded.withLock { $0 = kept }
                result = .success(notes)
            } catch {
                result = .failure(error)
            }
            cached = result
            return result
        }
        return (rules, try outcome.get())
    }

    /// The destination index over the rules, built once.
    var destinationIndex: DestinationIndex {
        index.withLock { cache in
            if let cache { return cache }
            let built = DestinationIndex(rules)
            cache = built
            return built
        }
    }

    private func decode(_ line: RuleLine) throws(InputError) -> (rule: Rule, notes: [String]) {
        guard let dump else { throw InputError(source: "", expected: "a rule", found: "nothing") }
        return try RuleDecoder.decode(dump.slice(line), number: Int(line.line), table: table, source: dump.source)
    }

    private func unreadable(_ line: RuleLine) -> Rule {
        let why: String
        do {
            _ = try decode(line)
            why = "unknown"
        } catch {
            why = error.expected
        }
        let text = dump.map { String($0.slice(line)) } ?? ""
        return Rule(matches: [Match(.unsupported(module: RuleDecoder.unreadableModule, arguments: ["expected \(why)"]))],
                    target: .none, text: text, line: Int(line.line))
    }
}

/// Chain positions by name, built on first lookup unless the parser already knew them.
final class ChainDirectory: Sendable {
    private let positions: Mutex<[String: Int]?>

    init(positions: [String: Int]) {
        self.positions = Mutex(positions)
    }

    init() {
        positions = Mutex(nil)
    }

    /// The position of the chain called `name` in `chains` (the chains this directory was made for).
    func position(of name: String, in chains: [Chain]) -> Int? {
        positions.withLock { cache in
            if let cache { return cache[name] }
            var built: [String: Int] = [:]
            for (position, chain) in chains.enumerated() where built[chain.name] == nil { built[chain.name] = position }
            cache = built
            return built[name]
        }
    }
}
