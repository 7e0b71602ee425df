import SkoopModel
import SkoopNetstack

extension NetNSInfo {
    /// This netns with `change` made, as the kernel would make it.
    func applying(_ change: WhatIfChange) -> NetNSInfo {
        var info = self
        switch change {
        case .disableRule(let family, let table, let chain, let rule):
            if family == .inet6 {
                info.ip6tables = info.ip6tables.map { $0.removingRule(table: table, chain: chain, text: rule) }
            } else {
                info.iptables = info.iptables.map { $0.removingRule(table: table, chain: chain, text: rule) }
            }
        case .deleteRoute(let route):
            if let index = info.routes.firstIndex(of: route) { info.routes.remove(at: index) }
        case .addRoute(let route):
            info.routes.append(route)
        case .setSysctl(let key, let value):
            info.sysctls.values[key] = value
        case .setLink(let name, let up):
            info.setLink(name, up: up)
        case .addPolicies, .removePolicy:
            break
        }
        return info
    }

    /// `ip link set dev NAME down|up` as the kernel does it (checked on a veth in a netns):
    /// down removes every route through the link but its `local` address routes; up brings back
    /// only the connected routes of its addresses (proto kernel), not routes added by hand.
    private mutating func setLink(_ name: String, up: Bool) {
        guard let position = interfaces.firstIndex(where: { $0.name == name }) else { return }
        var link = interfaces[position]
        if up {
            for flag in ["UP", "LOWER_UP"] where !link.flags.contains(flag) { link.flags.append(flag) }
            link.operState = "UP"
            for address in addresses(on: name) {
                guard let prefix = IPPrefix(address.local, length: address.prefixLength), !prefix.isHost else { continue }
                let connected = Route(destination: prefix,
                                      dev: name, protocolName: "kernel", scope: .link,
                                      metric: address.family == .inet6 ? 256 : 0,
                                      preferredSource: address.family == .inet ? address.local : nil)
                if !routes.contains(connected) { routes.append(connected) }
            }
        } else {
            link.flags.removeAll { $0 == "UP" || $0 == "LOWER_UP" }
            link.operState = "DOWN"
            routes = routes.compactMap { route in
                if route.type == .local && route.table == .local { return route }
                if route.multipath.isEmpty { return route.dev == name ? nil : route }
                var kept = route
                kept.multipath.removeAll { $0.dev == name }
                return kept.multipath.isEmpty ? nil : kept
            }
        }
        interfaces[position] = link
    }
}

extension Ruleset {
    /// The ruleset without the first rule of `table`/`chain` whose text is `text`.
    func removingRule(table tableName: String, chain chainName: String, text: String) -> Ruleset {
        var copy = self
        guard let tableIndex = copy.tables.firstIndex(where: { $0.name == tableName }),
              let chainIndex = copy.tables[tableIndex].chains.firstIndex(where: { $0.name == chainName }) else { return copy }
        var rules = copy.tables[tableIndex].chains[chainIndex].rules
        guard let ruleIndex = rules.firstIndex(where: { $0.text == text }) else { return copy }
        rules.remove(at: ruleIndex)
        copy.tables[tableIndex].chains[chainIndex].rules = rules
        return copy
    }
}
