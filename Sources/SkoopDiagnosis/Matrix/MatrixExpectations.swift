import Foundation
import SkoopModel

/// Expected allow/deny pairs for `skoop matrix --expect FILE`, later entries winning.
///
/// YAML (a list of maps, one key per line) or the same as JSON:
/// ```
/// - from: x/a          # NAMESPACE/POD, NAMESPACE/*, or *
///   to: svc/y/web      # the same, or svc/NAMESPACE/NAME, svc/NAMESPACE/*
///   expect: allow      # allow or deny
/// ```
public struct MatrixExpectations: Sendable {
    public struct Entry: Hashable, Sendable {
        public var from: String
        public var to: String
        public var allow: Bool
        /// Where it was written ("FILE:LINE").
        public var place: String
    }

    public var entries: [Entry]

    /// Reads the file's text; errors name the file, line and what was expected.
    public init(text: String, source: String) throws(InputError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
            entries = try Self.json(text, source: source)
        } else {
            entries = try Self.yaml(text, source: source)
        }
    }

    /// The pod-level cells that differ from what is expected, as lines for the user.
    public func differences(_ matrix: ReachabilityMatrix) -> [String] {
        var found: [String] = []
        for (source, destination, cell) in matrix.podCells {
            guard let entry = entries.last(where: { Self.matches($0.from, source) && Self.matches($0.to, destination) }) else { continue }
            let agrees = entry.allow ? cell.result == .allowed : cell.result == .denied
            if agrees { continue }
            var line = "\(source) -> \(destination): expected \(entry.allow ? "allow" : "deny") (\(entry.place)), got \(cell.result.rawValue)"
            if let hop = cell.decidingHop { line += " at \(hop)" }
            if let reason = cell.reason { line += ": \(reason)" }
            found.append(line)
        }
        return found
    }

    /// "*" matches anything; "ns/*" any pod of ns; "svc/ns/*" any Service of ns; else exactly.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        if pattern == "*" || pattern == "*/*" { return !name.hasPrefix("svc/") || pattern == "*" }
        if pattern == "svc/*" { return name.hasPrefix("svc/") }
        if pattern.hasSuffix("/*") {
            let prefix = String(pattern.dropLast())
            let isService = pattern.hasPrefix("svc/")
            return name.hasPrefix(prefix) && name.hasPrefix("svc/") == isService
                && !name.dropFirst(prefix.count).contains("/")
        }
        return pattern == name
    }

    private static func entry(_ fields: [String: String], place: String) throws(InputError) -> Entry {
        func need(_ key: String) throws(InputError) -> String {
            guard let value = fields[key], !value.isEmpty else {
                throw InputError(source: place, expected: "\"\(key)\" in each entry (from, to, expect)", found: fields.isEmpty ? "an empty entry" : fields.keys.sorted().joined(separator: ", "))
            }
            return value
        }
        let expect = try need("expect")
        guard expect == "allow" || expect == "deny" else {
            throw InputError(source: place, expected: "expect: allow or deny", found: expect)
        }
        if let unknown = fields.keys.first(where: { !["from", "to", "expect"].contains($0) }) {
            throw InputError(source: place, expected: "only from, to and expect", found: unknown)
        }
        return Entry(from: try need("from"), to: try need("to"), allow: expect == "allow", place: place)
    }

    private static func yaml(_ text: String, source: String) throws(InputError) -> [Entry] {
        var entries: [Entry] = []
        var current: [String: String]?
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            var body = line.trimmingCharacters(in: .whitespaces)
            if body.hasPrefix("- ") || body == "-" {
                if let current { entries.append(try entry(current, place: "\(source):\(start)")) }
                current = [:]
                start = index + 1
                body = String(body.dropFirst()).trimmingCharacters(in: .whitespaces)
                if body.isEmpty { continue }
            } else if current == nil || !line.hasPrefix(" ") {
                throw InputError(source: source, line: index + 1, expected: "a list entry starting with \"- \"", found: body)
            }
            guard let colon = body.firstIndex(of: ":") else {
                throw InputError(source: source, line: index + 1, expected: "KEY: VALUE", found: body)
            }
            let key = body[..<colon].trimmingCharacters(in: .whitespaces)
            var value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            current?[key] = value
        }
        if let current { entries.append(try entry(current, place: "\(source):\(start)")) }
        return entries
    }

    private static func json(_ text: String, source: String) throws(InputError) -> [Entry] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let list = (object as? [Any]) ?? ((object as? [String: Any])?["expect"] as? [Any]) else {
            throw InputError(source: source, expected: "a JSON list of {\"from\", \"to\", \"expect\"} objects", found: "other JSON")
        }
        var entries: [Entry] = []
        for (index, item) in list.enumerated() {
            guard let fields = item as? [String: Any] else {
                throw InputError(source: "\(source) item \(index)", expected: "an object", found: "\(type(of: item))")
            }
            var strings: [String: String] = [:]
            for (key, value) in fields { strings[key] = value as? String ?? "\(value)" }
            entries.append(try entry(strings, place: "\(source) item \(index)"))
        }
        return entries
    }
}
