#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SkoopModel

/// Decodes the common rule line straight from the dump's bytes: words are byte ranges, options
/// are found in tables built from `ExtensionOptions`, and kube-proxy's frequent modules and
/// targets (comment, tcp/udp ports, statistic, DNAT, chain jumps) are built directly; other
/// modules and targets go through `MatchModules` and `TargetParser` as `RuleDecoder` does.
/// Anything it is not sure of (quotes inside words, escapes, tabs, repeated or unknown options,
/// unmodelled modules, malformed values) makes it return nil, and `RuleDecoder` reads the line:
/// so every error and every note comes from `RuleDecoder`, and a rule decoded here equals its.
/// One decoder serves many lines (its scratch arrays are reused; a 330,000-rule dump would
/// otherwise allocate them per rule).
struct FastRuleDecoder {
    private struct Call {
        var owner: Int
        var option: Int
        var name: Range<Int>
        var firstArgument: Int
        var arity: Int
        var negated: Bool
    }

    private struct Loaded {
        /// Index into `OptionTables.modules`, or into `OptionTables.targets` for a target; -1 for a
        /// target whose options Skoop does not know (a chain jump).
        var table: Int
        var isTarget: Bool
        var name: Range<Int>
        var given: UInt64 = 0

        var key: (table: Int, isTarget: Bool) { (table, isTarget) }
    }

    private enum Piece {
        case match(Match)
        case module(Int)
    }

    private var words: [Range<Int>] = []
    private var loaded: [Loaded] = []
    private var calls: [Call] = []
    private var pieces: [Piece] = []
    private var interned = StringCache()
    private let tables = OptionTables.shared
    /// The table's chains, whose names jump targets reuse.
    private let chains: ChainFinder?

    init(chains: ChainFinder? = nil) {
        self.chains = chains
        words.reserveCapacity(64)
        loaded.reserveCapacity(8)
        calls.reserveCapacity(16)
        pieces.reserveCapacity(16)
    }

