import Foundation
import SkoopModel

/// One object of an iproute2 JSON array, with typed accessors whose errors name the source,
/// the line and the element's index. Unknown keys are simply never asked for.
struct IPRoute2Element: IPRoute2Fields {
    typealias Key = String
    /// The element, always a JSON object.
    let object: JSONValue
    /// Where the element is, as steps ("route 3", then "nexthop 1"): joined only for an error (a
    /// string per element cost a large part of reading a 5,000-route table).
    let parents: [Step]
    let step: Step

    /// One step of a position: a name, and an index when it is an array element.
    struct Step {
        var name: String
        var index: Int?
    }

    /// The element's position, e.g. "route 3" or "route 3 nexthop 1".
    var position: String {
        (parents + [step]).map { step in step.index.map { "\(step.name) \($0)" } ?? step.name }.joined(separator: " ")
    }
    /// The parsed file, for the lines of errors.
    let document: JSONDocument

    /// The elements of the top-level array in `data`; `expected` reads like "a JSON array of routes".
    static func elements(of data: Data, source: String, expected: String, element name: String)
        throws(InputError) -> [IPRoute2Element]
    {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: [UInt8](data), source: source)
        } catch {
            throw error.inputError
        }
        guard let values = document.root.elements else {
            throw InputError(source: source, line: document.line(of: document.root), expected: expected,
                             found: document.root.summary)
        }
        var elements: [IPRoute2Element] = []
        elements.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard value.members != nil else {
                throw InputError(source: source, line: document.line(of: value),
                                 expected: "\(name) \(index) of \(expected) to be an object", found: value.summary)
            }
            elements.append(IPRoute2Element(object: value, parents: [], step: Step(name: name, index: index), document: document))
        }
        return elements
    }

    /// The value of `key`, nil when absent.
    private func member(_ key: String) -> JSONValue.Kind? { object[key]?.kind }

    func has(_ key: String) -> Bool { object[key] != nil }

    /// An error about `key`, on the line of its value (of this element when it is missing).
    func failure(_ key: String, _ what: String, found: JSONValue.Kind?) -> InputError {
        InputError(source: document.source, line: document.line(of: object[key] ?? object),
                   expected: "\(what) in \"\(key)\" of \(position)",
                   found: found.map { JSONValue($0).summary } ?? "no \"\(key)\"")
    }

    func flag(_ key: String) -> Bool {
        switch member(key) {
        case nil, .bool(false)?: false
        default: true
        }
    }

    func string(_ key: String) throws(InputError) -> String? {
        switch member(key) {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw failure(key, "a string", found: other)
        }
    }

    func int(_ key: String) throws(InputError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let integer = value.integer else { throw failure(key, "an integer", found: value.kind) }
        return integer
    }

    func bool(_ key: String) throws(InputError) -> Bool? {
        switch member(key) {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        // Older iproute2 prints some bridge/vxlan booleans as 0/1.
        case .number("0")?: return false
        case .number("1")?: return true
        case let other?: throw failure(key, "true or false", found: other)
        }
    }

    func strings(_ key: String) throws(InputError) -> [String] {
        switch member(key) {
        case nil, .null?: return []
        case .array(let values)?:
            var result: [String] = []
            for value in values {
                guard let text = value.string else { throw failure(key, "an array of strings", found: value.kind) }
                result.append(text)
            }
            return result
        case .string(let text)?: return [text]
        case let other?: throw failure(key, "an array of strings", found: other)
        }
    }

    func hex32(_ key: String) throws(InputError) -> UInt32? {
        switch member(key) {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = UInt32(text) else { throw failure(key, "a 32-bit number", found: .number(text)) }
            return value
        case .string(let text)?:
            guard let value = IPRoute2Number.hex32(text: text) else {
                throw failure(key, "a 32-bit number such as \"0x200\"", found: .string(text))
            }
            return value
        case let other?: throw failure(key, "a 32-bit number", found: other)
        }
    }

    func child(_ key: String) throws(InputError) -> IPRoute2Element? {
        guard let value = object[key], !value.isNull else { return nil }
        guard value.members != nil else { throw failure(key, "an object", found: value.kind) }
        return IPRoute2Element(object: value, parents: parents + [step], step: Step(name: key), document: document)
    }

    func children(_ key: String, element name: String) throws(InputError) -> [IPRoute2Element] {
        switch member(key) {
        case nil, .null?: return []
        case .array(let values)?:
            var result: [IPRoute2Element] = []
            for (index, value) in values.enumerated() {
                guard value.members != nil else { throw failure(key, "an array of objects", found: value.kind) }
                result.append(IPRoute2Element(object: value, parents: parents + [step], step: Step(name: name, index: index), document: document))
            }
            return result
        case let other?: throw failure(key, "an array of objects", found: other)
        }
    }
}
