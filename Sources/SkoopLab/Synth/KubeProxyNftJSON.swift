/// kube-proxy's nftables table (the rules `KubeProxyNftRules.nftText` loads) written directly as
/// `nft -j list ruleset` prints it after `nft -f` of that text: metainfo, the table, its sets and
/// maps with their elements, its chains in declaration order, then the rules chain by chain;
/// handles numbered as the kernel numbers them (one counter per table, an anonymous verdict map
/// taking the handle before its rule). Only what synthetic clusters hold is written: ClusterIP
/// services, NodePorts, and services without endpoints; no external or LoadBalancer IPs. (nft
/// 1.0.6 leaves the table's comment out of its JSON.)
///
/// Loading 10,000 services into a kernel takes minutes (`nft -c -f` alone: 193 s), so synthetic
/// clusters write the dump itself; `KubeProxyNftJSONTests` holds it to a kernel's dump of the
/// same rules.
public enum KubeProxyNftJSON {
    /// The JSON of the table for `services`; `nodeIPs` accept NodePort traffic.
    public static func ruleset(services: [LabService], clusterCIDR: String, serviceCIDR: String, nodeIPs: [String]) -> String {
        var writer = Writer()
        writer.write(services: services, clusterCIDR: clusterCIDR, serviceCIDR: serviceCIDR, nodeIPs: nodeIPs)
        return writer.out
    }

    private struct Rule {
        var chain: Int
        var handle: Int
        var body: String
    }

    private struct Writer {
        var out = ""
        var handle = 0
        var chains: [(name: String, base: String?)] = []
        var chainIndex: [String: Int] = [:]
        var rules: [Rule] = []

        static let table = "\"family\": \"ip\", \"table\": \"\(KubeProxyNftRules.table)\""

        mutating func next() -> Int {
            handle += 1
            return handle
        }

        mutating func chain(_ name: String, base: String? = nil) {
            chainIndex[name] = chains.count
            chains.append((name, base))
        }

        /// A rule of `chain` whose expressions are `body` (a JSON array's inside); `anonymousSet`
        /// when nft creates one for it (it takes the handle before the rule's).
        mutating func rule(_ chain: String, _ body: String, comment: String? = nil, anonymousSet: Bool = false) {
            if anonymousSet { _ = next() }
            let commented = comment.map { ", \"comment\": \(quoted($0))" } ?? ""
            rules.append(Rule(chain: chainIndex[chain]!, handle: next(), body: "\(commented), \"expr\": [\(body)]"))
        }

        func quoted(_ text: String) -> String { "\"" + text + "\"" }

        static func payload(_ proto: String, _ field: String) -> String {
            "{\"payload\": {\"protocol\": \"\(proto)\", \"field\": \"\(field)\"}}"
        }

        static func match(_ op: String, _ left: String, _ right: String) -> String {
            "{\"match\": {\"op\": \"\(op)\", \"left\": \(left), \"right\": \(right)}}"
        }

        static func prefix(_ cidr: String) -> String {
            let parts = cidr.split(separator: "/")
            return "{\"prefix\": {\"addr\": \"\(parts[0])\", \"len\": \(parts[1])}}"
        }

        static func verdict(_ kind: String, _ target: String) -> String { "{\"\(kind)\": {\"target\": \"\(target)\"}}" }

        static let ctNew = match("in", "{\"ct\": {\"key\": \"state\"}}", "\"new\"")
        static let mark = "{\"meta\": {\"key\": \"mark\"}}"
        static let l4proto = "{\"meta\": {\"key\": \"l4proto\"}}"
        static let serviceKey = "{\"concat\": [\(payload("ip", "daddr")), \(l4proto), \(payload("th", "dport"))]}"
        static let nodePortKey = "{\"concat\": [\(l4proto), \(payload("th", "dport"))]}"
        static let reject = "{\"reject\": {\"type\": \"icmp\", \"expr\": \"port-unreachable\"}}"

