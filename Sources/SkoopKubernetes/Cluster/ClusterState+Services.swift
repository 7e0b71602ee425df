import SkoopModel

/// A backend a service port forwards to: an endpoint and the resolved port.
public struct ServiceBackend: Hashable, Sendable {
    /// The endpoint (address, readiness, node, target).
    public var endpoint: ServiceEndpoint
    /// The backend port; nil when neither the endpoint ports nor the pod's named ports give one.
    public var port: UInt16?
    /// The backing pod, when the endpoint refers to one that exists.
    public var pod: Pod?

    /// The backend address.
    public var ip: IPAddress { endpoint.ip }
}

extension ClusterState {
    /// The port a service port's targetPort means on `pod`: the number, or the pod's container
    /// port of that name and protocol (nil when the pod declares no such port).
    public func targetPort(of servicePort: Service.Port, on pod: Pod) -> UInt16? {
        switch servicePort.targetPort {
        case .int(let number): UInt16(exactly: number)
        case .string(let name): pod.containerPort(named: name, protocol: servicePort.protocol)
        }
    }

    /// The pod an endpoint refers to (by targetRef, else by address).
    public func pod(of endpoint: ServiceEndpoint, namespace: String) -> Pod? {
        if let reference = endpoint.targetRef, reference.kind == nil || reference.kind == "Pod",
           let pod = pod(namespace: reference.namespace ?? namespace, name: reference.name) {
            return pod
        }
        return ipCache.pod(ip: endpoint.ip)
    }

    /// The backends of one service port, with the port each listens on.
    /// - Complexity: O(endpoints of the service).
    public func backends(of service: Service, port servicePort: Service.Port) -> [ServiceBackend] {
        endpoints(of: service).map { endpoint in
            let pod = pod(of: endpoint, namespace: service.namespace)
            let port = endpoint.port(for: servicePort) ?? pod.flatMap { targetPort(of: servicePort, on: $0) }
            return ServiceBackend(endpoint: endpoint, port: port, pod: pod)
        }
    }

    /// The service port reached at `ip`:`port`/`protocol` (see ``IPCache/frontend(ip:port:protocol:)``).
    public func serviceFrontend(ip: IPAddress, port: UInt16, protocol: TransportProtocol) -> ServiceFrontend? {
        guard let kubeProtocol = KubeProtocol(`protocol`) else { return nil }
        return ipCache.frontend(ip: ip, port: port, protocol: kubeProtocol)
    }
}
