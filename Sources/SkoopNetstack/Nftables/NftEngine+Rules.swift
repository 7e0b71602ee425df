import SkoopModel

/// How a comparison came out.
enum NftComparison {
    case yes
    case no
    /// Cannot be decided from the collected data: both outcomes are explored, uncertain.
    case unknown(String)
    /// A lookup in a set packets fill (session affinity): both outcomes, the hit flagged.
    case affinity(String)
}

/// One branch of a rule being evaluated, statement by statement.
struct Partial: NftBranch {
    var walk: Walk
    var notes: [String] = []
    var label = "CONTINUE"
    var lookups: [NetfilterSetLookup] = []
}

extension NftEngine {
    /// Evaluates `rule` of `chain` for one branch: every way the rule can end, each with its trace entry.
    func evaluate(_ rule: NftRule, chain: String, scope: NftScope, _ start: Walk) -> [NftRuleEnd] {
        var live = [Partial(walk: start)]
        var ends: [(Partial, matched: Bool, verdict: NftEndVerdict?)] = []
        let place = "rule handle \(rule.handle) of \(scope.table)/\(chain)"
        for statement in rule.statements {
            var next: [Partial] = []
            for partial in live {
                switch statement {
                case .match(let op, let left, let right):
                    for alternative in evaluate(left, partial.walk.context, scope: scope) {
                        var branch = partial
                        branch.walk.probability *= alternative.factor
                        branch.notes += alternative.notes
                        branch.lookups += alternative.lookups
                        switch compare(op, alternative, right, scope: scope, lookups: &branch.lookups) {
                        case .yes: next.append(branch)
                        case .no: ends.append((branch, false, nil))
                        case .unknown(let why):
                            branch.walk.flags.insert(.uncertain)
                            branch.walk.warn("\(place): \(why)")
                            var matched = branch
                            matched.notes.append("assumed to match: \(why)")
                            next.append(matched)
                            branch.notes.append("assumed not to match: \(why)")
                            ends.append((branch, false, nil))
                        case .affinity(let set):
                            var hit = branch
                            hit.walk.flags.insert(.affinity)
                            hit.notes.append("\(set): assumed a hit (session affinity: an earlier connection of this client)")
                            next.append(hit)
                            branch.notes.append("\(set): assumed no hit (first connection)")
                            ends.append((branch, false, nil))
                        }
                    }
                case .verdict(let verdict):
                    var branch = partial
                    let end = endVerdict(verdict, &branch)
                    ends.append((branch, true, end))
                case .reject(let type, let code):
                    var branch = partial
                    branch.label = "REJECT"
                    ends.append((branch, true, .reject(rejectType(type, code, family: partial.walk.context.packet.dst.family))))
                case .verdictMap(let key, let data):
                    for alternative in evaluate(key, partial.walk.context, scope: scope) {
                        var branch = partial
                        branch.walk.probability *= alternative.factor
                        branch.notes += alternative.notes
                        branch.lookups += alternative.lookups
                        switch lookup(alternative, in: data, scope: scope) {
                        case .hit(let element, let note, let record):
                            branch.lookups.append(record)
                            guard case .verdict(let verdict)? = element.data else {
                                branch.notes.append(note)
                                branch.walk.flags.insert(.uncertain)
                                branch.walk.warn("\(place): the element of \(NftRuleText.expression(data)) holds no verdict")
                                ends.append((branch, true, nil))
                                continue
                            }
                            branch.notes.append("\(note) : \(verdict)")
                            let end = endVerdict(verdict, &branch)
                            ends.append((branch, true, end))
                        case .miss(let record):
                            branch.lookups += record.map { [$0] } ?? []
                            // A lookup miss ends the rule (NFT_BREAK): the next rule is evaluated.
                            branch.notes.append("no element of \(NftRuleText.expression(data)) matches")
                            ends.append((branch, false, nil))
                        case .unknown(let why):
                            branch.walk.flags.insert(.uncertain)
                            branch.walk.warn("\(place): \(why)")
                            branch.notes.append("lookup undecided: \(why); assumed no element matches")
                            ends.append((branch, false, nil))
                        }
                    }
                case .nat(let nat):
                    var branch = partial
                    applyNAT(nat, to: &branch, scope: scope, place: place)
                    ends.append((branch, true, .accept))
                case .mangle(let target, let value):
                    var branch = partial
                    mangle(target, value, &branch, scope: scope, place: place)
                    next.append(branch)
                case .setUpdate(let operation, let set, let element):
                    var branch = partial
                    branch.notes.append("\(operation) @\(set) { \(NftRuleText.expression(element)) }: recorded for later connections (session affinity)")
                    next.append(branch)
                case .notrack:
                    var branch = partial
                    branch.walk.context.untracked = true
                    branch.label = "NOTRACK"
                    branch.notes.append("connection untracked: no NAT, state untracked")
                    next.append(branch)
                case .inert:
                    next.append(partial)
                case .unsupported(_, let text):
                    var branch = partial
                    branch.walk.flags.insert(.uncertain)
                    branch.walk.warn("\(place): \(text) is not modelled: assumed to continue")
                    branch.notes.append("unsupported statement \(text): assumed non-terminal")
                    next.append(branch)
                }
            }
            live = next
            if live.isEmpty { break }
        }
        ends += live.map { ($0, true, nil) }
        if ends.count > 1, isInert(rule), ends.contains(where: { $0.matched }), ends.contains(where: { !$0.matched }) {
            // Whichever way its matches come out, the packet goes on unchanged: not branched.
            var single = Partial(walk: start)
            for end in ends { for warning in end.0.walk.warnings { single.walk.warn(warning) } }
            single.notes.append("undecided; not branched: the rule cannot change the packet's fate or headers")
            ends = [(single, false, nil)]
        }
        let text = rule.text
        return ends.map { partial, matched, verdict in
            var walk = partial.walk
            let notes = partial.notes.joined(separator: "; ")
            var entry = scope.entry(chain: chain, rule: text, handle: rule.handle, matched: matched,
                                    verdict: matched ? partial.label : "NOMATCH", note: notes.isEmpty ? nil : notes)
            entry.lookups = partial.lookups.isEmpty ? nil : partial.lookups
            walk.trace.append(entry)
            return NftRuleEnd(walk: walk, verdict: verdict)
        }
    }

