/// An IPv4 address held as a 32-bit number in host byte order.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a number: 10.0.0.1 is 0x0A000001.
    public var value: UInt32

    /// Makes an address from its numeric value.
    public init(value: UInt32) { self.value = value }

    /// Makes an address from its four octets.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text such as "10.244.1.2"; nil when it is anything else.
    /// - Complexity: O(n) in the length of the text, without allocating.
    @inlinable public init?<S: StringProtocol>(_ text: S) {
        self.init(utf8: text.utf8)
    }

    /// Parses dotted-quad text given as UTF-8 bytes, e.g. a slice of a file, without making a String.
    @inlinable public init?<Bytes: Sequence<UInt8>>(utf8 text: Bytes) {
        var result: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in text {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // A leading zero followed by more digits is ambiguous (octal in inet_aton): reject.
                if digits == 1 && octet == 0 { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || octet > 255 { return nil }
            case UInt8(ascii: "."):
                if digits == 0 || dots == 3 { return nil }
                result = result << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            default:
                return nil
            }
        }
        if dots != 3 || digits == 0 { return nil }
        value = result << 8 | octet
    }

    /// The four octets, most significant first.
    public var octets: (UInt8, UInt8, UInt8, UInt8) {
        (UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value))
    }

    public var description: String {
        let o = octets
        return "\(o.0).\(o.1).\(o.2).\(o.3)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    /// 0.0.0.0.
    public static let any = IPv4Address(value: 0)
    /// 255.255.255.255.
    public static let broadcast = IPv4Address(value: .max)

    /// True for 127.0.0.0/8.
    public var isLoopback: Bool { value >> 24 == 127 }
    /// True for 224.0.0.0/4.
    public var isMulticast: Bool { value >> 28 == 0xE }
    /// True for 169.254.0.0/16.
    public var isLinkLocal: Bool { value >> 16 == 0xA9FE }
}
