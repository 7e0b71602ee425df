import Foundation
import SkoopModel
import SkoopCollector

/// A flow to test in a running lab.
public struct LabFlow: Hashable, Sendable, Codable {
    /// The source: a pod name ("client"), a node name ("node1"), "ext" or "router".
    public var source: String
    /// The destination address.
    public var destination: String
    /// The destination port (tcp/udp).
    public var port: Int?
    /// The protocol.
    public var proto: TransportProtocol
    /// ICMP payload size (ping -s), nil for ping's default.
    public var payloadSize: Int?
    /// Set the don't-fragment bit (ping -M do).
    public var dontFragment: Bool
    /// The source address to send from (nc -s), when not the source's first one.
    public var sourceAddress: String?

    /// Makes a flow.
    public init(source: String, destination: String, port: Int? = nil, proto: TransportProtocol = .tcp,
                payloadSize: Int? = nil, dontFragment: Bool = false, sourceAddress: String? = nil) {
        self.sourceAddress = sourceAddress
        self.source = source
        self.destination = destination
        self.port = port
        self.proto = proto
        self.payloadSize = payloadSize
        self.dontFragment = dontFragment
    }

    /// The flow's address family, from its destination address.
    public var family: AddressFamily { destination.contains(":") ? .inet6 : .inet }
}

/// The kernel's routing decision in one netns along a flow.
public struct LabRouteStep: Hashable, Sendable {
    /// The netns id ("node1", "pod-client").
    public var netnsID: String
    /// The `ip route get` arguments.
    public var query: [String]
    /// The decision, nil when the kernel refused (blackhole, unreachable).
    public var decision: RouteDecision?
    /// The kernel's error, when it refused.
    public var error: String?
}

/// What really happened to a flow in the lab.
public struct ProbeResult: Hashable, Sendable {
    /// The flow.
    public var flow: LabFlow
    /// Whether the connection (or ping) succeeded.
    public var succeeded: Bool
    /// The pod that answered (from conntrack's reply tuple), when known.
    public var backendPod: String?
    /// The address that answered.
    public var backendIP: String?
    /// Routing decisions along the way.
    public var routes: [LabRouteStep]
    /// Rule hits (when tracing was asked for), per node netns id.
    public var trace: [String: [XtablesTraceLine]]
    /// The probe tool's output (for failure messages).
    public var detail: String
    /// With a trace: the connection's tuple in its original direction as each node saw it
    /// (before and after every NAT), to pick the connection's lines out of the trace.
    public var tuples: [LabTuple] = []
    /// With a trace: each node's xtables-monitor output (legacy: the capture rendered the same way),
    /// to keep as a recorded input.
    public var traceText: [String: String] = [:]
    /// The node whose conntrack holds the connection to the flow's destination (where a
    /// LoadBalancer IP entered the cluster), when one does.
    public var entryNode: String? = nil
}

/// Ground truth: sends real packets between lab netns and records what the kernel did.
public struct GroundTruth: Sendable {
    /// Runs the tools.
    public var runner: any ToolRunner
    /// The running lab.
    public var state: LabState

    /// Makes a prober for a running lab.
    public init(state: LabState, runner: any ToolRunner = SubprocessToolRunner()) {
        self.state = state
        self.runner = runner
    }

    var topology: LabTopology { state.topology }

    /// The netns id of a flow source.
    public func netnsID(ofSource source: String) -> String {
        topology.pod(source)?.netnsID ?? source
    }

    /// The source address of a flow from `source` in `family`.
    public func sourceAddress(_ source: String, family: AddressFamily = .inet) -> String? {
        topology.address(of: source, family: family)
    }

    /// conntrack's family option: it lists IPv4 entries unless told otherwise.
    static func conntrackFamily(_ family: AddressFamily) -> [String] { ["-f", family == .inet6 ? "ipv6" : "ipv4"] }

    /// Sends the flow for real. With `trace` (tcp flows), records every node's rule hits
    /// (`xtables-monitor --trace` with nft, the NFLOG TRACE capture with legacy) and the
    /// connection's tuples on every node (see `connectionTuples`), installing the TRACE rules for the probe if `installTraceRules` did
    /// not. `sourcePort` (random when nil) lets concurrent probes of one flow use distinct
    /// connections; a traced probe should run alone (the rules trace every tcp packet).
    public func probe(_ flow: LabFlow, trace: Bool = false, sourcePort chosenPort: Int? = nil) async -> ProbeResult {
        let sourcePort = chosenPort ?? Int.random(in: 20_000...59_999)
        let tracing = trace && flow.proto == .tcp && canTrace(flow.family)
        var monitors: [TraceMonitor] = []
        var added: [String] = []
        if tracing {
            added = await addMissingTraceRules()
            monitors = startTraceMonitors(tag: sourcePort, family: flow.family)
            await waitUntilCapturing(monitors)
            try? await Task.sleep(for: .milliseconds(300))
        }
        let output = await runner.run(["ip", "netns", "exec", state.netns(netnsID(ofSource: flow.source))]
                                      + probeCommand(flow, sourcePort: sourcePort))
        var traces: [String: [XtablesTraceLine]] = [:]
        var tuples: [LabTuple] = []
        var texts: [String: String] = [:]
        if tracing {
            try? await Task.sleep(for: .milliseconds(300))
            (traces, texts) = await stop(monitors)
            tuples = await connectionTuples(flow, sourcePort: sourcePort)
            for node in added { await removeTraceRules(node: node) }
        }
        let entry = flow.proto == .icmp ? nil : await conntrackEntry(flow, sourcePort: sourcePort)
        let backendIP = entry?.replySource ?? flow.destination
        let routes = await routeSteps(flow, finalDestination: backendIP)
        return ProbeResult(flow: flow, succeeded: output.succeeded, backendPod: topology.pod(ip: backendIP)?.name,
                           backendIP: backendIP, routes: routes, trace: traces,
                           detail: (output.stdout + output.stderr).trimmingCharacters(in: .whitespacesAndNewlines),
                           tuples: tuples, traceText: texts, entryNode: entry?.node)
    }

