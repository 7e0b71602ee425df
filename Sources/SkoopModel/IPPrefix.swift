/// An address prefix such as 10.244.0.0/16 or fd00::/64, stored with its host bits cleared.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The network address (host bits zero).
    public let network: IPAddress
    /// The prefix length in bits.
    public let length: UInt8

    /// Makes a prefix, clearing the host bits of `address`; nil when the length is too long.
    public init?(_ address: IPAddress, length: Int) {
        switch address {
        case .v4(let a):
            guard (0...32).contains(length) else { return nil }
            network = .v4(IPv4Address(value: a.value & IPPrefix.mask4(length)))
        case .v6(let a):
            guard (0...128).contains(length) else { return nil }
            let (h, l) = IPPrefix.mask6(length)
            network = .v6(IPv6Address(high: a.high & h, low: a.low & l))
        }
        self.length = UInt8(length)
    }

    /// The prefix holding exactly one address (/32 or /128).
    public init(host address: IPAddress) {
        self.init(address, length: address.family == .inet ? 32 : 128)!
    }

    /// Parses "10.0.0.0/8", a bare address (a host prefix) or "default" (with `family`).
    /// - Complexity: O(n), without allocating.
    @inlinable public init?<S: StringProtocol>(_ text: S, defaultFamily family: AddressFamily = .inet) {
        if text == "default" {
            self.init(family == .inet ? .v4(.any) : .v6(.any), length: 0)
            return
        }
        if let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) {
            guard let address = IPAddress(text[..<slash]) else { return nil }
            var length = 0
            var digits = 0
            for byte in text.utf8[text.utf8.index(after: slash)...] {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), digits < 3 else { return nil }
                length = length * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            }
            guard digits > 0 else { return nil }
            self.init(address, length: length)
        } else {
            guard let address = IPAddress(text) else { return nil }
            self.init(host: address)
        }
    }

    /// True when `address` lies in this prefix.
    /// - Complexity: O(1).
    public func contains(_ address: IPAddress) -> Bool {
        switch (network, address) {
        case (.v4(let n), .v4(let a)):
            return a.value & IPPrefix.mask4(Int(length)) == n.value
        case (.v6(let n), .v6(let a)):
            let (h, l) = IPPrefix.mask6(Int(length))
            return a.high & h == n.high && a.low & l == n.low
        default:
            return false
        }
    }

    /// True when every address of `other` lies in this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.length >= length && contains(other.network)
    }

    /// The address family.
    public var family: AddressFamily { network.family }

    /// True for /32 and /128.
    public var isHost: Bool { length == (family == .inet ? 32 : 128) }

    /// The prefix as the kernel prints it in `ip route` ("default" for a zero length).
    public var routeDescription: String { length == 0 ? "default" : (isHost ? network.description : description) }

    public var description: String { "\(network)/\(length)" }

    static func mask4(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }

    static func mask6(_ length: Int) -> (UInt64, UInt64) {
        if length == 0 { return (0, 0) }
        if length <= 64 { return (UInt64.max << UInt64(64 - length), 0) }
        if length == 128 { return (.max, .max) }
        return (.max, UInt64.max << UInt64(128 - length))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let prefix = IPPrefix(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an address prefix, found \"\(text)\"")
        }
        self = prefix
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