        mutating func write(services: [LabService], clusterCIDR: String, serviceCIDR: String, nodeIPs: [String]) {
            out.reserveCapacity(services.count * (1_000 + 900 * (services.first?.endpoints.count ?? 1)))
            var clusterIPs: [String] = [], serviceIPs: [String] = [], nodePorts: [String] = []
            var noEndpointServices: [String] = [], noEndpointNodePorts: [String] = []
            for service in services {
                clusterIPs.append(quoted(service.clusterIP))
                let portName = quoted("\(service.namespace)/\(service.name):\(service.portName)")
                guard !service.endpoints.isEmpty else {
                    noEndpointServices.append("[{\"elem\": {\"val\": {\"concat\": [\"\(service.clusterIP)\", \"tcp\", \(service.port)]}, \"comment\": \(portName)}}, \(Self.verdict("goto", "reject-chain"))]")
                    if let nodePort = service.nodePort {
                        noEndpointNodePorts.append("[{\"elem\": {\"val\": {\"concat\": [\"tcp\", \(nodePort)]}, \"comment\": \(portName)}}, \(Self.verdict("goto", "reject-chain"))]")
                    }
                    continue
                }
                let base = KubeProxyNftRules.serviceBase(service)
                serviceIPs.append("[{\"concat\": [\"\(service.clusterIP)\", \"tcp\", \(service.port)]}, \(Self.verdict("goto", "service-" + base))]")
                if let nodePort = service.nodePort {
                    nodePorts.append("[{\"concat\": [\"tcp\", \(nodePort)]}, \(Self.verdict("goto", "external-" + base))]")
                }
            }
            // Sets and maps, declared first (handles 1…7).
            let sets: [(kind: String, name: String, type: String, data: String?, comment: String, elements: [String])] = [
                ("set", "cluster-ips", "\"ipv4_addr\"", nil, "Active ClusterIPs", clusterIPs),
                ("set", "nodeport-ips", "\"ipv4_addr\"", nil, "IPs that accept NodePort traffic", nodeIPs.map(quoted)),
                ("map", "firewall-ips", "[\"ipv4_addr\", \"inet_proto\", \"inet_service\"]", "verdict", "destinations that are subject to LoadBalancerSourceRanges", []),
                ("map", "no-endpoint-nodeports", "[\"inet_proto\", \"inet_service\"]", "verdict", "vmap to drop or reject packets to service nodeports with no endpoints", noEndpointNodePorts),
                ("map", "no-endpoint-services", "[\"ipv4_addr\", \"inet_proto\", \"inet_service\"]", "verdict", "vmap to drop or reject packets to services with no endpoints", noEndpointServices),
                ("map", "service-ips", "[\"ipv4_addr\", \"inet_proto\", \"inet_service\"]", "verdict", "ClusterIP, ExternalIP and LoadBalancer IP traffic", serviceIPs),
                ("map", "service-nodeports", "[\"inet_proto\", \"inet_service\"]", "verdict", "NodePort traffic", nodePorts),
            ]
            var setItems: [String] = []
            for set in sets {
                var item = "{\"\(set.kind)\": {\"family\": \"ip\", \"name\": \"\(set.name)\", \"table\": \"\(KubeProxyNftRules.table)\", \"type\": \(set.type), \"handle\": \(next()), \"comment\": \(quoted(set.comment))"
                if let data = set.data { item += ", \"map\": \"\(data)\"" }
                if !set.elements.isEmpty { item += ", \"elem\": [" + set.elements.joined(separator: ", ") + "]" }
                setItems.append(item + "}}")
            }
            declareChains(services)
            writeRules(services, clusterCIDR: clusterCIDR, serviceCIDR: serviceCIDR)

            out += "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
            out += "{\"table\": {\"family\": \"ip\", \"name\": \"\(KubeProxyNftRules.table)\", \"handle\": 1}}"
            for item in setItems { out += ", " + item }
            for (index, chain) in chains.enumerated() {
                out += ", {\"chain\": {\(Self.table), \"name\": \(quoted(chain.name)), \"handle\": \(handleOfChain[index])\(chain.base ?? "")}}"
            }
            // The dump lists rules chain by chain (in chain order), each chain's in handle order.
            var byChain = Array(repeating: [Int](), count: chains.count)
            for (index, rule) in rules.enumerated() { byChain[rule.chain].append(index) }
            for (chain, indices) in byChain.enumerated() {
                for index in indices {
                    let rule = rules[index]
                    out += ", {\"rule\": {\(Self.table), \"chain\": \(quoted(chains[chain].name)), \"handle\": \(rule.handle)\(rule.body)}}"
                }
            }
            out += "]}\n"
        }

        var handleOfChain: [Int] = []

        mutating func declareChains(_ services: [LabService]) {
            func base(_ type: String, _ hook: String, _ priority: Int) -> String {
                ", \"type\": \"\(type)\", \"hook\": \"\(hook)\", \"prio\": \(priority), \"policy\": \"accept\""
            }
            chain("cluster-ips-check")
            chain("filter-prerouting-pre-dnat", base: base("filter", "prerouting", -110))
            chain("filter-output-pre-dnat", base: base("filter", "output", -110))
            chain("filter-forward", base: base("filter", "forward", 0))
            chain("filter-input", base: base("filter", "input", 0))
            chain("filter-output", base: base("filter", "output", 0))
            for name in ["firewall-check", "mark-for-masquerade", "masquerading"] { chain(name) }
            chain("nat-output", base: base("nat", "output", -100))
            chain("nat-postrouting", base: base("nat", "postrouting", 100))
            chain("nat-prerouting", base: base("nat", "prerouting", -100))
            for name in ["nodeport-endpoints-check", "reject-chain", "services", "service-endpoints-check"] { chain(name) }
            for service in services where !service.endpoints.isEmpty {
                let base = KubeProxyNftRules.serviceBase(service)
                chain("service-" + base)
                if service.nodePort != nil { chain("external-" + base) }
                for endpoint in service.endpoints { chain(KubeProxyNftRules.endpointChain(service, endpoint)) }
            }
            handleOfChain = chains.indices.map { _ in next() }
        }

