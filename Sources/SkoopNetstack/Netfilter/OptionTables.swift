#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ExtensionOptions` and `OptionArity` as byte strings, for `FastRuleDecoder` to find a rule's
/// modules, targets and options without making Strings of its words.
final class OptionTables: @unchecked Sendable {
    // @unchecked: every buffer is written once in init and only read afterwards. Plain values
    // in buffers, not arrays of structs holding arrays: a lookup then retains nothing (retains
    // and releases were a fifth of the decoding time).
    static let shared = OptionTables()

    /// Where a name sits in `names`.
    struct Name {
        let start: Int
        let count: Int
    }

    /// One spelling of an option.
    struct Entry {
        let spelling: Name
        /// Its canonical name's position in the extension's options (aliases share it).
        let canonical: Int
        /// How many values it takes; nil when it takes words up to the next option.
        let arity: Int?
        /// The side of a `--sport`/`--dport` (or alias) of a protocol match.
        let port: PacketSide?
    }

    /// Modules `FastRuleDecoder` builds directly; the others go through `MatchModules`.
    enum ModuleKind {
        case comment, ports, statistic, other
    }

    /// Targets `FastRuleDecoder` builds directly; the others go through `TargetParser`.
    enum TargetKind {
        case accept, drop, `return`, dnat, other
    }

    /// A match module or target with its options (`entries[firstOption..<endOption]`).
    struct Extension<Kind> {
        let name: Name
        let kind: Kind
        let firstOption: Int
        let endOption: Int
    }

    private let names: UnsafeBufferPointer<UInt8>
    /// Every option of every extension below.
    let entries: UnsafeBufferPointer<Entry>
    /// Every match module `ExtensionOptions` knows, kube-proxy's first.
    let modules: UnsafeBufferPointer<Extension<ModuleKind>>
    /// Every target whose options `ExtensionOptions` knows.
    let targets: UnsafeBufferPointer<Extension<TargetKind>>
    private let otherExtensions: UnsafeBufferPointer<Name>
    private let genericLongOptions: UnsafeBufferPointer<Name>

    private init() {
        var names: [UInt8] = []
        var entries: [Entry] = []
        func name(_ text: String) -> Name {
            defer { names += Array(text.utf8) }
            return Name(start: names.count, count: text.utf8.count)
        }
        func addEntries(_ options: [String: String]) -> (Int, Int) {
            let first = entries.count
            let canonical = Array(Set(options.values)).sorted()
            for spelling in options.keys.sorted() {
                let option = options[spelling]!
                let port: PacketSide? = option == "--sport" ? .source : option == "--dport" ? .destination : nil
                entries.append(Entry(spelling: name(spelling), canonical: canonical.firstIndex(of: option)!,
                                     arity: OptionArity.known[spelling], port: port))
            }
            return (first, entries.count)
        }
        let first = ["comment", "tcp", "statistic", "udp", "mark", "conntrack", "addrtype", "multiport", "set"]
        let moduleNames = first + ExtensionOptions.matches.keys.filter { !first.contains($0) }.sorted()
        let modules = moduleNames.compactMap { module -> Extension<ModuleKind>? in
            guard let options = ExtensionOptions.matches[module] else { return nil }
            let kind: ModuleKind = switch module {
            case "comment": .comment
            case "tcp", "udp", "sctp", "udplite", "dccp": .ports
            case "statistic": .statistic
            default: .other
            }
            let (start, end) = addEntries(options)
            return Extension(name: name(module), kind: kind, firstOption: start, endOption: end)
        }
        let targetNames = ["ACCEPT", "DROP", "RETURN", "DNAT", "MARK", "MASQUERADE", "REJECT", "SNAT", "REDIRECT",
                           "CONNMARK", "LOG", "NFLOG", "NOTRACK", "CT", "TRACE"]
        let targets = targetNames.compactMap { target -> Extension<TargetKind>? in
            guard let options = ExtensionOptions.target(target) else { return nil }
            let kind: TargetKind = switch target {
            case "ACCEPT": .accept
            case "DROP": .drop
            case "RETURN": .return
            case "DNAT": .dnat
            default: .other
            }
            let (start, end) = addEntries(Dictionary(uniqueKeysWithValues: options.map { ($0, $0) }))
            return Extension(name: name(target), kind: kind, firstOption: start, endOption: end)
        }
        let others = TargetParser.otherExtensions.sorted().map(name)
        let generic = RuleReader.topLevel.filter { $0.hasPrefix("--") }.sorted().map(name)
        func kept<Element>(_ array: [Element]) -> UnsafeBufferPointer<Element> {
            // Allocated once for the process (the shared tables are never released).
            let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(array.count, 1))
            _ = buffer.initialize(from: array)
            return UnsafeBufferPointer(rebasing: buffer[..<array.count])
        }
        self.names = kept(names)
        self.entries = kept(entries)
        self.modules = kept(modules)
        self.targets = kept(targets)
        otherExtensions = kept(others)
        genericLongOptions = kept(generic)
    }

    /// The module called `word`.
    func module(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Int? {
        modules.indices.first { same(bytes, word, modules[$0].name) }
    }

    /// The target called `word`, when Skoop knows its options.
    func target(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Int? {
        targets.indices.first { same(bytes, word, targets[$0].name) }
    }

    /// The entry of option `word` among the options of `loaded`, when it has it.
    func option(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, of loaded: (table: Int, isTarget: Bool)) -> Int? {
        guard loaded.table >= 0 else { return nil }
        let range = loaded.isTarget ? targets[loaded.table].firstOption..<targets[loaded.table].endOption
            : modules[loaded.table].firstOption..<modules[loaded.table].endOption
        return range.first { same(bytes, word, entries[$0].spelling) }
    }

    /// A target extension Skoop knows exists but does not model.
    func isOtherExtension(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Bool {
        otherExtensions.contains { same(bytes, word, $0) }
    }

    /// `--source`, `--jump` and the other long spellings of generic options.
    func isGenericLongOption(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> Bool {
        genericLongOptions.contains { same(bytes, word, $0) }
    }

    private func same(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, _ name: Name) -> Bool {
        word.count == name.count
            && memcmp(bytes.baseAddress! + word.lowerBound, names.baseAddress! + name.start, name.count) == 0
    }
}
