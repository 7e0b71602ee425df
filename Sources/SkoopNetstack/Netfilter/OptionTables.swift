/// `ExtensionOptions` and `OptionArity` as byte strings, for `FastRuleDecoder` to find a rule's
/// modules, targets and options without making Strings of its words.
final class OptionTables: Sendable {
    static let shared = OptionTables()

    /// One spelling of an option.
    struct Entry: Sendable {
        let spelling: [UInt8]
        /// Its canonical name's position in the extension's options (aliases share it).
        let canonical: Int
        /// How many values it takes; nil when it takes words up to the next option.
        let arity: Int?
        /// The side of a `--sport`/`--dport` (or alias) of a protocol match.
        let port: PacketSide?
    }

    /// Modules `FastRuleDecoder` builds directly; the others go through `MatchModules`.
    enum ModuleKind: Sendable {
        case comment, ports, statistic, other
    }

    /// Targets `FastRuleDecoder` builds directly; the others go through `TargetParser`.
    enum TargetKind: Sendable {
        case accept, drop, `return`, dnat, other
    }

    struct Module: Sendable {
        let name: [UInt8]
        let kind: ModuleKind
        let options: [Entry]
    }

    struct TargetTable: Sendable {
        let name: [UInt8]
        let kind: TargetKind
        let options: [Entry]
    }

    /// Every match module `ExtensionOptions` knows, kube-proxy's first.
    let modules: [Module]
    /// Every target whose options `ExtensionOptions` knows.
    let targets: [TargetTable]
    private let otherExtensions: [[UInt8]]
    private let genericLongOptions: [[UInt8]]

    private init() {
        func entries(_ options: [String: String]) -> [Entry] {
            let canonical = Array(Set(options.values)).sorted()
            return options.keys.sorted().map { spelling in
                let name = options[spelling]!
                let port: PacketSide? = name == "--sport" ? .source : name == "--dport" ? .destination : nil
                return Entry(spelling: Array(spelling.utf8), canonical: canonical.firstIndex(of: name)!,
                             arity: OptionArity.known[spelling], port: port)
            }
        }
        let first = ["comment", "tcp", "statistic", "udp", "mark", "conntrack", "addrtype", "multiport", "set"]
        let names = first + ExtensionOptions.matches.keys.filter { !first.contains($0) }.sorted()
        modules = names.compactMap { name in
            guard let options = ExtensionOptions.matches[name] else { return nil }
            let kind: ModuleKind = switch name {
            case "comment": .comment
            case "tcp", "udp", "sctp", "udplite", "dccp": .ports
            case "statistic": .statistic
            default: .other
            }
            return Module(name: Array(name.utf8), kind: kind, options: entries(options))
        }
        let targetNames = ["ACCEPT", "DROP", "RETURN", "DNAT", "MARK", "MASQUERADE", "REJECT", "SNAT", "REDIRECT",
                           "CONNMARK", "LOG", "NFLOG", "NOTRACK", "CT", "TRACE"]
        targets = targetNames.compactMap { name in
            guard let options = ExtensionOptions.target(name) else { return nil }
            let kind: TargetKind = switch name {
            case "ACCEPT": .accept
            case "DROP": .drop
            case "RETURN": .return
            case "DNAT": .dnat
            default: .other
            }
            return TargetTable(name: Array(name.utf8), kind: kind,
                               options: entries(Dictionary(uniqueKeysWithValues: options.map { ($0, $0) })))
        }
        otherExtensions = TargetParser.otherExtensions.map { Array($0.utf8) }
        genericLongOptions = RuleReader.topLevel.filter { $0.hasPrefix("--") }.map { Array($0.utf8) }
    }

    /// The module called `word`.
    func module(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Int? {
        modules.firstIndex { Self.same(bytes, word, $0.name) }
    }

    /// The target called `word`, when Skoop knows its options.
    func target(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Int? {
        targets.firstIndex { Self.same(bytes, word, $0.name) }
    }

    /// The position of option `word` among the options of `loaded`, when it has it.
    func option(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, of loaded: (table: Int, isTarget: Bool)) -> Int? {
        guard loaded.table >= 0 else { return nil }
        let options = loaded.isTarget ? targets[loaded.table].options : modules[loaded.table].options
        return options.firstIndex { Self.same(bytes, word, $0.spelling) }
    }

    func entry(_ option: Int, of loaded: (table: Int, isTarget: Bool)) -> Entry {
        loaded.isTarget ? targets[loaded.table].options[option] : modules[loaded.table].options[option]
    }

    /// A target extension Skoop knows exists but does not model.
    func isOtherExtension(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Bool {
        otherExtensions.contains { Self.same(bytes, word, $0) }
    }

    /// `--source`, `--jump` and the other long spellings of generic options.
    func isGenericLongOption(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Bool {
        genericLongOptions.contains { Self.same(bytes, word, $0) }
    }

    static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, _ name: [UInt8]) -> Bool {
        guard word.count == name.count else { return false }
        var at = word.lowerBound
        for byte in name {
            guard bytes[at] == byte else { return false }
            at += 1
        }
        return true
    }
}
