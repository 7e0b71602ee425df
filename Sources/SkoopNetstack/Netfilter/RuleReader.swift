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

    mutating func read(onError: (String) -> InputError) throws -> ([Match], Target) {
        var matches: [Match] = []
        var target = Target.none
        var negated = false
        while index < words.count {
            let word = words[index]
            if word == "!" {
                negated = true
                index += 1
                continue
            }
            func value() throws -> String {
                guard index + 1 < words.count else { throw onError("a value after \(word)") }
                index += 2
                return words[index - 1]
            }
            switch word {
            case "-s", "--source", "-d", "--destination":
                let text = try value()
                guard let prefix = IPPrefix(text) else { throw onError("an address or prefix after \(word)") }
                let side: PacketSide = word.hasPrefix("-s") || word == "--source" ? .source : .destination
                matches.append(Match(.address(side, prefix), negated: negated))
            case "-i", "--in-interface":
                matches.append(Match(.inInterface(try value()), negated: negated))
            case "-o", "--out-interface":
                matches.append(Match(.outInterface(try value()), negated: negated))
            case "-p", "--protocol":
                let text = try value()
                guard let number = ProtocolNames.number(text) else { throw onError("a protocol after -p") }
                matches.append(Match(.proto(number), negated: negated))
            case "-f", "--fragment":
                index += 1
                matches.append(Match(.unsupported(module: "fragment", arguments: ["-f"]), negated: negated))
            case "-m", "--match":
                let module = try value()
                let calls = try readOptions(onError: onError)
                if let parsed = MatchModules.parse(module: module, calls: calls) {
                    matches += parsed
                } else {
                    notes.append("match -m \(module) \(calls.flatMap(\.words).joined(separator: " ")) is not modelled")
                    matches.append(Match(.unsupported(module: module, arguments: calls.flatMap(\.words))))
                }
            case "-j", "--jump":
                let name = try value()
                let calls = try readOptions(onError: onError)
                target = TargetParser.parse(name: name, calls: calls)
                if case .unsupported = target {
                    notes.append("target -j \(name) \(calls.flatMap(\.words).joined(separator: " ")) is not modelled")
                }
            case "-g", "--goto":
                target = .goto(try value())
            default:
                throw onError("an iptables option")
            }
            negated = false
        }
        if negated { throw onError("an option after !") }
        return (matches, target)
    }

    /// Reads `[!] --option args...` words until the next top-level option.
    mutating func readOptions(onError: (String) -> InputError) throws -> [OptionCall] {
        var calls: [OptionCall] = []
        while index < words.count {
            var at = index
            var negated = false
            if words[at] == "!" {
                negated = true
                at += 1
            }
            guard at < words.count, words[at].hasPrefix("--"), !Self.topLevel.contains(words[at]) else { break }
            let name = words[at]
            at += 1
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
            calls.append(OptionCall(name: name, arguments: arguments, negated: negated))
            index = at
        }
        return calls
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
        "--nflog-group": 1, "--nflog-prefix": 1,
    ]
}

/// IP protocol names as `-p` accepts them.
enum ProtocolNames {
    static let numbers: [String: UInt8] = [
        "all": 0, "tcp": 6, "udp": 17, "icmp": 1, "sctp": 132, "ipv6-icmp": 58, "icmpv6": 58,
        "gre": 47, "esp": 50, "ah": 51, "udplite": 136, "igmp": 2, "ipip": 4, "ipencap": 4,
    ]

    static func number(_ text: String) -> UInt8? {
        numbers[text.lowercased()] ?? UInt8(text)
    }
}