    /// True when the rule cannot change the packet's fate, headers, marks or conntrack entry.
    func isInert(_ rule: NftRule) -> Bool {
        rule.statements.allSatisfy { statement in
            switch statement {
            case .match, .inert, .setUpdate: true
            default: false
            }
        }
    }

    func endVerdict(_ verdict: NftVerdict, _ branch: inout Partial) -> NftEndVerdict? {
        switch verdict {
        case .accept: branch.label = "ACCEPT"; return .accept
        case .drop: branch.label = "DROP"; return .drop
        case .continue: branch.label = "CONTINUE"; return nil
        case .return: branch.label = "RETURN"; return .return
        case .jump(let chain): branch.label = "JUMP"; return .jump(chain)
        case .goto(let chain): branch.label = "GOTO"; return .goto(chain)
        case .queue:
            branch.label = "QUEUE"
            branch.walk.flags.insert(.uncertain)
            branch.walk.warn("a rule queues packets to a userspace program, which decides their fate: assumed accepted")
            branch.notes.append("queued to userspace: assumed accepted")
            return .accept
        }
    }

    func rejectType(_ type: String?, _ code: String?, family: AddressFamily) -> String {
        switch type {
        case "tcp reset": return "tcp-reset"
        case "icmpx", "icmp", "icmpv6":
            let prefix = family == .inet ? "icmp" : "icmp6"
            return "\(prefix)-\(code ?? "port-unreachable")"
        default: return family == .inet ? "icmp-port-unreachable" : "icmp6-port-unreachable"
        }
    }

    /// Compares one value of the left side with the right side of a match.
    func compare(_ op: String, _ alternative: NftAlternative, _ right: NftExpression, scope: NftScope,
                 lookups: inout [NetfilterSetLookup]) -> NftComparison {
        guard let parts = alternative.parts else { return .no }
        if let why = alternative.unknown, parts.count == 1 || !Self.isLookup(right) { return .unknown(why) }
        switch right {
        case .typed(let raw, let part):
            guard parts.count == 1 else { return .unknown("a comparison of \(parts.count) values with one") }
            guard let value = parts[0] else { return .unknown(alternative.unknown ?? "the value is unknown") }
            if case .literal(.boolean(let exists)) = raw {
                // fib ... oif exists / missing
                let present = value != .number(0) && value != .name("")
                return (present == exists) == (op != "!=") ? .yes : .no
            }
            let holds: Bool
            switch op {
            case "==": holds = part.contains(value)
            case "!=": holds = !Self.bitsOrValue(part, value, any: false)
            case "in": holds = Self.bitsOrValue(part, value, any: true)
            case "<", ">", "<=", ">=":
                guard case .exact(let bound) = part else { return .unknown("\(op) with a range") }
                holds = op == "<" ? value < bound : op == ">" ? bound < value : op == "<=" ? !(bound < value) : !(value < bound)
            default:
                return .unknown("operator \(op)")
            }
            return holds ? .yes : .no
        case .setReference(let name) where scope.table.sets[name]?.isDynamic == true:
            return .affinity("@\(name)")
        case .setReference, .typedSet:
            let member: Bool
            switch lookup(alternative, in: right, scope: scope) {
            case .hit(_, _, let record):
                lookups.append(record)
                member = true
            case .miss(let record):
                lookups += record.map { [$0] } ?? []
                member = false
            case .unknown(let why): return .unknown(why)
            }
            return member == (op != "!=") ? .yes : .no
        default:
            return .unknown("\(NftRuleText.expression(right)) could not be compared")
        }
    }

    static func isLookup(_ expression: NftExpression) -> Bool {
        switch expression {
        case .setReference, .typedSet: true
        default: false
        }
    }

    /// `in`: any bit of a flag set (ct state, tcp flags), else membership; negated for `!=`.
    static func bitsOrValue(_ part: NftKeyPart, _ value: NftRuntime, any: Bool) -> Bool {
        if case .exact(.number(let bits)) = part, case .number(let actual) = value, any || bits.nonzeroBitCount > 1 {
            return actual & bits != 0
        }
        return part.contains(value)
    }
}
