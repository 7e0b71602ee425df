import SkoopModel
import SkoopNetstack

/// Checks of one netns's configuration that don't depend on the packet (the seed's NetstackAssertion).
struct NetstackAssertion {
    let info: NetNSInfo
    let isPod: Bool
    let rulesetWarnings: [String]

    func suspicions() -> [Suspicion] {
        var found: [Suspicion] = []
        for warning in info.warnings {
            found.append(Suspicion(level: .warning, message: "Missing data: \(warning)."))
        }
        for warning in rulesetWarnings {
            found.append(Suspicion(level: .warning, message: "iptables: \(warning)"))
        }
        found += interfaceChecks()
        found += tunnelMTUChecks()
        found += sysctlChecks()
        if isPod { found += podRulesetChecks() }
        return found
    }

    func interfaceChecks() -> [Suspicion] {
        var found: [Suspicion] = []
        for device in info.interfaces where !device.isLoopback {
            if !device.isUp && (device.kind == "bridge" || device.kind == "vxlan" || device.name == "eth0") {
                found.append(Suspicion(level: .fatal, message: "\(device.kind ?? "Interface") \(device.name) is down.",
                                       evidence: "\(device.index): \(device.name) <\(device.flags.joined(separator: ","))>",
                                       hint: "ip link set \(device.name) up"))
            }
            if device.kind == "veth", device.peerIndex == nil {
                found.append(Suspicion(level: .fatal, message: "veth \(device.name) has no peer.",
                                       evidence: "\(device.index): \(device.name)"))
            }
            if let master = device.master, let bridge = info.interface(named: master), bridge.kind == "bridge",
               let mtu = device.mtu, let bridgeMTU = bridge.mtu, mtu < bridgeMTU {
                found.append(Suspicion(level: .warning, message: "Bridge port \(device.name) has MTU \(mtu), below its bridge \(master)'s \(bridgeMTU)."))
            }
        }
        return found
    }

    /// Pod-facing veths (no address of their own here) larger than a VXLAN device: pods send
    /// packets the tunnel can't carry, so large DF packets to other nodes are dropped.
    func tunnelMTUChecks() -> [Suspicion] {
        var found: [Suspicion] = []
        for tunnel in info.interfaces where tunnel.vxlan != nil && tunnel.isUp {
            guard let tunnelMTU = tunnel.mtu else { continue }
            let larger = info.interfaces.filter { device in
                device.kind == "veth" && (device.mtu ?? 0) > tunnelMTU && device.name != tunnel.vxlan?.underlayDevice
                    && !info.addresses.contains { $0.interface == device.name && $0.scope == .global }
            }
            guard !larger.isEmpty else { continue }
            found.append(Suspicion(
                level: .warning,
                message: "Pod veth(s) \(larger.map(\.name).joined(separator: ", ")) have MTU \(larger.compactMap(\.mtu).max() ?? 0), above VXLAN device \(tunnel.name)'s MTU \(tunnelMTU): pod packets larger than \(tunnelMTU) bytes to other nodes are dropped (DF) or fragmented.",
                evidence: larger.map { "\($0.name) mtu \($0.mtu ?? 0)" }.joined(separator: ", ") + "; \(tunnel.name) mtu \(tunnelMTU)",
                hint: "Give pods the tunnel's MTU (the CNI's MTU setting): the VXLAN header takes 50 bytes."))
        }
        return found
    }

    func sysctlChecks() -> [Suspicion] {
        var found: [Suspicion] = []
        if let usage = info.sysctls.conntrackUsage, usage.count * 10 >= usage.max * 9 {
            found.append(Suspicion(level: .warning,
                                   message: "The conntrack table of \(info.id) is \(usage.count * 100 / usage.max)% full: new connections will be dropped when it fills.",
                                   evidence: "nf_conntrack_count = \(usage.count), nf_conntrack_max = \(usage.max)",
                                   hint: "Raise net.netfilter.nf_conntrack_max or find the connection leak."))
        }
        return found
    }

    func podRulesetChecks() -> [Suspicion] {
        var found: [Suspicion] = []
        for ruleset in [info.iptables, info.ip6tables].compactMap({ $0 }) {
            let rules = ruleset.tables.flatMap(\.chains).flatMap(\.rules)
            if !rules.isEmpty {
                found.append(Suspicion(level: .info,
                                       message: "The pod's netns has \(rules.count) iptables rule(s) of its own (a sidecar or init container?); they are simulated.",
                                       evidence: rules.first?.text))
            }
            for table in ruleset.tables {
                for chain in table.chains where chain.policy != nil && chain.policy != .accept {
                    found.append(Suspicion(level: .warning, message: "The pod's \(table.name)/\(chain.name) policy is not ACCEPT.",
                                           evidence: "-P \(chain.name) \(chain.policy.map { "\($0)" } ?? "")"))
                }
            }
        }
        return found
    }
}