    /// The probe tool: nc -z (tcp), nc -u -z (udp: fails on an ICMP error), ping -c1 (icmp).
    func probeCommand(_ flow: LabFlow, sourcePort: Int) -> [String] {
        let port = String(flow.port ?? 0)
        let bind = flow.sourceAddress.map { ["-s", $0] } ?? []
        switch flow.proto {
        case .tcp: return ["nc", "-z", "-w", "2", "-p", String(sourcePort)] + bind + [flow.destination, port]
        case .udp: return ["nc", "-u", "-z", "-w", "2", "-p", String(sourcePort)] + bind + [flow.destination, port]
        case .icmp, .ipip:
            var command = ["ping", "-c1", "-W1"]
            if let size = flow.payloadSize { command += ["-s", String(size)] }
            if flow.dontFragment { command += ["-M", "do"] }
            return command + [flow.destination]
        }
    }

    /// The node holding the flow's conntrack entry and its reply source: the backend after DNAT.
    func conntrackEntry(_ flow: LabFlow, sourcePort: Int) async -> (node: String, replySource: String)? {
        for node in topology.nodes {
            let output = await runner.run(["ip", "netns", "exec", state.netns(node.name), "conntrack", "-L"]
                                          + Self.conntrackFamily(flow.family)
                                          + ["-p", flow.proto.rawValue, "--orig-port-src", String(sourcePort)])
            for line in output.stdout.split(separator: "\n") where line.contains("dst=\(flow.destination) ") {
                let sources = line.split(separator: " ").filter { $0.hasPrefix("src=") }
                if sources.count >= 2 { return (node.name, String(sources[1].dropFirst(4))) }
            }
        }
        return nil
    }

    /// `ip -d route get` in the source netns (with and without the source address, so the
    /// kernel's choice of source shows), at the source's node (as forwarded from the pod), at a
    /// NodePort's node (marked for masquerade, as kube-proxy does before routing), and at the
    /// destination's node when it is another one.
    func routeSteps(_ flow: LabFlow, finalDestination: String) async -> [LabRouteStep] {
        guard let source = flow.sourceAddress ?? sourceAddress(flow.source, family: flow.family) else { return [] }
        let sourceNetns = netnsID(ofSource: flow.source)
        var queries: [(String, [String])] = [(sourceNetns, [flow.destination]),
                                             (sourceNetns, [flow.destination, "from", source])]
        let destinationNode = topology.pod(ip: finalDestination)?.node
        var ingress: String?
        if let pod = topology.pod(flow.source) {
            let inbound = topology.scenario.usesBridge ? "cni0" : pod.hostVeth(topology.scenario)
            queries.append((pod.node, [finalDestination, "from", source, "iif", inbound]))
            ingress = pod.node
        } else if let node = topology.nodes.first(where: { $0.ip == flow.destination || $0.ip6 == flow.destination }),
                  node.name != flow.source {
            queries.append((node.name, [finalDestination, "from", source, "iif", "ens4", "mark", "0x4000"]))
            ingress = node.name
        } else {
            ingress = flow.source
        }
        if let destinationNode, destinationNode != ingress {
            queries.append((destinationNode, [finalDestination, "from", source, "iif", tunnelOrUplink()]))
        }
        var steps: [LabRouteStep] = []
        for (netnsID, query) in queries {
            let output = await runner.run(["ip", "-n", state.netns(netnsID), "-d", "-j", "route", "get"] + query)
            steps.append(LabRouteStep(netnsID: netnsID, query: query, decision: Self.routeDecision(output.stdout),
                                      error: output.succeeded ? nil : output.firstErrorLine))
        }
        return steps
    }

    private func tunnelOrUplink() -> String {
        switch topology.scenario {
        case .flannelVXLAN: "flannel.1"
        case .calicoVXLAN: "vxlan.calico"
        default: "ens4"
        }
    }

    /// The first route of an `ip -j route get` answer.
    public static func routeDecision(_ json: String) -> RouteDecision? {
        guard let data = json.data(using: .utf8),
              let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
              let first = array.first, let destination = first["dst"] as? String else { return nil }
        return RouteDecision(destination: destination, table: first["table"] as? String ?? "main", route: nil,
                             outcome: first["type"] as? String ?? "unicast", outInterface: first["dev"] as? String,
                             gateway: first["gateway"] as? String, preferredSource: first["prefsrc"] as? String)
    }
}
