import SkoopModel

/// A Kubernetes pod (the fields Skoop reads).
public struct Pod: Hashable, Sendable {
    /// A container's declared port.
    public struct ContainerPort: Hashable, Sendable {
        /// The port's name (what named targetPorts and policy ports refer to).
        public var name: String?
        /// The port number in the pod.
        public var containerPort: UInt16
        /// The protocol, TCP by default.
        public var `protocol`: KubeProtocol
    }

    /// A container of the pod spec.
    public struct Container: Hashable, Sendable {
        /// The container's name.
        public var name: String
        /// Its declared ports.
        public var ports: [ContainerPort]
    }

    /// The state of a container as its status reports it.
    public enum ContainerState: Hashable, Sendable {
        case running
        case waiting(reason: String?)
        case terminated(reason: String?, exitCode: Int?)
        case unknown
    }

    /// A container's status.
    public struct ContainerStatus: Hashable, Sendable {
        /// The container's name.
        public var name: String
        /// True when the container passes its readiness probe.
        public var ready: Bool
        /// Its current state.
        public var state: ContainerState
        /// How often it restarted.
        public var restartCount: Int
    }

    /// Namespace, name, uid and labels.
    public var metadata: ObjectMeta
    /// The node the pod is scheduled on, when scheduled.
    public var nodeName: String?
    /// True when the pod uses its node's network namespace.
    public var hostNetwork: Bool
    /// The pod's addresses (status.podIPs, or status.podIP).
    public var podIPs: [IPAddress]
    /// Its node's address as the pod status reports it.
    public var hostIP: IPAddress?
    /// Pending, Running, Succeeded, Failed or Unknown.
    public var phase: String?
    /// Status conditions (Ready, ContainersReady, ...).
    public var conditions: [ObjectCondition]
    /// The spec's containers.
    public var containers: [Container]
    /// The containers' statuses.
    public var containerStatuses: [ContainerStatus]

    /// The namespace.
    public var namespace: String { metadata.namespace }
    /// The name.
    public var name: String { metadata.name }
    /// Labels.
    public var labels: [String: String] { metadata.labels }
    /// "NAMESPACE/NAME", the form the CLI accepts.
    public var qualifiedName: String { metadata.qualifiedName }
    /// The pod's Ready condition; nil when it reports none.
    public var isReady: Bool? { conditions.first { $0.type == "Ready" }?.isTrue }
    /// Containers whose status is not ready.
    public var unreadyContainers: [ContainerStatus] { containerStatuses.filter { !$0.ready } }

    /// The pod's first address of `family`.
    public func ip(family: AddressFamily = .inet) -> IPAddress? { podIPs.first { $0.family == family } }

    /// The container port called `name` for `protocol` (how named ports resolve).
    public func containerPort(named name: String, protocol: KubeProtocol) -> UInt16? {
        for container in containers {
            if let port = container.ports.first(where: { $0.name == name && $0.protocol == `protocol` }) {
                return port.containerPort
            }
        }
        return nil
    }

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        let spec = json["spec"]
        nodeName = try spec["nodeName"].optionalString()
        hostNetwork = try spec["hostNetwork"].optionalBool() ?? false
        containers = try spec["containers"].list { node throws(InputError) in
            Container(name: try node["name"].optionalString() ?? "", ports: try node["ports"].list { port throws(InputError) in
                guard let number = try port["containerPort"].optionalPort() else {
                    throw port["containerPort"].error("a port number (0-65535)")
                }
                return ContainerPort(name: try port["name"].optionalString(), containerPort: number,
                                     protocol: try KubeProtocol.decode(port["protocol"]))
            })
        }
        let status = json["status"]
        var ips = try status["podIPs"].list { node throws(InputError) in try node["ip"].optionalIP() }.compactMap { $0 }
        if ips.isEmpty, let single = try status["podIP"].optionalIP() { ips = [single] }
        podIPs = ips
        hostIP = try status["hostIP"].optionalIP()
        phase = try status["phase"].optionalString()
        conditions = try status["conditions"].list(ObjectCondition.init(json:))
        containerStatuses = try status["containerStatuses"].list(Pod.decodeStatus)
    }

    private static func decodeStatus(_ json: JSONNode) throws(InputError) -> ContainerStatus {
        let state = json["state"]
        let decoded: ContainerState
        if state.has("running") {
            decoded = .running
        } else if state.has("waiting") {
            decoded = .waiting(reason: try state["waiting"]["reason"].optionalString())
        } else if state.has("terminated") {
            decoded = .terminated(reason: try state["terminated"]["reason"].optionalString(),
                                  exitCode: try state["terminated"]["exitCode"].optionalInt())
        } else {
            decoded = .unknown
        }
        return ContainerStatus(name: try json["name"].optionalString() ?? "",
                               ready: try json["ready"].optionalBool() ?? false,
                               state: decoded, restartCount: try json["restartCount"].optionalInt() ?? 0)
    }
}
