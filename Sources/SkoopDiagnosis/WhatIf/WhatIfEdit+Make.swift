import Foundation
import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import Yams

/// Builds edits checked against the collected state, so that an edit that would change nothing
/// (a rule, route or link that is not there) is an error naming `source`, never silently ignored.
public struct WhatIfEditMaker {
    /// The state the edits are checked against.
    public let provider: any NodeDataProvider
    /// Where the edits were written ("edits.yaml", "the TUI"), for errors.
    public var source: String
    /// The line, when known.
    public var line: Int?

    /// Makes a maker.
    public init(provider: any NodeDataProvider, source: String, line: Int? = nil) {
        self.provider = provider
        self.source = source
        self.line = line
    }

    private func fail(_ expected: String, _ found: String?) -> InputError {
        InputError(source: source, line: line, expected: expected, found: found)
    }

    private func netns(_ place: WhatIfPlace) throws(InputError) -> NetNSInfo {
        try provider.netns(node: place.node, id: place.netns)
    }

    /// Disable rule `rule` (its `-A CHAIN ...` text, or its 1-based position in the chain).
    public func disableRule(at place: WhatIfPlace, family: AddressFamily = .inet, table: String, chain: String,
                            rule: String?, index: Int?) throws(InputError) -> WhatIfEdit {
        let info = try netns(place)
        let tool = family == .inet6 ? "ip6tables" : "iptables"
        guard let ruleset = family == .inet6 ? info.ip6tables : info.iptables else {
            throw fail("\(tool) rules collected at \(place)", "none")
        }
        guard let tableRules = ruleset.table(table) else {
            throw fail("a table of \(place)'s \(tool) (\(ruleset.tables.map(\.name).joined(separator: ", ")))", table)
        }
        guard let chainRules = tableRules.chain(chain) else {
            throw fail("a chain of table \(table) at \(place)", chain)
        }
        let rules = chainRules.rules
        let chosen: Rule?
        if let index {
            guard rules.indices.contains(index - 1) else {
                throw fail("a rule position 1-\(rules.count) of \(table)/\(chain) at \(place)", String(index))
            }
            chosen = rules[index - 1]
        } else if let rule {
            let wanted = rule.hasPrefix("-A ") ? rule : "-A \(chain) \(rule)"
            chosen = rules.first { $0.text == wanted }
            if chosen == nil { throw fail("a rule of \(table)/\(chain) at \(place), as iptables-save prints it", rule) }
        } else {
            throw fail("rule: \"-A CHAIN ...\" or index: N", "neither")
        }
        return WhatIfEdit(place: place, change: .disableRule(family: family, table: table, chain: chain, rule: chosen!.text))
    }

    /// Delete the route `spec` matches (the first, as `ip route del`).
    public func deleteRoute(at place: WhatIfPlace, spec: String) throws(InputError) -> WhatIfEdit {
        let parsed = try RouteSpec.parse(spec, source: source, line: line)
        guard let route = try netns(place).routes.first(where: parsed.matches) else {
            throw fail("a route of \(place) (ip route show table all)", spec)
        }
        return WhatIfEdit(place: place, change: .deleteRoute(route))
    }

    /// Add the route `spec`.
    public func addRoute(at place: WhatIfPlace, spec: String) throws(InputError) -> WhatIfEdit {
        let parsed = try RouteSpec.parse(spec, source: source, line: line)
        let info = try netns(place)
        if let dev = parsed.route.dev, info.interface(named: dev) == nil {
            throw fail("a link of \(place) (\(info.interfaces.map(\.name).joined(separator: ", ")))", "dev \(dev)")
        }
        return WhatIfEdit(place: place, change: .addRoute(parsed.route))
    }

