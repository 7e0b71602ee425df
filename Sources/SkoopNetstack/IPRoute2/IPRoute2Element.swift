import Foundation
import SkoopModel

/// One object of an iproute2 JSON array, with typed accessors whose errors name the source,
/// the line and the element's index. Unknown keys are simply never asked for.
struct IPRoute2Element {
    let object: JSONObject
    /// The element's 0-based position in its array, or a path such as "route 3 nexthop 1".
    let position: String
    let source: String

    /// The elements of the top-level array in `data`; `expected` reads like "a JSON array of routes".
    static func elements(of data: Data, source: String, expected: String, element name: String)
        throws(InputError) -> [IPRoute2Element]
    {
        let tree = try JSONTree.parse(Array(data), source: source)
        guard case .array(let values, _) = tree else {
            throw InputError(source: source, line: 1, expected: expected, found: tree.kindName)
        }
        var elements: [IPRoute2Element] = []
        elements.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard case .object(let object) = value else {
                throw InputError(source: source, line: 1, expected: "\(name) \(index) of \(expected) to be an object",
                                 found: value.kindName)
            }
            elements.append(IPRoute2Element(object: object, position: "\(name) \(index)", source: source))
        }
        return elements
    }

    func failure(_ key: String, _ what: String, found: JSONTree?) -> InputError {
        InputError(source: source, line: object.line, expected: "\(what) in \"\(key)\" of \(position)",
                   found: found.map { $0.kindName } ?? "no \"\(key)\"")
    }

    /// True when `key` is present (iproute2 prints flags such as "not" as `"not": null`), unless it is `false`.
    func flag(_ key: String) -> Bool {
        switch object[key] {
        case nil, .bool(false)?: false
        default: true
        }
    }

    func string(_ key: String) throws(InputError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw failure(key, "a string", found: other)
        }
    }

    func requiredString(_ key: String) throws(InputError) -> String {
        guard let text = try string(key) else { throw failure(key, "a string", found: nil) }
        return text
    }

    func int(_ key: String) throws(InputError) -> Int? {
        switch object[key] {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = Int(text) else { throw failure(key, "an integer", found: .number(text)) }
            return value
        case let other?: throw failure(key, "an integer", found: other)
        }
    }

    func requiredInt(_ key: String) throws(InputError) -> Int {
        guard let value = try int(key) else { throw failure(key, "an integer", found: nil) }
        return value
    }

    func bool(_ key: String) throws(InputError) -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        // Older iproute2 prints some bridge/vxlan booleans as 0/1.
        case .number("0")?: return false
        case .number("1")?: return true
        case let other?: throw failure(key, "true or false", found: other)
        }
    }

    func strings(_ key: String) throws(InputError) -> [String] {
        switch object[key] {
        case nil, .null?: return []
        case .array(let values, _)?:
            var result: [String] = []
            for value in values {
                guard case .string(let text) = value else { throw failure(key, "an array of strings", found: value) }
                result.append(text)
            }
            return result
        case .string(let text)?: return [text]
        case let other?: throw failure(key, "an array of strings", found: other)
        }
    }

    func address(_ key: String) throws(InputError) -> IPAddress? {
        guard let text = try string(key) else { return nil }
        guard let address = IPAddress(text) else { throw failure(key, "an IP address", found: .string(text)) }
        return address
    }

    /// The address under `key`, else under `alternative` (iproute2 prints IPv6 variants as "local6" etc.).
    func address(_ key: String, or alternative: String) throws(InputError) -> IPAddress? {
        if let address = try address(key) { return address }
        return try address(alternative)
    }

    func requiredAddress(_ key: String) throws(InputError) -> IPAddress {
        guard let address = try address(key) else { throw failure(key, "an IP address", found: nil) }
        return address
    }

    /// A hexadecimal ("0x200") or decimal 32-bit number given as a string or a number.
    func hex32(_ key: String) throws(InputError) -> UInt32? {
        switch object[key] {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = UInt32(text) else { throw failure(key, "a 32-bit number", found: .number(text)) }
            return value
        case .string(let text)?:
            let lower = text.lowercased()
            let value = lower.hasPrefix("0x") ? UInt32(lower.dropFirst(2), radix: 16) : UInt32(lower)
            guard let value else { throw failure(key, "a 32-bit number such as \"0x200\"", found: .string(text)) }
            return value
        case let other?: throw failure(key, "a 32-bit number", found: other)
        }
    }

    func child(_ key: String) throws(InputError) -> IPRoute2Element? {
        switch object[key] {
        case nil, .null?: return nil
        case .object(let inner)?: return IPRoute2Element(object: inner, position: "\(position) \(key)", source: source)
        case let other?: throw failure(key, "an object", found: other)
        }
    }

    func children(_ key: String, element name: String) throws(InputError) -> [IPRoute2Element] {
        switch object[key] {
        case nil, .null?: return []
        case .array(let values, _)?:
            var result: [IPRoute2Element] = []
            for (index, value) in values.enumerated() {
                guard case .object(let inner) = value else { throw failure(key, "an array of objects", found: value) }
                result.append(IPRoute2Element(object: inner, position: "\(position) \(name) \(index)", source: source))
            }
            return result
        case let other?: throw failure(key, "an array of objects", found: other)
        }
    }
}
