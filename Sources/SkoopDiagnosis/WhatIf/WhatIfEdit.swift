import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// The network namespace an edit changes: a collected node's host netns or another netns on it.
public struct WhatIfPlace: Hashable, Sendable, CustomStringConvertible {
    /// The node.
    public var node: String
    /// The netns folder ("host" for the node itself).
    public var netns: String
    /// The pod that owns the netns, when the edit named it so.
    public var pod: String?

    /// Makes a place.
    public init(node: String, netns: String = "host", pod: String? = nil) {
        self.node = node
        self.netns = netns
        self.pod = pod
    }

    public var description: String {
        if let pod { return "pod \(pod) (\(node))" }
        return netns == "host" ? "node \(node)" : "node \(node) netns \(netns)"
    }
}

/// One change to the collected state. Skoop applies it to its copy only, never to a cluster.
public enum WhatIfChange: Hashable, Sendable {
    /// Take an iptables/ip6tables rule out of its chain; `rule` is its `-A CHAIN ...` text.
    case disableRule(family: AddressFamily, table: String, chain: String, rule: String)
    /// Remove this route (as found in the netns).
    case deleteRoute(Route)
    /// Add this route.
    case addRoute(Route)
    /// Set a sysctl.
    case setSysctl(key: String, value: String)
    /// Set a link administratively up or down.
    case setLink(name: String, up: Bool)
    /// Create (or replace) the NetworkPolicies of a manifest file.
    case addPolicies(file: String, policies: [NetworkPolicy])
    /// Delete the NetworkPolicy NAMESPACE/NAME.
    case removePolicy(namespace: String, name: String)
}

/// A change and where it applies; `place` is nil for cluster objects.
public struct WhatIfEdit: Hashable, Sendable, CustomStringConvertible {
    /// The netns it changes; nil for Kubernetes objects.
    public var place: WhatIfPlace?
    /// What it changes.
    public var change: WhatIfChange

    /// Makes an edit.
    public init(place: WhatIfPlace?, change: WhatIfChange) {
        self.place = place
        self.change = change
    }

    /// One line for lists: "node2: disable filter/FORWARD -A FORWARD -j DROP".
    public var description: String {
        let what: String
        switch change {
        case .disableRule(let family, let table, let chain, let rule):
            what = "disable \(family == .inet6 ? "ip6tables " : "")\(table)/\(chain) rule \(rule)"
        case .deleteRoute(let route): what = "delete route \(route)"
        case .addRoute(let route): what = "add route \(route)"
        case .setSysctl(let key, let value): what = "sysctl \(key)=\(value)"
        case .setLink(let name, let up): what = "link \(name) \(up ? "up" : "down")"
        case .addPolicies(let file, let policies):
            what = "add NetworkPolicy \(policies.map(\.qualifiedName).joined(separator: ", ")) from \(file)"
        case .removePolicy(let namespace, let name): what = "remove NetworkPolicy \(namespace)/\(name)"
        }
        return place.map { "\($0): \(what)" } ?? what
    }

    /// The command that would make the same change on the node (run there, in that netns), or
    /// with kubectl for objects. Skoop only prints it.
    public var shellCommand: String {
        let command: String
        switch change {
        case .disableRule(let family, let table, let chain, let rule):
            let tool = family == .inet6 ? "ip6tables" : "iptables"
            let body = rule.hasPrefix("-A ") ? String(rule.dropFirst(3)) : "\(chain) " + rule
            command = "\(tool) -t \(table) -D \(body)"
        case .deleteRoute(let route):
            command = "ip \(route.family == .inet6 ? "-6 " : "")route del \(route)"
        case .addRoute(let route):
            command = "ip \(route.family == .inet6 ? "-6 " : "")route add \(route)"
        case .setSysctl(let key, let value):
            command = "sysctl -w \(key)=\(value)"
        case .setLink(let name, let up):
            command = "ip link set dev \(name) \(up ? "up" : "down")"
        case .addPolicies(let file, _):
            return "kubectl apply -f \(WhatIfEdit.shellQuoted(file))"
        case .removePolicy(let namespace, let name):
            return "kubectl delete networkpolicy -n \(namespace) \(name)"
        }
        guard let place, place.netns != "host" else { return command }
        return "ip netns exec \(place.netns) \(command)"
    }

    /// `text` quoted for a POSIX shell when it needs it.
    static func shellQuoted(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Every edit as a commented shell script, grouped as given: a comment names the node.
    public static func shellScript(_ edits: [WhatIfEdit]) -> String {
        var lines = ["# Skoop what-if edits as commands: run each on the node (or with kubectl) named above it."]
        for edit in edits {
            lines.append("# \(edit.place.map { "on node \($0.node)\($0.pod.map { " (pod \($0))" } ?? "")" } ?? "cluster"): \(edit)")
            lines.append(edit.shellCommand)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