    /// Set sysctl `key`; a short name (ip_forward, rp_filter, bridge-nf-call-iptables) is the
    /// one key of the snapshot ending so, else the usual full name.
    public func setSysctl(at place: WhatIfPlace, key: String, value: String) throws(InputError) -> WhatIfEdit {
        guard !value.isEmpty, !value.contains(where: \.isWhitespace) else { throw fail("a sysctl value such as 0 or 1", value) }
        var fullKey = key
        if !key.hasPrefix("net.") {
            let known = try netns(place).sysctls.values.keys.filter { $0.hasSuffix("." + key) }.sorted()
            let usual = ["ip_forward": "net.ipv4.ip_forward", "rp_filter": "net.ipv4.conf.all.rp_filter",
                         "bridge-nf-call-iptables": "net.bridge.bridge-nf-call-iptables",
                         "bridge-nf-call-ip6tables": "net.bridge.bridge-nf-call-ip6tables"]
            if let preferred = usual[key] {
                fullKey = preferred
            } else if known.count == 1 {
                fullKey = known[0]
            } else {
                throw fail("a full sysctl key (net.…)" + (known.isEmpty ? "" : ": one of \(known.prefix(6).joined(separator: ", "))"), key)
            }
        }
        return WhatIfEdit(place: place, change: .setSysctl(key: fullKey, value: value))
    }

    /// Set link `name` up or down.
    public func setLink(at place: WhatIfPlace, name: String, up: Bool) throws(InputError) -> WhatIfEdit {
        let info = try netns(place)
        guard info.interface(named: name) != nil else {
            throw fail("a link of \(place) (\(info.interfaces.map(\.name).joined(separator: ", ")))", name)
        }
        return WhatIfEdit(place: place, change: .setLink(name: name, up: up))
    }

    /// Add the NetworkPolicies of a manifest (YAML, several documents allowed, or JSON).
    public func addPolicies(file: String, text: String) throws(InputError) -> WhatIfEdit {
        let policies = try WhatIfEditMaker.networkPolicies(yaml: text, source: file)
        guard !policies.isEmpty else { throw InputError(source: file, expected: "a NetworkPolicy", found: "no document") }
        return WhatIfEdit(place: nil, change: .addPolicies(file: file, policies: policies))
    }

    /// Remove the NetworkPolicy NAMESPACE/NAME.
    public func removePolicy(_ qualifiedName: String) throws(InputError) -> WhatIfEdit {
        guard provider.cluster.networkPolicies.contains(where: { $0.qualifiedName == qualifiedName }) else {
            let known = provider.cluster.networkPolicies.map(\.qualifiedName).prefix(8).joined(separator: ", ")
            throw fail("a NetworkPolicy NAMESPACE/NAME of the snapshot" + (known.isEmpty ? " (it has none)" : " (\(known))"), qualifiedName)
        }
        let parts = qualifiedName.split(separator: "/", maxSplits: 1).map(String.init)
        return WhatIfEdit(place: nil, change: .removePolicy(namespace: parts[0], name: parts[1]))
    }

    /// The NetworkPolicies of a YAML (or JSON) manifest; a missing namespace is "default", as kubectl's.
    static func networkPolicies(yaml text: String, source: String) throws(InputError) -> [NetworkPolicy] {
        var policies: [NetworkPolicy] = []
        let documents: [Any]
        do {
            // Timestamps stay strings: JSON has no dates.
            documents = try Array(Yams.load_all(yaml: text, Resolver.default.removing(.timestamp))).compactMap { $0 }
        } catch let error as YamlError {
            throw InputError(source: source, expected: "YAML", found: "\(error)".split(separator: "\n").first.map(String.init))
        } catch {
            throw InputError(source: source, expected: "YAML", found: "\(error)")
        }
        for (index, document) in documents.enumerated() {
            let place = documents.count > 1 ? "\(source) document \(index + 1)" : source
            guard JSONSerialization.isValidJSONObject(document),
                  let data = try? JSONSerialization.data(withJSONObject: document) else {
                throw InputError(source: place, expected: "a NetworkPolicy manifest (a mapping)", found: "\(type(of: document))")
            }
            for var policy in try NetworkPolicy.decodeManifest(json: data, source: place) {
                if policy.metadata.namespace.isEmpty { policy.metadata.namespace = "default" }
                policies.append(policy)
            }
        }
        return policies
    }
}
