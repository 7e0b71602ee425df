import Dispatch
import Foundation
import SkoopModel

/// Decodes every chain of a table strictly, on every core: a chain's rules do not depend on
/// another chain's, so the chains are cut into runs of about equal rule counts, one per worker.
enum ChainDecoding {
    /// Below this many rules one thread decodes alone (starting workers costs more).
    static let parallelAbove = 20_000

    /// What decoding one chain found: the notes on its rules, and its jumps to chains the table
    /// does not declare (checked by the worker that decoded it, while its rules are at hand).
    struct Found {
        var notes: [RulesetWarning]
        var missingJumps: [RulesetWarning]
    }

    /// Each chain's findings or its first malformed line, in chain order.
    static func decodeStrictly(_ table: Table) -> [Result<Found, InputError>] {
        let chains = table.chains
        let counts = chains.map(\.ruleCount)
        let total = counts.reduce(0, +)
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard workers > 1, total > parallelAbove else { return decode(chains[...], of: table) }
        // Cut where the running rule count passes each worker's share.
        var cuts = [0]
        var running = 0
        for (position, count) in counts.enumerated() {
            running += count
            if cuts.count < workers, running >= total * cuts.count / workers { cuts.append(position + 1) }
        }
        while cuts.count <= workers { cuts.append(chains.count) }
        let bounds = cuts
        let parts = Locked<[[Result<Found, InputError>]]>(Array(repeating: [], count: workers))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let decoded = decode(chains[bounds[worker]..<bounds[worker + 1]], of: table)
            parts.withLock { $0[worker] = decoded }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }

    /// Frees decoded chains on two threads, those before `cut` on one and the rest on the other.
    static func release(_ decoded: inout [[Rule]?], cut: Int) {
        guard ProcessInfo.processInfo.activeProcessorCount > 1 else {
            decoded = []
            return
        }
        let halves = Locked([Array(decoded[..<cut]), Array(decoded[cut...])])
        decoded = []
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            var mine: [[Rule]?] = []
            halves.withLock { swap(&mine, &$0[half]) }
            mine = []
        }
    }

    /// One decoder for a run of chains (its scratch space is reused).
    private static func decode(_ chains: ArraySlice<Chain>, of table: Table) -> [Result<Found, InputError>] {
        let finder = table.chainFinder()
        var decoder = FastRuleDecoder(chains: finder)
        return chains.map { chain in
            do throws(InputError) {
                let (rules, notes) = try chain.storage.decodeStrictly(using: &decoder)
                var missing: [RulesetWarning] = []
                // By index: `for rule in rules` would copy each rule (three retains and releases).
                for position in rules.indices {
                    switch rules[position].target {
                    case .jump(let name), .goto(let name):
                        // The table's chain index (a scanned table's is built already).
                        if !finder.contains(name) {
                            missing.append(RulesetWarning(source: "", line: rules[position].line,
                                                          message: "jump to chain \(name), which table \(table.name) does not declare"))
                        }
                    default: break
                    }
                }
                return .success(Found(notes: notes, missingJumps: missing))
            } catch {
                return .failure(error)
            }
        }
    }
}
