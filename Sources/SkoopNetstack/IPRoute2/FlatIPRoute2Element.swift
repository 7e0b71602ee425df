import Foundation
import SkoopModel

/// The fast path's only error: it stops, and the strict reader parses the input again to say
/// exactly what is wrong and where.
struct FlatGiveUp: Error {}

/// An object read by ``FlatJSONScanner``: every value is a plain string (no escapes, printable
/// ASCII), an integer, true/false/null or an array of plain strings, so the scanner has already
/// checked its syntax. The accessors give exactly what ``IPRoute2Element``'s give for such an
/// object, and give up wherever the strict reader would throw.
struct FlatIPRoute2Element: IPRoute2Fields {
    /// Literal keys as bytes: a lookup needs no String, and its hash is worked out when compiling.
    typealias Key = StaticString
    let bytes: UnsafeBufferPointer<UInt8>
    /// The scanner's, valid until it reads the next object.
    let members: FlatMemberTable
    /// Owned by the scanner, which outlives every element (a strong reference would cost a
    /// retain and a release per element).
    unowned(unsafe) let recentArrays: FlatRecentStringArrays

    @inline(__always)
    private func member(_ key: StaticString) -> FlatMember? {
        key.withUTF8Buffer { members.member($0, in: bytes) }
    }

    private func text(_ member: FlatMember) -> String {
        Self.string(bytes[member.value])
    }

    /// A String of bytes the scanner found to be ASCII: filled in place, which skips the UTF-8
    /// validation of `String(decoding:as:)` for the short strings that most values are.
    static func string(_ ascii: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(unsafeUninitializedCapacity: ascii.count) { buffer in
            buffer.initialize(fromContentsOf: UnsafeBufferPointer(rebasing: ascii))
        }
    }

    func failure(_ key: StaticString, _ what: String, found: JSONValue.Kind?) -> FlatGiveUp { FlatGiveUp() }

    func has(_ key: StaticString) -> Bool { member(key) != nil }

    func flag(_ key: StaticString) -> Bool {
        guard let member = member(key) else { return false }
        return member.kind != .false
    }

    func string(_ key: StaticString) throws(FlatGiveUp) -> String? {
        guard let member = member(key), member.kind != .null else { return nil }
        guard member.kind == .string else { throw FlatGiveUp() }
        return text(member)
    }

    func int(_ key: StaticString) throws(FlatGiveUp) -> Int? {
        guard let member = member(key), member.kind != .null else { return nil }
        guard member.kind == .integer, let value = integer(member) else { throw FlatGiveUp() }
        return value
    }

    /// The value of `-?[0-9]+` digits, as `Int(text)` reads them; nil when it overflows (the
    /// strict reader then rounds through Double, which the fast path does not attempt).
    private func integer(_ member: FlatMember) -> Int? {
        var index = member.value.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value = 0
        while index < member.value.upperBound {
            let digit = Int(bytes[index] &- UInt8(ascii: "0"))
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            // Negative numbers are summed downwards, so Int.min itself still fits.
            let (next, overflowedAgain) = negative
                ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflowed, !overflowedAgain else { return nil }
            value = next
            index += 1
        }
        return value
    }

    func strings(_ key: StaticString) throws(FlatGiveUp) -> [String] {
        guard let member = member(key) else { return [] }
        switch member.kind {
        case .null: return []
        case .string: return [text(member)]
        case .stringArray: return recentArrays.strings(of: member, in: bytes)
        case .integer, .true, .false: throw FlatGiveUp()
        }
    }

    /// IPv4 addresses straight from the bytes, as `IPAddress(text)` reads them; anything else as text.
    func address(_ key: StaticString) throws(FlatGiveUp) -> IPAddress? {
        if let member = member(key), member.kind == .string, let address = IPv4Address(utf8: bytes[member.value]) {
            return .v4(address)
        }
        return try addressFromText(key)
    }

    /// IPv4 prefixes ("10.64.3.0/24", or a host) straight from the bytes, as `IPPrefix(text)` reads
    /// them; anything else ("default", IPv6, a bad length) as text.
    func prefix(_ key: StaticString, family: AddressFamily) throws(FlatGiveUp) -> IPPrefix? {
        if let member = member(key), member.kind == .string, let prefix = ipv4Prefix(bytes[member.value]) {
            return prefix
        }
        return try prefixFromText(key, family: family)
    }

    private func ipv4Prefix(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> IPPrefix? {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")) else {
            return IPv4Address(utf8: text).map { IPPrefix(host: .v4($0)) }
        }
        let digits = text[(slash + 1)...]
        guard let address = IPv4Address(utf8: text[..<slash]), (1...2).contains(digits.count),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return IPPrefix(.v4(address), length: digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
    }

    func hex32(_ key: StaticString) throws(FlatGiveUp) -> UInt32? {
        guard let member = member(key), member.kind != .null else { return nil }
        // Rare (a TOS), so the text goes through the strict reader's own rules.
        let value: UInt32? = switch member.kind {
        case .integer: UInt32(text(member))
        case .string: IPRoute2Number.hex32(text: text(member))
        default: nil
        }
        guard let value else { throw FlatGiveUp() }
        return value
    }

    /// Flat objects hold no objects: only an absent or null member reads as it would strictly.
    func child(_ key: StaticString) throws(FlatGiveUp) -> FlatIPRoute2Element? {
        guard let member = member(key), member.kind != .null else { return nil }
        throw FlatGiveUp()
    }

    func children(_ key: StaticString, element name: String) throws(FlatGiveUp) -> [FlatIPRoute2Element] {
        guard let member = member(key), member.kind != .null else { return [] }
        guard member.kind == .stringArray, member.count == 0 else { throw FlatGiveUp() }
        return []
    }
}

/// The string arrays read last, by their bytes: a table repeats the same few ("onlink",
/// "REACHABLE") thousands of times, and sharing one [String] saves an array and its strings each time.
final class FlatRecentStringArrays {
    /// Unchecked: only the element being decoded uses it, one call at a time.
    @exclusivity(unchecked) private var recent: [(bytes: Range<Int>, strings: [String])] = []
    /// Enough for the distinct flag sets of one table; older ones are forgotten.
    private static let capacity = 4

    func strings(of member: FlatMember, in bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        guard member.count > 0 else { return [] }
        let wanted = member.value
        for index in recent.indices where recent[index].bytes.count == wanted.count {
            let start = bytes.baseAddress!
            if memcmp(start + recent[index].bytes.lowerBound, start + wanted.lowerBound, wanted.count) == 0 {
                return recent[index].strings
            }
        }
        var strings: [String] = []
        strings.reserveCapacity(member.count)
        // The scanner checked the array: its strings are exactly the spans between pairs of quotes.
        var index = member.value.lowerBound
        while index < member.value.upperBound {
            guard bytes[index] == UInt8(ascii: "\"") else { index += 1; continue }
            var end = index + 1
            while bytes[end] != UInt8(ascii: "\"") { end += 1 }
            strings.append(FlatIPRoute2Element.string(bytes[(index + 1)..<end]))
            index = end + 1
        }
        if recent.count == Self.capacity { recent.removeFirst() }
        recent.append((member.value, strings))
        return strings
    }
}
