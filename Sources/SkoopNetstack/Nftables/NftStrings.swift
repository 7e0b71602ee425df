#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Strings read on the fast path, remembered so that a name repeated from rule to rule (a
/// chain's name on each of its rules, `mark-for-masquerade` as a jump target) is one String
/// allocated once rather than once per rule. One per decoding thread: not shared.
final class NftStrings {
    /// A few recent strings, placed by a cheap hash of their bytes; a collision only evicts.
    private var slots = [String?](repeating: nil, count: 64)

    /// The text of `bytes` (UTF-8 from checked JSON, escapes already absent).
    func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        // Up to 15 bytes a String is stored inline: nothing to share.
        guard bytes.count > 15, let start = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        let slot = (bytes.count &* 31 &+ Int(start[bytes.count - 1]) &* 7 &+ Int(start[bytes.count / 2]) &+ Int(start[bytes.count / 4])) & 63
        if let cached = slots[slot],
           cached.utf8.withContiguousStorageIfAvailable({ $0.count == bytes.count && memcmp($0.baseAddress!, start, bytes.count) == 0 }) == true {
            return cached
        }
        let text = String(decoding: bytes, as: UTF8.self)
        slots[slot] = text
        return text
    }
}
