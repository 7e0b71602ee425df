import Foundation
import SkoopModel
import SkoopNetstack

/// Parsed iptables dumps by content. Every node of a cluster carries kube-proxy's identical
/// ruleset (400,000 lines at 10,000 services), so a diagnosis crossing many nodes parses it once.
/// Matching is exact: a cheap sampled hash picks candidates, a full byte comparison decides.
public final class ParsedRulesetCache: Sendable {
    private struct Entry: Sendable {
        let bytes: SharedBytes
        let result: IPTablesParseResult
    }
    private let entries = Locked<[Int: [Entry]]>([:])
    /// Decoded nft.json files (kube-proxy's nftables table is identical on every node too).
    private let nftEntries = Locked<[(bytes: SharedBytes, ruleset: NftRuleset)]>([])
    private let reading = Lock()

    /// Whether nft.json files are skimmed, each chain's rules decoded when first walked (a
    /// diagnosis), rather than decoded whole (the reference the skim is checked against).
    public let nftRulesOnFirstUse: Bool

    /// Makes an empty cache.
    public init(nftRulesOnFirstUse: Bool = true) {
        self.nftRulesOnFirstUse = nftRulesOnFirstUse
    }

    /// The parse of `bytes`, from the cache when identical bytes were parsed before; warnings
    /// name `source` either way. Failures are not cached.
    public func result(for bytes: SharedBytes, source: String,
                       parse: () throws(InputError) -> IPTablesParseResult) throws(InputError) -> IPTablesParseResult {
        let key = ParsedRulesetCache.sampledHash(UnsafeRawBufferPointer(bytes.buffer))
        if let hit = entries.withLock({ $0[key]?.first { $0.bytes.buffer.elementsEqual(bytes.buffer) } }) {
            var result = hit.result
            for index in result.warnings.indices { result.warnings[index].source = source }
            return result
        }
        let result = try parse()
        entries.withLock { $0[key, default: []].append(Entry(bytes: bytes, result: result)) }
        return result
    }

    /// The parse of `data` (see `result(for:source:parse:)` with bytes).
    public func result(for data: Data, source: String,
                       parse: () throws(InputError) -> IPTablesParseResult) throws(InputError) -> IPTablesParseResult {
        try result(for: SharedBytes(copying: [UInt8](data)), source: source, parse: parse)
    }

    /// The decoded nft.json at `path`, from the cache when an identical file was decoded before
    /// (compared byte for byte), naming `path` as its source; nil when the file does not exist.
    /// Failures are not cached.
    public func nftRuleset(at path: String, in directory: SnapshotDirectory,
                           decode: (SharedBytes) throws(InputError) -> NftRuleset) throws(InputError) -> NftRuleset? {
        func cached() throws(InputError) -> NftRuleset? {
            let candidates = nftEntries.withLock { $0 }
            let match = try directory.firstMatch(of: path, among: candidates.map { UnsafeRawBufferPointer($0.bytes.buffer) })
            return match.map { match in
                var ruleset = candidates[match].ruleset
                ruleset.source = path
                return ruleset
            }
        }
        if let hit = try cached() { return hit }
        return try oneAtATime { () throws(InputError) -> NftRuleset? in
            if let hit = try cached() { return hit }  // decoded meanwhile
            guard let bytes = try directory.map(path) else { return nil }
            let ruleset = try decode(bytes)
            nftEntries.withLock { $0.append((bytes, ruleset)) }
            return ruleset
        }
    }

    /// How many dumps have been parsed: a lookup need not be repeated while it stays the same.
    var parsedCount: Int { entries.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// The parse of an identical dump already read, when the file at `path` holds one: candidates
    /// of the same size are compared with the file piece by piece, without reading it whole.
    func result(matching path: String, in directory: SnapshotDirectory) throws(InputError) -> IPTablesParseResult? {
        let candidates = entries.withLock { $0.values.flatMap { $0 } }
        guard let match = try directory.firstMatch(of: path, among: candidates.map { UnsafeRawBufferPointer($0.bytes.buffer) })
        else { return nil }
        var result = candidates[match].result
        for index in result.warnings.indices { result.warnings[index].source = path }
        return result
    }

    /// Runs `body` (find an identical dump, else read and parse one) while no other thread does:
    /// two nodes read side by side must not both parse the same 50 MB ruleset.
    func oneAtATime<T>(_ body: () throws(InputError) -> T) throws(InputError) -> T {
        try reading.withLock { () throws(InputError) -> T in try body() }
    }

    /// A hash of the size and of samples spread over the bytes: O(1) in the file size.
    static func sampledHash(_ data: Data) -> Int {
        data.withUnsafeBytes { sampledHash($0) }
    }

    static func sampledHash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes.count)
        let chunk = 64, samples = 64
        guard bytes.count > chunk * samples else {
            hasher.combine(bytes: bytes)
            return hasher.finalize()
        }
        let stride = (bytes.count - chunk) / (samples - 1)
        for sample in 0..<samples {
            let start = sample * stride
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<start + chunk]))
        }
        return hasher.finalize()
    }
}
