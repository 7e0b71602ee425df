/// How serious a suspicion is. Ordered: info < warning < critical < fatal.
public enum SuspicionLevel: Int, Sendable, Hashable, Comparable, CaseIterable, Codable, CustomStringConvertible {
    case info = 0
    case warning
    case critical
    case fatal

    /// The lowercase name used in JSON and on the command line.
    public var name: String {
        switch self {
        case .info: "info"
        case .warning: "warning"
        case .critical: "critical"
        case .fatal: "fatal"
        }
    }

    /// Parses the lowercase name.
    public init?(name: String) {
        guard let level = SuspicionLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }

    public var description: String { name }

    public static func < (lhs: SuspicionLevel, rhs: SuspicionLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let level = SuspicionLevel(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "expected info, warning, critical or fatal, found \"\(text)\""))
        }
        self = level
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// A problem found on a NetNode (or on the cluster), with the evidence that shows it.
public struct Suspicion: Hashable, Sendable, Codable {
    /// Severity.
    public var level: SuspicionLevel
    /// What is wrong, in one sentence.
    public var message: String
    /// The rule, route, interface or object involved, as text.
    public var evidence: String?
    /// How to fix it, where that is clear.
    public var hint: String?
    /// A ready-made change that would fix it (e.g. a NetworkPolicy as YAML), for the user to review and apply.
    public var fix: String?

    /// Makes a suspicion.
    public init(level: SuspicionLevel, message: String, evidence: String? = nil, hint: String? = nil, fix: String? = nil) {
        self.level = level
        self.message = message
        self.evidence = evidence
        self.hint = hint
        self.fix = fix
    }
}
