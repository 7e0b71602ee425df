import SkoopModel

/// The typed reading of one iproute2 JSON object, so that each parser maps keys to fields once
/// for any reader, such as ``IPRoute2Element`` (a JSON tree, whose errors name the line).
protocol IPRoute2Fields {
    /// What a refused value throws, e.g. the real InputError.
    associatedtype Failure: Error

    /// The error for `key`: a value that is not `what` (`found`), or a missing one (nil).
    func failure(_ key: String, _ what: String, found: JSONValue.Kind?) -> Failure
    /// True when `key` is present, whatever its value (even null).
    func has(_ key: String) -> Bool
    /// True when `key` is present (iproute2 prints flags such as "not" as `"not": null`), unless it is `false`.
    func flag(_ key: String) -> Bool
    /// A string; nil when absent or null.
    func string(_ key: String) throws(Failure) -> String?
    /// An integer; nil when absent or null.
    func int(_ key: String) throws(Failure) -> Int?
    /// An array of strings (a lone string is an array of one); empty when absent or null.
    func strings(_ key: String) throws(Failure) -> [String]
    /// A hexadecimal ("0x200") or decimal 32-bit number given as a string or a number.
    func hex32(_ key: String) throws(Failure) -> UInt32?
    /// The object under `key`; nil when absent or null.
    func child(_ key: String) throws(Failure) -> Self?
    /// The objects of the array under `key`, each named `name` and its index in errors.
    func children(_ key: String, element name: String) throws(Failure) -> [Self]
}

/// The accessors built on the primitives above, the same for both readers.
extension IPRoute2Fields {
    func requiredString(_ key: String) throws(Failure) -> String {
        guard let text = try string(key) else { throw failure(key, "a string", found: nil) }
        return text
    }

    func requiredInt(_ key: String) throws(Failure) -> Int {
        guard let value = try int(key) else { throw failure(key, "an integer", found: nil) }
        return value
    }

    func address(_ key: String) throws(Failure) -> IPAddress? {
        guard let text = try string(key) else { return nil }
        guard let address = IPAddress(text) else { throw failure(key, "an IP address", found: .string(text)) }
        return address
    }

    /// The address under `key`, else under `alternative` (iproute2 prints IPv6 variants as "local6" etc.).
    func address(_ key: String, or alternative: String) throws(Failure) -> IPAddress? {
        if let address = try address(key) { return address }
        return try address(alternative)
    }

    func requiredAddress(_ key: String) throws(Failure) -> IPAddress {
        guard let address = try address(key) else { throw failure(key, "an IP address", found: nil) }
        return address
    }

    func scope(_ key: String) throws(Failure) -> RouteScope? {
        guard let text = try string(key) else { return nil }
        guard let scope = RouteScope(text) else { throw failure(key, "a scope (global, link, host...)", found: .string(text)) }
        return scope
    }

    func prefix(_ key: String, family: AddressFamily) throws(Failure) -> IPPrefix? {
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