    /// The rule on `line` (bytes of one `[packets:bytes] -A CHAIN ...` line, leading blanks
    /// dropped), or nil when `RuleDecoder` must read it.
    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, number: Int) -> Rule? {
        var at = line.lowerBound
        var counters: Counters?
        if at < line.upperBound, bytes[at] == UInt8(ascii: "[") {
            var close = at
            while close < line.upperBound, bytes[close] != UInt8(ascii: "]") { close += 1 }
            guard close < line.upperBound, let parsed = Counters(plainBytes: bytes[at...close]) else { return nil }
            counters = parsed
            at = close + 1
            while at < line.upperBound, bytes[at] == UInt8(ascii: " ") { at += 1 }
        }
        let body = at..<line.upperBound
        guard body.count >= 3, bytes[at] == UInt8(ascii: "-"), bytes[at + 1] == UInt8(ascii: "A"),
              bytes[at + 2] == UInt8(ascii: " "), split(bytes, body), words.count >= 2 else { return nil }
        guard let (matches, target) = read(bytes) else { return nil }
        return Rule(matches: matches, target: target, counters: counters,
                    text: String(decoding: bytes[body], as: UTF8.self), line: number)
    }

    /// Words as `ShellTokenizer` splits them, for lines where that is plain: false for a tab,
    /// an escape, a single quote, or a double quote anywhere but around a whole word.
    private mutating func split(_ bytes: UnsafeBufferPointer<UInt8>, _ body: Range<Int>) -> Bool {
        words.removeAll(keepingCapacity: true)
        var at = body.lowerBound
        let end = body.upperBound
        while at < end {
            let byte = bytes[at]
            if byte == UInt8(ascii: " ") {
                at += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                var close = at + 1
                while close < end, bytes[close] != UInt8(ascii: "\"") {
                    if bytes[close] == UInt8(ascii: "\\") { return false }
                    close += 1
                }
                guard close < end, close + 1 == end || bytes[close + 1] == UInt8(ascii: " ") else { return false }
                words.append(at + 1..<close)
                at = close + 1
                continue
            }
            var stop = at
            while stop < end {
                let byte = bytes[stop]
                // Letters, digits and the punctuation of options (- / : . , =) are all above a
                // single quote: one comparison for nearly every byte.
                if byte > UInt8(ascii: "'"), byte != UInt8(ascii: "\\") {
                    stop += 1
                    continue
                }
                if byte == UInt8(ascii: " ") { break }
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "\t"): return false
                default: stop += 1
                }
            }
            words.append(at..<stop)
            at = stop
        }
        return true
    }

    /// `RuleReader.read` for the lines it reads without an error or a note.
    private mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) -> ([Match], Target)? {
        loaded.removeAll(keepingCapacity: true)
        calls.removeAll(keepingCapacity: true)
        pieces.removeAll(keepingCapacity: true)
        var target: Int?
        var generic: UInt8 = 0
        var negated = false
        var index = 2
        let count = words.count
        func once(_ bit: UInt8) -> Bool {
            defer { generic |= bit }
            return generic & bit == 0
        }
        while index < count {
            let word = words[index]
            guard !word.isEmpty else { return nil }
            let first = bytes[word.lowerBound]
            if word.count == 1, first == UInt8(ascii: "!") {
                guard !negated else { return nil }
                negated = true
                index += 1
                continue
            }
            guard word.count >= 2, first == UInt8(ascii: "-") else { return nil }
            let second = bytes[word.lowerBound + 1]
            if word.count == 2 {
                guard index + 1 < count else { return nil }
                let value = words[index + 1]
                index += 2
                switch second {
                case UInt8(ascii: "s"), UInt8(ascii: "d"):
                    let source = second == UInt8(ascii: "s")
                    guard once(source ? 1 : 2),
                          let prefix = IPPrefix(String(decoding: bytes[value], as: UTF8.self)) else { return nil }
                    pieces.append(.match(Match(.address(source ? .source : .destination, prefix), negated: negated)))
                case UInt8(ascii: "i"):
                    guard once(4) else { return nil }
                    pieces.append(.match(Match(.inInterface(interned.string(bytes, value)), negated: negated)))
                case UInt8(ascii: "o"):
                    guard once(8) else { return nil }
                    pieces.append(.match(Match(.outInterface(interned.string(bytes, value)), negated: negated)))
                case UInt8(ascii: "p"):
                    guard once(16), let number = Self.protocolNumber(bytes, value) else { return nil }
                    pieces.append(.match(Match(.proto(number), negated: negated)))
                case UInt8(ascii: "m"):
                    guard !negated, let module = tables.module(bytes, value) else { return nil }
                    loaded.append(Loaded(table: module, isTarget: false, name: value))
                    pieces.append(.module(loaded.count - 1))
                case UInt8(ascii: "j"):
                    guard once(32) else { return nil }
                    loaded.append(Loaded(table: tables.target(bytes, value) ?? -1, isTarget: true, name: value))
                    target = loaded.count - 1
                default:
                    // -f, -g and anything else: RuleDecoder.
                    return nil
                }
            } else {
                guard second == UInt8(ascii: "-"), !tables.isGenericLongOption(bytes, word) else { return nil }
                var found: (owner: Int, option: Int)?
                for position in loaded.indices.reversed() {
                    if let option = tables.option(bytes, word, of: loaded[position].key) {
                        found = (position, option)
                        break
                    }
                }
                // No known owner: the protocol's implicit match or an unknown module; RuleDecoder.
                guard let (owner, option) = found else { return nil }
                let entry = tables.entries[option]
                guard let arity = entry.arity, index + 1 + arity <= count else { return nil }
                let bit: UInt64 = 1 << UInt64(entry.canonical)
                guard loaded[owner].given & bit == 0 else { return nil }
                loaded[owner].given |= bit
                calls.append(Call(owner: owner, option: option, name: word, firstArgument: index + 1, arity: arity,
                                  negated: negated))
                index += 1 + arity
            }
            negated = false
        }
        if negated { return nil }
        var matches: [Match] = []
        matches.reserveCapacity(pieces.count + calls.count)
        for piece in pieces {
            switch piece {
            case .match(let match):
                matches.append(match)
            case .module(let position):
                guard appendModule(bytes, position, to: &matches) else { return nil }
            }
        }
        guard let target else { return (matches, .none) }
        guard let decoded = targetOf(bytes, target) else { return nil }
        return (matches, decoded)
    }

    /// Appends the matches of the module loaded at `position`; false when RuleDecoder must read it.
    private mutating func appendModule(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int, to matches: inout [Match]) -> Bool {
        let module = loaded[position]
        switch tables.modules[module.table].kind {
        case .comment:
            for call in calls where call.owner == position {
                matches.append(Match(.comment(interned.string(bytes, words[call.firstArgument])), negated: call.negated))
            }
            return true
        case .ports:
            var direct: [Match] = []
            for call in calls where call.owner == position {
                guard let side = tables.entries[call.option].port,
                      let port = Self.port(bytes, words[call.firstArgument]) else {
                    return appendGeneric(bytes, position, to: &matches)
                }
                direct.append(Match(.port(side, PortRange(port)), negated: call.negated))
            }
            matches += direct
            return true
        case .statistic:
            var mode: Call?, probability: Call?
            for call in calls where call.owner == position {
                let name = call.name
                if Self.equals(bytes, name, "--mode") { mode = call } else if Self.equals(bytes, name, "--probability") { probability = call } else {
                    return appendGeneric(bytes, position, to: &matches)
                }
            }
            guard let mode, let probability, Self.equals(bytes, words[mode.firstArgument], "random"),
                  let p = Double(String(decoding: bytes[words[probability.firstArgument]], as: UTF8.self)),
                  (0...1).contains(p) else {
                return appendGeneric(bytes, position, to: &matches)
            }
            matches.append(Match(.statisticRandom(probability: p), negated: probability.negated))
            return true
        case .other:
            return appendGeneric(bytes, position, to: &matches)
        }
    }

    /// The module's options as OptionCalls, read by `MatchModules` as `RuleReader` does.
    private func appendGeneric(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int, to matches: inout [Match]) -> Bool {
        let name = String(decoding: bytes[loaded[position].name], as: UTF8.self)
        guard let parsed = MatchModules.parse(module: name, calls: optionCalls(bytes, position)) else { return false }
        matches += parsed
        return true
    }

    private func optionCalls(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> [OptionCall] {
        calls.filter { $0.owner == position }.map { call in
            OptionCall(name: String(decoding: bytes[call.name], as: UTF8.self),
                       arguments: words[call.firstArgument..<call.firstArgument + call.arity].map {
                           String(decoding: bytes[$0], as: UTF8.self)
                       },
                       negated: call.negated)
        }
    }

    /// The target loaded at `position`; nil when `TargetParser` would not model it.
    private mutating func targetOf(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> Target? {
        let extensionInfo = loaded[position]
        guard extensionInfo.table >= 0 else {
            // Options Skoop does not know: a chain (no option can be given to it here).
            guard !tables.isOtherExtension(bytes, extensionInfo.name) else { return nil }
            return .jump(chains?.name(bytes, extensionInfo.name) ?? String(decoding: bytes[extensionInfo.name], as: UTF8.self))
        }
        var given = 0
        var first: Call?
        for call in calls where call.owner == position {
            given += 1
            if first == nil { first = call }
        }
        switch tables.targets[extensionInfo.table].kind {
        case .accept: return given == 0 ? .accept : nil
        case .drop: return given == 0 ? .drop : nil
        case .return: return given == 0 ? .return : nil
        case .dnat:
            if given == 1, let first, Self.equals(bytes, first.name, "--to-destination"),
               let range = Self.addressAndPort(bytes, words[first.firstArgument]) {
                return .dnat(to: [range], random: false, persistent: false)
            }
        case .other:
            break
        }
        let name = String(decoding: bytes[extensionInfo.name], as: UTF8.self)
        let parsed = TargetParser.parse(name: name, calls: optionCalls(bytes, position))
        if case .unsupported = parsed { return nil }
        return parsed
    }

    private static func protocolNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> UInt8? {
        if equals(bytes, word, "tcp") { return 6 }
        if equals(bytes, word, "udp") { return 17 }
        return ProtocolNames.number(String(decoding: bytes[word], as: UTF8.self))
    }

    /// `IPv4:PORT` (kube-proxy's DNAT), as `NATRange` reads it; nil for any other form.
    private static func addressAndPort(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> NATRange? {
        var colon: Int?
        for at in word {
            switch bytes[at] {
            case UInt8(ascii: ":"):
                guard colon == nil else { return nil }
                colon = at
            case UInt8(ascii: "-"), UInt8(ascii: "["): return nil
            default: break
            }
        }
        guard let colon, let address = IPv4Address(utf8: bytes[word.lowerBound..<colon]),
              let port = port(bytes, colon + 1..<word.upperBound) else { return nil }
        return NATRange(low: .v4(address), ports: PortRange(port))
    }

    /// A port written as 1 to 5 digits.
    private static func port(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> UInt16? {
        guard (1...5).contains(word.count) else { return nil }
        var value = 0
        for byte in bytes[word] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= Int(UInt16.max) ? UInt16(value) : nil
    }

    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, _ text: StaticString) -> Bool {
        word.count == text.utf8CodeUnitCount && memcmp(bytes.baseAddress! + word.lowerBound, text.utf8Start, word.count) == 0
    }
}

/// Strings made from the dump's bytes, the last one kept: kube-proxy writes a service's comment
/// in consecutive rules, and a String of more than 15 bytes is a heap allocation. (A hashed
/// cache cost more than the allocations it saved.)
private struct StringCache {
    private var last = ""

    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) -> String {
        // Up to 15 bytes a String is stored inline: nothing to save.
        guard word.count > 15 else { return String(decoding: bytes[word], as: UTF8.self) }
        if last.utf8.count == word.count,
           last.withUTF8({ memcmp($0.baseAddress!, bytes.baseAddress! + word.lowerBound, word.count) == 0 }) {
            return last
        }
        last = String(decoding: bytes[word], as: UTF8.self)
        return last
    }
}
