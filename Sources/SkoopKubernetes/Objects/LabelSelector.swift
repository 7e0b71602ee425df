import SkoopModel

/// A label selector: matchLabels and matchExpressions, all of which must hold.
///
/// An empty selector selects everything (as in a NetworkPolicy's `podSelector: {}`).
public struct LabelSelector: Hashable, Sendable, CustomStringConvertible {
    /// A set-based requirement of a selector.
    public struct Requirement: Hashable, Sendable {
        /// How a requirement compares a label.
        public enum Operator: String, Hashable, Sendable {
            case `in` = "In"
            case notIn = "NotIn"
            case exists = "Exists"
            case doesNotExist = "DoesNotExist"
        }

        /// The label key.
        public var key: String
        /// The comparison.
        public var `operator`: Operator
        /// The values for In and NotIn.
        public var values: [String]

        /// Makes a requirement.
        public init(key: String, operator: Operator, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        /// True when `labels` satisfy this requirement.
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch `operator` {
            case .in: return value.map(values.contains) ?? false
            case .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }

        init(json: JSONNode) throws(InputError) {
            key = try json["key"].string()
            let name = try json["operator"].string()
            guard let op = Operator(rawValue: name) else {
                throw json["operator"].error("In, NotIn, Exists or DoesNotExist")
            }
            self.operator = op
            values = try json["values"].strings()
        }
    }

    /// Labels that must be present with exactly these values.
    public var matchLabels: [String: String]
    /// Set-based requirements.
    public var matchExpressions: [Requirement]

    /// Makes a selector; the default selects everything.
    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// True when the selector has no requirement, so it selects everything.
    public var isEmpty: Bool { matchLabels.isEmpty && matchExpressions.isEmpty }

    /// True when `labels` satisfy every requirement.
    /// - Complexity: O(requirements).
    public func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }

    /// The selector as kubectl prints it, e.g. "app=web,tier in (a,b)"; "{}" when empty.
    public var description: String {
        if isEmpty { return "{}" }
        var parts = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in matchExpressions {
            let values = requirement.values.joined(separator: ",")
            switch requirement.operator {
            case .in: parts.append("\(requirement.key) in (\(values))")
            case .notIn: parts.append("\(requirement.key) notin (\(values))")
            case .exists: parts.append(requirement.key)
            case .doesNotExist: parts.append("!\(requirement.key)")
            }
        }
        return parts.joined(separator: ",")
    }

    /// Reads a selector; nil when absent.
    static func decode(_ json: JSONNode) throws(InputError) -> LabelSelector? {
        if json.isAbsent { return nil }
        try json.requireObject()
        return LabelSelector(matchLabels: try json["matchLabels"].stringMap(),
                             matchExpressions: try json["matchExpressions"].list(Requirement.init(json:)))
    }
}