        mutating func writeRules(_ services: [LabService], clusterCIDR: String, serviceCIDR: String) {
            let daddr = Self.payload("ip", "daddr"), saddr = Self.payload("ip", "saddr")
            rule("cluster-ips-check", "\(Self.match("==", daddr, "\"@cluster-ips\"")), \(Self.reject)",
                 comment: "Reject traffic to invalid ports of ClusterIPs")
            rule("cluster-ips-check", "\(Self.match("==", daddr, Self.prefix(serviceCIDR))), {\"drop\": null}",
                 comment: "Drop traffic to unallocated ClusterIPs")
            let jumps: [(String, String)] = [
                ("filter-prerouting-pre-dnat", "firewall-check"), ("filter-forward", "service-endpoints-check"),
                ("filter-forward", "cluster-ips-check"), ("filter-input", "nodeport-endpoints-check"),
                ("filter-input", "service-endpoints-check"), ("filter-output", "service-endpoints-check"),
                ("filter-output-pre-dnat", "firewall-check"), ("filter-output", "cluster-ips-check"),
            ]
            for (chain, target) in jumps { rule(chain, "\(Self.ctNew), \(Self.verdict("jump", target))") }
            rule("firewall-check", "{\"vmap\": {\"key\": \(Self.serviceKey), \"data\": \"@firewall-ips\"}}")
            rule("mark-for-masquerade", "{\"mangle\": {\"key\": \(Self.mark), \"value\": {\"|\": [\(Self.mark), 16384]}}}")
            rule("masquerading", "\(Self.match("==", "{\"&\": [\(Self.mark), 16384]}", "0")), {\"return\": null}")
            rule("masquerading", "{\"mangle\": {\"key\": \(Self.mark), \"value\": {\"^\": [\(Self.mark), 16384]}}}")
            rule("masquerading", "{\"masquerade\": {\"flags\": \"fully-random\"}}")
            rule("nat-output", Self.verdict("jump", "services"))
            rule("nat-postrouting", Self.verdict("jump", "masquerading"))
            rule("nat-prerouting", Self.verdict("jump", "services"))
            let nodePortVmap = "{\"vmap\": {\"key\": \(Self.nodePortKey), \"data\": \"@no-endpoint-nodeports\"}}"
            rule("nodeport-endpoints-check", "\(Self.match("==", daddr, "\"@nodeport-ips\"")), \(nodePortVmap)")
            rule("reject-chain", Self.reject)
            rule("services", "{\"vmap\": {\"key\": \(Self.serviceKey), \"data\": \"@service-ips\"}}")
            let serviceNodePorts = "{\"vmap\": {\"key\": \(Self.nodePortKey), \"data\": \"@service-nodeports\"}}"
            rule("services", "\(Self.match("==", daddr, "\"@nodeport-ips\"")), \(serviceNodePorts)")
            rule("service-endpoints-check", "{\"vmap\": {\"key\": \(Self.serviceKey), \"data\": \"@no-endpoint-services\"}}")
            let markForMasquerade = Self.verdict("jump", "mark-for-masquerade")
            for service in services where !service.endpoints.isEmpty {
                let base = KubeProxyNftRules.serviceBase(service)
                let serviceChain = "service-" + base
                rule(serviceChain, "\(Self.match("==", daddr, quoted(service.clusterIP))), \(Self.match("!=", saddr, Self.prefix(clusterCIDR))), \(markForMasquerade)")
                let branches = service.endpoints.enumerated().map { index, endpoint in
                    "[\(index), \(Self.verdict("goto", KubeProxyNftRules.endpointChain(service, endpoint)))]"
                }
                rule(serviceChain, "{\"vmap\": {\"key\": {\"numgen\": {\"mode\": \"random\", \"mod\": \(service.endpoints.count), \"offset\": 0}}, \"data\": {\"set\": [\(branches.joined(separator: ", "))]}}}",
                     anonymousSet: true)
                if service.nodePort != nil {
                    rule("external-" + base, markForMasquerade)
                    rule("external-" + base, Self.verdict("goto", serviceChain))
                }
                for endpoint in service.endpoints {
                    let chain = KubeProxyNftRules.endpointChain(service, endpoint)
                    rule(chain, "\(Self.match("==", saddr, quoted(endpoint.ip))), \(markForMasquerade)")
                    rule(chain, "\(Self.match("==", Self.l4proto, "\"tcp\"")), {\"dnat\": {\"addr\": \"\(endpoint.ip)\", \"port\": \(service.targetPort)}}")
                }
            }
        }
    }
}
