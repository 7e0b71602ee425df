import SkoopModel

/// The identity and labels every Kubernetes object carries (the fields Skoop reads).
public struct ObjectMeta: Hashable, Sendable {
    /// The namespace; empty for cluster-scoped objects such as nodes.
    public var namespace: String
    /// The object's name.
    public var name: String
    /// The object's UID, when given.
    public var uid: String?
    /// Labels.
    public var labels: [String: String]
    /// Annotations.
    public var annotations: [String: String]

    /// "NAMESPACE/NAME", or the bare name for cluster-scoped objects.
    public var qualifiedName: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    init(json: JSONNode) throws(InputError) {
        try json.requireObject()
        namespace = try json["namespace"].optionalString() ?? ""
        name = try json["name"].string()
        uid = try json["uid"].optionalString()
        labels = try json["labels"].stringMap()
        annotations = try json["annotations"].stringMap()
    }
}

/// A reference to another object, e.g. an endpoint's pod.
public struct ObjectReference: Hashable, Sendable {
    /// The referenced kind, e.g. "Pod".
    public var kind: String?
    /// The namespace.
    public var namespace: String?
    /// The name.
    public var name: String
    /// The UID.
    public var uid: String?

    init(json: JSONNode) throws(InputError) {
        kind = try json["kind"].optionalString()
        namespace = try json["namespace"].optionalString()
        name = try json["name"].optionalString() ?? ""
        uid = try json["uid"].optionalString()
    }
}

/// A status condition of a node or pod, such as Ready.
public struct ObjectCondition: Hashable, Sendable {
    /// The condition type, e.g. "Ready".
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    /// A machine-readable reason, when given.
    public var reason: String?
    /// A human-readable message, when given.
    public var message: String?

    /// True when the status is "True".
    public var isTrue: Bool { status == "True" }

    init(json: JSONNode) throws(InputError) {
        type = try json["type"].string()
        status = try json["status"].optionalString() ?? "Unknown"
        reason = try json["reason"].optionalString()
        message = try json["message"].optionalString()
    }
}

/// A value that is a number or a name, such as a service's targetPort.
public enum IntOrString: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public var description: String {
        switch self {
        case .int(let number): String(number)
        case .string(let name): name
        }
    }

    /// Reads either form; nil when absent. A numeric string ("8080") stays a string, as in the API.
    static func decode(_ json: JSONNode) throws(InputError) -> IntOrString? {
        if json.isAbsent { return nil }
        if case .number? = json.value?.kind {
            guard let number = try json.optionalInt() else { return nil }
            return .int(number)
        }
        if case .string(let text)? = json.value?.kind { return .string(text) }
        throw json.error("a number or a name")
    }
}

/// A Kubernetes port protocol (the API's TCP, UDP or SCTP).
public enum KubeProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// The simulation's transport protocol; nil for SCTP, which Skoop does not simulate.
    public var transport: TransportProtocol? {
        switch self {
        case .tcp: .tcp
        case .udp: .udp
        case .sctp: nil
        }
    }

    /// The Kubernetes protocol of a transport protocol; nil for ICMP, which has no ports.
    public init?(_ transport: TransportProtocol) {
        switch transport {
        case .tcp: self = .tcp
        case .udp: self = .udp
        case .icmp, .ipip: return nil
        }
    }

    /// Reads a protocol field, TCP when absent (the API default).
    static func decode(_ json: JSONNode) throws(InputError) -> KubeProtocol {
        guard let text = try json.optionalString() else { return .tcp }
        guard let value = KubeProtocol(rawValue: text) else { throw json.error("TCP, UDP or SCTP") }
        return value
    }
}
