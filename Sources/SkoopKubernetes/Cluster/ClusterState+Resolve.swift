import Foundation
import SkoopModel

/// What a -s/-d argument names.
public enum ResolvedTarget: Hashable, Sendable, CustomStringConvertible {
    case pod(Pod)
    case node(Node)
    case service(Service)
    /// An address nothing in the cluster owns.
    case external(IPAddress)

    /// The model's endpoint type.
    public var endpointType: EndpointType {
        switch self {
        case .pod: .pod
        case .node: .node
        case .service: .service
        case .external: .external
        }
    }

    /// The target's address of `family` (a pod's IP, a node's internal IP, a service's cluster IP).
    public func address(family: AddressFamily = .inet) -> IPAddress? {
        switch self {
        case .pod(let pod): pod.ip(family: family)
        case .node(let node): node.primaryIP(family: family)
        case .service(let service): service.clusterIP(family: family)
        case .external(let ip): ip.family == family ? ip : nil
        }
    }

    /// Every address of the target, primary first (a pod's IPs, a node's, a service's ClusterIPs).
    public var addresses: [IPAddress] {
        switch self {
        case .pod(let pod): pod.podIPs
        case .node(let node): node.ipAddresses
        case .service(let service): service.clusterIPs
        case .external(let ip): [ip]
        }
    }

    /// The target as a model endpoint with `port`; nil when it has no address of `family`.
    public func endpoint(port: UInt16 = 0, family: AddressFamily = .inet) -> Endpoint? {
        address(family: family).map { Endpoint(ip: $0, type: endpointType, port: port) }
    }

    /// The form the CLI accepts: "ns/pod", "svc/ns/name", "node/name" or the address.
    public var description: String {
        switch self {
        case .pod(let pod): pod.qualifiedName
        case .node(let node): "node/\(node.name)"
        case .service(let service): "svc/\(service.qualifiedName)"
        case .external(let ip): ip.description
        }
    }
}

/// A -s/-d argument that names nothing in the cluster, with what does exist.
public struct ResolveError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The argument as given.
    public var query: String
    /// One line, e.g. "no pod default/web-9; pods in default: web-0, web-1".
    public var message: String

    /// Makes an error.
    public init(query: String, message: String) {
        self.query = query
        self.message = message
    }

    public var description: String { message }
}

extension ClusterState {
    /// Resolves an IP address, `NAMESPACE/POD`, `svc/NAMESPACE/NAME` or `node/NAME`.
    ///
    /// An address resolves to its owner; a host-network pod's address is its node's, so such a
    /// pod is only found by name.
    public func resolve(_ query: String) throws(ResolveError) -> ResolvedTarget {
        let text = query.trimmingCharacters(in: .whitespaces)
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if let ip = IPAddress(bare) {
            switch ipCache.owner(of: ip) {
            case .pod(let pod): return .pod(pod)
            case .node(let node): return .node(node)
            case .service(let service, _): return .service(service)
            case .external: return .external(ip)
            }
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("node", 2), ("nodes", 2):
            if let node = node(named: parts[1]) { return .node(node) }
            throw ResolveError(query: query, message: "no node \(parts[1]); nodes: \(listing(nodeCatalog.names))")
        case ("svc", 3), ("service", 3), ("services", 3):
            if let service = service(namespace: parts[1], name: parts[2]) { return .service(service) }
            if let failure = serviceFailure(namespace: parts[1], name: parts[2]) {
                throw ResolveError(query: query, message: "service \(parts[1])/\(parts[2]) cannot be read: \(failure)")
            }
            try requireNamespace(parts[1], query: query)
            let names = serviceCatalog.entries.filter { $0.namespace == parts[1] }.map(\.name)
            throw ResolveError(query: query,
                               message: "no service \(parts[1])/\(parts[2]); services in \(parts[1]): \(listing(names))")
        case ("pod", 3), ("pods", 3):
            return try resolvePod(namespace: parts[1], name: parts[2], query: query)
        case (_, 2) where !parts[0].isEmpty && !parts[1].isEmpty:
            return try resolvePod(namespace: parts[0], name: parts[1], query: query)
        default:
            throw ResolveError(query: query, message:
                "cannot read \"\(TerminalSafe.strip(query))\": expected an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME")
        }
    }

    private func resolvePod(namespace: String, name: String, query: String) throws(ResolveError) -> ResolvedTarget {
        if let pod = pod(namespace: namespace, name: name) { return .pod(pod) }
        if let failure = pods.failures.first(where: { _ in hasPod(namespace: namespace, name: name) }) {
            throw ResolveError(query: query, message: "pod \(namespace)/\(name) cannot be read: \(failure)")
        }
        try requireNamespace(namespace, query: query)
        let names = pods.names(inNamespace: namespace)
        throw ResolveError(query: query, message: "no pod \(namespace)/\(name); pods in \(namespace): \(listing(names))")
    }

    private func requireNamespace(_ namespace: String, query: String) throws(ResolveError) {
        guard namespaces[namespace] == nil else { return }
        throw ResolveError(query: query,
                           message: "no namespace \(namespace); namespaces: \(listing(Array(namespaces.keys)))")
    }

    /// Sorted names, at most 10, "none" when empty.
    private func listing(_ names: [String]) -> String {
        if names.isEmpty { return "none" }
        let sorted = names.sorted()
        let shown = sorted.prefix(10).map { TerminalSafe.strip($0) }.joined(separator: ", ")
        return sorted.count > 10 ? shown + ", and \(sorted.count - 10) more" : shown
    }
}
