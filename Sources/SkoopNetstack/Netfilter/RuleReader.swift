import SkoopModel

/// One `--option args` of a match module or target, with its `!`.
struct OptionCall: Hashable {
    var name: String
    var arguments: [String]
    var negated: Bool

    /// The words as written, for `.unsupported`.
    var words: [String] { (negated ? ["!"] : []) + [name] + arguments }
}

/// Reads the words of one rule after `-A CHAIN` into matches and a target.
struct RuleReader {
    let words: [String]
    var index: Int
    let table: String
    /// Remarks for the parse warnings (unsupported modules, unreadable values).
    var notes: [String] = []

    init(words: [String], start: Int, table: String) {
        self.words = words
        self.index = start
        self.table = table
    }

    static let topLevel: Set<String> = [
        "-s", "--source", "-d", "--destination", "-p", "--protocol", "-i", "--in-interface",
        "-o", "--out-interface", "-m", "--match", "-j", "--jump", "-g", "--goto", "-f", "--fragment",
    ]

    /// A loaded match module or the target, collecting its options in the order they come.
    struct Extension {
        var name: String
        var isTarget: Bool
        /// Its options (canonical name to the spelling), nil when Skoop does not know them.
        var options: [String: String]?
        var calls: [OptionCall] = []
        /// Canonical names already given (each option of a known module is allowed once).
        var given: Set<String> = []
    }

    /// A generic match in place, or the module loaded at this position.
    enum Piece {
        case match(Match)
        case module(Int)
    }

    /// Reads the rule as iptables-restore does: generic options (`-s`, `-p`, ...) once each,
    /// one `-j`/`-g`, and every `--option` given to the most recently loaded extension that has
    /// it, else to the protocol's match loaded implicitly by `-p`, else to the newest extension
    /// whose options Skoop does not know.
    mutating func read(onError: (String) -> InputError) throws -> ([Match], Target) {
        var pieces: [Piece] = []
        var extensions: [Extension] = []
        var target: Int?
        var gotoChain: String?
        var generic: Set<String> = []
        var proto: String?
        var implicitProtocolLoaded = false
        var negated = false
        while index < words.count {
            let word = words[index]
            if word == "!" {
                guard !negated else { throw onError("an option after !") }
                negated = true
                index += 1
                continue
            }
            func value() throws -> String {
                guard index + 1 < words.count else { throw onError("a value after \(word)") }
                index += 2
                return words[index - 1]
            }
            func once(_ flag: String) throws {
                guard generic.insert(flag).inserted else { throw onError("one \(flag) per rule (iptables refuses multiple \(flag) flags)") }
            }
            switch word {
            case "-s", "--source", "-d", "--destination":
                let side: PacketSide = word == "-s" || word == "--source" ? .source : .destination
                try once(side == .source ? "-s" : "-d")
                let text = try value()
                guard let prefix = IPPrefix(text) else { throw onError("an address or prefix after \(word)") }
                pieces.append(.match(Match(.address(side, prefix), negated: negated)))
            case "-i", "--in-interface":
                try once("-i")
                pieces.append(.match(Match(.inInterface(try value()), negated: negated)))
            case "-o", "--out-interface":
                try once("-o")
                pieces.append(.match(Match(.outInterface(try value()), negated: negated)))
            case "-p", "--protocol":
                try once("-p")
                let text = try value()
                guard let number = ProtocolNames.number(text) else { throw onError("a protocol after -p") }
                proto = text
                pieces.append(.match(Match(.proto(number), negated: negated)))
            case "-f", "--fragment":
                try once("-f")
                index += 1
                pieces.append(.match(Match(.unsupported(module: "fragment", arguments: ["-f"]), negated: negated)))
            case "-m", "--match":
                guard !negated else { throw onError("a match module name without ! before -m") }
                let module = try value()
                extensions.append(Extension(name: module, isTarget: false, options: ExtensionOptions.matches[module]))
                pieces.append(.module(extensions.count - 1))
            case "-j", "--jump":
                try once("-j")
                let name = try value()
                extensions.append(Extension(name: name, isTarget: true,
                                            options: ExtensionOptions.target(name).map { Dictionary(uniqueKeysWithValues: $0.map { ($0, $0) }) }))
                target = extensions.count - 1
            case "-g", "--goto":
                try once("-j")
                gotoChain = try value()
            default:
                guard word.hasPrefix("--") else { throw onError("an iptables option") }
                var owner = extensions.indices.last { extensions[$0].options?[word] != nil }
                if owner == nil, let proto, !implicitProtocolLoaded, let module = ExtensionOptions.protocolModule(proto),
                   ExtensionOptions.matches[module]?[word] != nil {
                    // xtables loads the protocol's match once, for an option no loaded extension takes.
                    implicitProtocolLoaded = true
                    extensions.append(Extension(name: module, isTarget: false, options: ExtensionOptions.matches[module]))
                    pieces.append(.module(extensions.count - 1))
                    owner = extensions.count - 1
                }
                if owner == nil { owner = extensions.indices.last { extensions[$0].options == nil } }
                guard let owner else {
                    throw onError("a match module (-m MODULE, or -p PROTOCOL) loaded before \(word)")
                }
                let call = try readOption(negated: negated, onError: onError)
                if let canonical = extensions[owner].options?[call.name] {
                    guard extensions[owner].given.insert(canonical).inserted else {
                        throw onError("\(call.name) once per -\(extensions[owner].isTarget ? "j" : "m") \(extensions[owner].name)")
                    }
                }
                extensions[owner].calls.append(call)
            }
            negated = false
        }
        if negated { throw onError("an option after !") }
        var matches: [Match] = []
        for piece in pieces {
            switch piece {
            case .match(let match):
                matches.append(match)
            case .module(let position):
                let module = extensions[position]
                if let parsed = MatchModules.parse(module: module.name, calls: module.calls) {
                    matches += parsed
                } else {
                    let words = module.calls.flatMap(\.words)
                    notes.append("match -m \(module.name) \(words.joined(separator: " ")) is not modelled")
                    matches.append(Match(.unsupported(module: module.name, arguments: words)))
                }
            }
        }
        if let gotoChain { return (matches, .goto(gotoChain)) }
        guard let target else { return (matches, .none) }
        let calls = extensions[target].calls
        let parsed = TargetParser.parse(name: extensions[target].name, calls: calls)
        if case .unsupported = parsed {
            notes.append("target -j \(extensions[target].name) \(calls.flatMap(\.words).joined(separator: " ")) is not modelled")
        }
        return (matches, parsed)
    }

