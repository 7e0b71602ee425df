import Dispatch
import Foundation
import SkoopModel

/// Decodes every chain of a table strictly, on every core: a chain's rules do not depend on
/// another chain's, so the chains are cut into runs of about equal rule counts, one per worker.
enum ChainDecoding {
    /// Below this many rules one thread decodes alone (starting workers costs more).
    static let parallelAbove = 20_000

    /// Each chain's notes or its first malformed line, in chain order.
    static func decodeStrictly(_ chains: [Chain]) -> [Result<[RulesetWarning], InputError>] {
        let counts = chains.map(\.ruleCount)
        let total = counts.reduce(0, +)
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard workers > 1, total > parallelAbove else { return decode(chains[...]) }
        // Cut where the running rule count passes each worker's share.
        var cuts = [0]
        var running = 0
        for (position, count) in counts.enumerated() {
            running += count
            if cuts.count < workers, running >= total * cuts.count / workers { cuts.append(position + 1) }
        }
        while cuts.count <= workers { cuts.append(chains.count) }
        let bounds = cuts
        let parts = Locked<[[Result<[RulesetWarning], InputError>]]>(Array(repeating: [], count: workers))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let decoded = decode(chains[bounds[worker]..<bounds[worker + 1]])
            parts.withLock { $0[worker] = decoded }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }

    /// One decoder for a run of chains (its scratch space is reused).
    private static func decode(_ chains: ArraySlice<Chain>) -> [Result<[RulesetWarning], InputError>] {
        var decoder = FastRuleDecoder()
        return chains.map { chain in
            do throws(InputError) {
                return .success(try chain.storage.decodeStrictly(using: &decoder).notes)
            } catch {
                return .failure(error)
            }
        }
    }
}
