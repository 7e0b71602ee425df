import SkoopModel

/// The typed reading of one iproute2 JSON object, so that each parser maps keys to fields once
/// for both readers: ``IPRoute2Element`` (a JSON tree, whose errors name the line) and
/// ``FlatIPRoute2Element`` (the fast path, whose only error is "give up, read it strictly").
protocol IPRoute2Fields {
    /// What a refused value throws: the real InputError, or the fast path's give-up signal.
    associatedtype Failure: Error
    /// The type of keys, which are always literals: the tree compares Strings, the fast path
    /// the bytes of a StaticString, so neither converts one into the other per lookup.
    associatedtype Key: ExpressibleByStringLiteral

    /// The error for `key`: a value that is not `what` (`found`), or a missing one (nil).
    func failure(_ key: Key, _ what: String, found: JSONValue.Kind?) -> Failure
    /// True when `key` is present, whatever its value (even null).
    func has(_ key: Key) -> Bool
    /// True when `key` is present (iproute2 prints flags such as "not" as `"not": null`), unless it is `false`.
    func flag(_ key: Key) -> Bool
    /// A string; nil when absent or null.
    func string(_ key: Key) throws(Failure) -> String?
    /// An integer; nil when absent or null.
    func int(_ key: Key) throws(Failure) -> Int?
    /// An array of strings (a lone string is an array of one); empty when absent or null.
    func strings(_ key: Key) throws(Failure) -> [String]
    /// A hexadecimal ("0x200") or decimal 32-bit number given as a string or a number.
    func hex32(_ key: Key) throws(Failure) -> UInt32?
    /// An IP address written as a string; nil when absent or null.
    func address(_ key: Key) throws(Failure) -> IPAddress?
    /// An address prefix written as a string ("10.0.0.0/8", a host, or "default" of `family`).
    func prefix(_ key: Key, family: AddressFamily) throws(Failure) -> IPPrefix?
    /// The object under `key`; nil when absent or null.
    func child(_ key: Key) throws(Failure) -> Self?
    /// The objects of the array under `key`, each named `name` and its index in errors.
    func children(_ key: Key, element name: String) throws(Failure) -> [Self]
}

/// The accessors built on the primitives above, the same for both readers.
extension IPRoute2Fields {
    func requiredString(_ key: Key) throws(Failure) -> String {
        guard let text = try string(key) else { throw failure(key, "a string", found: nil) }
        return text
    }

    func requiredInt(_ key: Key) throws(Failure) -> Int {
        guard let value = try int(key) else { throw failure(key, "an integer", found: nil) }
        return value
    }

    func address(_ key: Key) throws(Failure) -> IPAddress? { try addressFromText(key) }

    func prefix(_ key: Key, family: AddressFamily) throws(Failure) -> IPPrefix? { try prefixFromText(key, family: family) }

    /// The rule of `address(_:)`, for a reader that tries a quicker way first.
    func addressFromText(_ key: Key) throws(Failure) -> IPAddress? {
        guard let text = try string(key) else { return nil }
        guard let address = IPAddress(text) else { throw failure(key, "an IP address", found: .string(text)) }
        return address
    }

    /// The address under `key`, else under `alternative` (iproute2 prints IPv6 variants as "local6" etc.).
    func address(_ key: Key, or alternative: Key) throws(Failure) -> IPAddress? {
        if let address = try address(key) { return address }
        return try address(alternative)
    }

    func requiredAddress(_ key: Key) throws(Failure) -> IPAddress {
        guard let address = try address(key) else { throw failure(key, "an IP address", found: nil) }
        return address
    }

    func scope(_ key: Key) throws(Failure) -> RouteScope? {
        guard let text = try string(key) else { return nil }
        guard let scope = RouteScope(text) else { throw failure(key, "a scope (global, link, host...)", found: .string(text)) }
        return scope
    }

    /// The rule of `prefix(_:family:)`, for a reader that tries a quicker way first.
    func prefixFromText(_ key: Key, family: AddressFamily) throws(Failure) -> IPPrefix? {
        guard let text = try string(key) else { return nil }
        guard let prefix = IPPrefix(text, defaultFamily: family) else {
            throw failure(key, "an address prefix", found: .string(text))
        }
        return prefix
    }
}

/// Text rules both readers apply to what they have already found to be a string or a number.
enum IPRoute2Number {
    /// A 32-bit number written as text: "0x200" (any case) or "512"; nil otherwise.
    static func hex32(text: String) -> UInt32? {
        let lower = text.lowercased()
        return lower.hasPrefix("0x") ? UInt32(lower.dropFirst(2), radix: 16) : UInt32(lower)
    }
}