    /// Reads one `--option args...` at `index` (its `!`, if any, already read).
    mutating func readOption(negated: Bool, onError: (String) -> InputError) throws -> OptionCall {
        let name = words[index]
        var at = index + 1
        var arguments: [String] = []
        if let arity = OptionArity.known[name] {
            guard at + arity <= words.count else { throw onError("\(arity) value(s) after \(name)") }
            arguments = Array(words[at..<at + arity])
            at += arity
        } else {
            while at < words.count, !words[at].hasPrefix("-"), words[at] != "!" {
                arguments.append(words[at])
                at += 1
            }
        }
        index = at
        return OptionCall(name: name, arguments: arguments, negated: negated)
    }
}

/// How many values the options Skoop knows take (others take words up to the next option).
enum OptionArity {
    static let known: [String: Int] = [
        "--comment": 1, "--sport": 1, "--source-port": 1, "--dport": 1, "--destination-port": 1,
        "--tcp-flags": 2, "--syn": 0, "--dports": 1, "--sports": 1, "--ports": 1,
        "--destination-ports": 1, "--source-ports": 1, "--icmp-type": 1, "--icmpv6-type": 1,
        "--match-set": 2, "--return-nomatch": 0, "--update-counters": 0, "--update-subcounters": 0,
        "--mark": 1, "--src-type": 1, "--dst-type": 1, "--limit-iface-in": 0, "--limit-iface-out": 0,
        "--ctstate": 1, "--state": 1, "--mode": 1, "--probability": 1, "--every": 1, "--packet": 1,
        "--src-range": 1, "--dst-range": 1, "--physdev-in": 1, "--physdev-out": 1,
        "--physdev-is-in": 0, "--physdev-is-out": 0, "--physdev-is-bridged": 0,
        "--loose": 0, "--validmark": 0, "--accept-local": 0, "--invert": 0, "--length": 1,
        "--name": 1, "--set": 0, "--rcheck": 0, "--update": 0, "--remove": 0, "--seconds": 1,
        "--hitcount": 1, "--rttl": 0, "--reap": 0, "--rsource": 0, "--rdest": 0, "--mac-source": 1,
        "--to-destination": 1, "--to-source": 1, "--to-ports": 1, "--random": 0, "--random-fully": 0,
        "--persistent": 0, "--set-xmark": 1, "--set-mark": 1, "--and-mark": 1, "--or-mark": 1,
        "--xor-mark": 1, "--save-mark": 0, "--restore-mark": 0, "--nfmask": 1, "--ctmask": 1,
        "--mask": 1, "--reject-with": 1, "--log-prefix": 1, "--log-level": 1, "--notrack": 0,
        "--nflog-group": 1, "--nflog-prefix": 1, "--uid-owner": 1, "--gid-owner": 1, "--socket-exists": 0,
        "--suppl-groups": 0, "--transparent": 0, "--nowildcard": 0, "--restore-skmark": 0, "--tcp-option": 1,
    ]
}

/// IP protocol names as `-p` accepts them.
enum ProtocolNames {
    static let numbers: [String: UInt8] = [
        "all": 0, "tcp": 6, "udp": 17, "icmp": 1, "sctp": 132, "ipv6-icmp": 58, "icmpv6": 58,
        "gre": 47, "dccp": 33, "esp": 50, "ah": 51, "udplite": 136, "igmp": 2, "ipip": 4, "ipencap": 4,
    ]

    static func number(_ text: String) -> UInt8? {
        numbers[text.lowercased()] ?? UInt8(text)
    }
}
