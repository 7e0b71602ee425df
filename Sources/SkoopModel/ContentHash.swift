import Foundation
import CSkoopScan

/// A fingerprint of a file's content: XXH64 of each 8 MiB piece, hashed side by side, then the
/// pieces' hashes hashed in order (the same value whatever the number of threads).
public enum ContentHash {
    static let pieceSize = 8 << 20

    /// XXH64 of `bytes` with `seed` (one piece).
    public static func xxh64(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        guard let base = bytes.baseAddress else { return skoop_hash64(nil, 0, seed) }
        return skoop_hash64(base.assumingMemoryBound(to: UInt8.self), bytes.count, seed)
    }

    /// The fingerprint of `bytes` (mapped pieces are brought in by the thread hashing them).
    public static func of(_ bytes: SharedBytes) -> UInt64 {
        let count = bytes.count
        let pieces = max((count + pieceSize - 1) / pieceSize, 1)
        let hashes = Locked<[UInt64]>(Array(repeating: 0, count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let range = (piece * pieceSize)..<min((piece + 1) * pieceSize, count)
            bytes.prefault(range)
            let hash = xxh64(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.buffer[range])))
            hashes.withLock { $0[piece] = hash }
        }
        return hashes.withLock { $0 }.map(\.littleEndian).withUnsafeBytes { xxh64($0, seed: UInt64(count)) }
    }
}
