import SkoopModel

/// What one rule did to one branch.
enum RuleStep {
    /// Go on with the next rule.
    case next(Walk)
    /// Leave the chain.
    case exit(Walk, ChainExit)
}

extension NetfilterEngine {
    /// Walks `chain` from rule `start`; branches are queued, the common path stays a loop so
    /// chains of tens of thousands of rules do not deepen the stack.
    func walkChain(_ chain: IndexedChain, scope: Scope, from start: Int, _ walk: Walk,
                   stack: [String]) -> [(Walk, ChainExit)] {
        let cursor = RuleCursor(chain, destination: walk.context.packet.dst)
        var results: [(Walk, ChainExit)] = []
        var queue: [(Int, Walk)] = [(start, walk)]
        var head = 0
        while head < queue.count {
            var (position, current) = queue[head]
            head += 1
            var exited = false
            while let found = cursor.next(from: position) {
                if found > position {
                    current.trace.append(skippedEntry(found - position, chain: chain.chain, scope: scope,
                                                      destination: current.context.packet.dst))
                }
                position = found
                let rule = chain.rule(at: position)
                let alternatives = withoutIdleBranches(matchAlternatives(rule, current.context, scope: scope), rule, scope: scope)
                var extra: [RuleStep] = []
                for alternative in alternatives.dropFirst() {
                    var copy = current
                    extra += applyRule(rule, chain: chain.chain.name, alternative, to: &copy, scope: scope, stack: stack)
                        ?? [.next(copy)]
                }
                guard let first = alternatives.first else { break }
                let steps: [RuleStep]
                if let taken = applyRule(rule, chain: chain.chain.name, first, to: &current, scope: scope, stack: stack) {
                    steps = taken + extra
                } else {
                    // The common path: the walk went on in place.
                    for step in extra {
                        switch step {
                        case .next(let next): queue.append((position + 1, next))
                        case .exit(let done, let exit): results.append((done, exit))
                        }
                    }
                    position += 1
                    continue
                }
                var continued: Walk?
                for step in steps {
                    switch step {
                    case .next(let next):
                        if continued == nil { continued = next } else { queue.append((position + 1, next)) }
                    case .exit(let done, let exit):
                        results.append((done, exit))
                    }
                }
                guard let continued else {
                    exited = true
                    break
                }
                current = continued
                position += 1
            }
            if !exited {
                if position < chain.count {
                    current.trace.append(skippedEntry(chain.count - position, chain: chain.chain,
                                                      scope: scope, destination: current.context.packet.dst))
                }
                results.append((current, .fellOff))
            }
        }
        return results
    }

    func skippedEntry(_ count: Int, chain: Chain, scope: Scope, destination: IPAddress) -> NetfilterTraceEntry {
        NetfilterTraceEntry(hook: scope.hook.rawValue, table: scope.table, chain: chain.name,
                            rule: "\(count) rule(s) skipped by the destination index",
                            matched: false, verdict: "SKIPPED",
                            note: "their -d addresses differ from \(destination)")
    }

    /// Applies a rule's target (or not) for one match alternative. Returns nil when the walk simply
    /// goes on to the next rule (changed in place), else the steps it led to.
    func applyRule(_ rule: Rule, chain: String, _ alternative: MatchAlternative, to walk: inout Walk,
                   scope: Scope, stack: [String]) -> [RuleStep]? {
        alternative.apply(to: &walk)
        func record(_ verdict: String, note: String? = nil) {
            let notes = (alternative.notes + [note].compactMap { $0 }).joined(separator: "; ")
            walk.trace.append(NetfilterTraceEntry(
                hook: scope.hook.rawValue, table: scope.table, chain: chain, rule: rule.text,
                matched: alternative.matched, verdict: verdict, note: notes.isEmpty ? nil : notes))
        }
        guard alternative.matched else {
            record("NOMATCH")
            return nil
        }
        switch rule.target {
        case .accept:
            record("ACCEPT")
            return [.exit(walk, .verdict(.accept))]
        case .drop:
            record("DROP")
            return [.exit(walk, .verdict(.drop))]
        case .reject(let type):
            record("REJECT")
            return [.exit(walk, .verdict(.reject(type ?? "icmp-port-unreachable")))]
        case .return:
            record("RETURN")
            return [.exit(walk, .returned)]
        case .none, .log, .nflog, .trace, .ct:
            record("CONTINUE")
            return nil
        case .notrack:
            walk.context.untracked = true
            record("NOTRACK", note: "connection untracked: no NAT, state UNTRACKED")
            return nil
        case .mark(let change):
            let before = walk.context.packet.mark
            walk.context.packet.mark = change.apply(to: before)
            record("MARK", note: "mark 0x\(String(before, radix: 16)) -> 0x\(String(walk.context.packet.mark, radix: 16))")
            return nil
        case .connmark(let action):
            applyConnmark(action, to: &walk.context)
            record("CONNMARK", note: "mark 0x\(String(walk.context.packet.mark, radix: 16)), ct mark 0x\(String(walk.context.conntrackMark, radix: 16))")
            return nil
        case .dnat, .snat, .masquerade, .redirect:
            let (verdict, note) = applyNAT(rule.target, to: &walk, scope: scope)
            record(verdict, note: note)
            return [.exit(walk, .verdict(.accept))]
        case .jump(let name), .goto(let name):
            let isGoto = if case .goto = rule.target { true } else { false }
            guard let target = indexedChain(scope.table, name) else {
                walk.warn("rule at line \(rule.line) jumps to missing chain \(name): ignored")
                walk.flags.insert(.uncertain)
                record("CONTINUE", note: "chain \(name) does not exist")
                return nil
            }
            if stack.contains(name) || stack.count >= options.maxDepth {
                let path = (stack + [name]).joined(separator: " -> ")
                walk.warn("jump cycle or nesting too deep (\(path)): jump not followed")
                walk.flags.insert(.uncertain)
                record("CONTINUE", note: "jump not followed: \(path)")
                return nil
            }
            record(isGoto ? "GOTO" : "JUMP")
            return walkChain(target, scope: scope, from: 0, walk, stack: stack + [name]).map { result, exit in
                switch exit {
                case .verdict: .exit(result, exit)
                // Returning from a goto'd chain returns to the caller of the chain that did the goto.
                case .returned, .fellOff: isGoto ? .exit(result, .returned) : .next(result)
                }
            }
        case .unsupported(let name, let arguments):
            walk.warn("target \(name) \(arguments.joined(separator: " ")) is not modelled (line \(rule.line)): assumed to continue")
            walk.flags.insert(.uncertain)
            record("CONTINUE", note: "unsupported target \(name): assumed non-terminal")
            return nil
        }
    }

    func applyConnmark(_ action: ConnmarkAction, to context: inout PacketContext) {
        switch action {
        case .set(let change):
            context.conntrackMark = change.apply(to: context.conntrackMark)
        case .save(let nfmask, let ctmask):
            context.conntrackMark = (context.conntrackMark & ~ctmask) ^ (context.packet.mark & nfmask)
        case .restore(let nfmask, let ctmask):
            context.packet.mark = (context.packet.mark & ~nfmask) ^ (context.conntrackMark & ctmask)
        }
    }
}
