import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension JSONSkimmer {
    /// The list's items skimmed by several threads. Item 0 shows how items are separated (e.g.
    /// "},\n{"); the rest is cut where that separator is found after evenly spaced offsets. Each
    /// cut is only a guess, checked by the thread before it: its result counts only when that
    /// thread, skimming item after item, lands exactly on the cut. Otherwise that thread goes on
    /// to the end of the list, and the result is what one thread would have found.
    mutating func skimListInChunks(_ offsets: inout [Int], _ ends: inout [Int], _ starts: inout [Int]) throws(JSONSyntaxError) {
        skipWhitespace()
        offsets.append(index)
        try visit(pick: 0, depth: 2)
        ends.append(index)
        starts.append(captures.count)
        let firstEnd = index
        guard try another(closing: UInt8(ascii: "]"), in: "an array") else { return }
        skipWhitespace()
        guard bytes[firstEnd - 1] == UInt8(ascii: "}"), index < end, bytes[index] == UInt8(ascii: "{") else {
            _ = try skimItems(&offsets, &ends, &starts, stoppingAt: nil)
            return
        }
        let separator = UnsafeBufferPointer(start: bytes + firstEnd - 1, count: index - firstEnd + 2)
        var cuts = [index]
        for part in 1..<chunkCount {
            let target = index + (end - index) / chunkCount * part
            guard target > cuts[cuts.count - 1], let found = find(separator, from: target) else { break }
            cuts.append(found + separator.count - 1)
        }
        let chunks = zip(cuts, cuts.dropFirst().map(Optional.some) + [nil]).map { ($0, $1) }
        let outcomes = Locked<[Result<ChunkOutcome, JSONSyntaxError>?]>(Array(repeating: nil, count: chunks.count))
        nonisolated(unsafe) let buffer = UnsafeBufferPointer(start: bytes, count: end)
        let (picks, captureBase, prefault, end) = (self.picks, captures.count, self.prefault, self.end)
        // Sized from the first item: growing arrays of 150,000 items copies them again and again.
        let (firstItemBytes, firstItemCaptures) = (max(firstEnd - offsets[offsets.count - 1], 1), captures.count - starts[starts.count - 2])
        DispatchQueue.concurrentPerform(iterations: chunks.count) { chunk in
            let range = chunks[chunk].0..<(chunks[chunk].1 ?? end)
            prefault(range)
            // A copy of the pick per thread (its arrays' reference counts are then not shared).
            var skimmer = JSONSkimmer(buffer, picks: CompiledPick(nodes: Array(picks.nodes), members: Array(picks.members),
                                                                  keyBytes: Array(picks.keyBytes)), at: chunks[chunk].0)
            var outcome = ChunkOutcome()
            let expectedItems = range.count / firstItemBytes + range.count / firstItemBytes / 8 + 16
            outcome.offsets.reserveCapacity(expectedItems)
            outcome.ends.reserveCapacity(expectedItems)
            outcome.starts.reserveCapacity(expectedItems)
            skimmer.captures.reserveCapacity(expectedItems * firstItemCaptures)
            let result: Result<ChunkOutcome, JSONSyntaxError>
            do throws(JSONSyntaxError) {
                outcome.landed = try skimmer.skimItems(&outcome.offsets, &outcome.ends, &outcome.starts,
                                                       stoppingAt: chunks[chunk].1)
                (outcome.captures, outcome.end) = (skimmer.captures, skimmer.index)
                result = .success(outcome)
            } catch {
                result = .failure(error)
            }
            outcomes.withLock { $0[chunk] = result }
        }
        var shift = captureBase
        let finished = outcomes.withLock { $0 }
        let items = finished.reduce(0) { $0 + ((try? $1?.get())?.offsets.count ?? 0) }
        offsets.reserveCapacity(offsets.count + items)
        ends.reserveCapacity(ends.count + items)
        starts.reserveCapacity(starts.count + items)
        captures.reserveCapacity(captures.count + finished.reduce(0) { $0 + ((try? $1?.get())?.captures.count ?? 0) })
        for outcome in finished {
            let chunk = try outcome!.get()
            offsets.append(contentsOf: chunk.offsets)
            ends.append(contentsOf: chunk.ends)
            starts.append(contentsOf: chunk.starts.map { $0 + shift })
            captures.append(contentsOf: chunk.captures)
            shift += chunk.captures.count
            index = chunk.end
            if !chunk.landed { return }
        }
    }

    /// What one thread skimmed of a list.
    private struct ChunkOutcome: Sendable {
        var offsets: [Int] = []
        var ends: [Int] = []
        var starts: [Int] = []
        var captures: [JSONCapture] = []
        var end = 0
        var landed = false
    }

    /// The offset of the first `needle` at or after `start`.
    private func find(_ needle: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first, needle.count <= end - start else { return nil }
        var position = start
        while position + needle.count <= end {
            guard let hit = memchr(bytes + position, Int32(first), end - position - needle.count + 1) else { return nil }
            position = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - bytes
            if memcmp(bytes + position, needle.baseAddress!, needle.count) == 0 { return position }
            position += 1
        }
        return nil
    }
}
