import SkoopDiagnosis
import SkoopModel
import SkoopNetstack
import SkoopCollector

/// The kernel's answer to one `ip route get` query along a flow, and Skoop's to the same query on
/// the snapshot of that netns (its Router, plus the forwarding and rp_filter checks the kernel's
/// input route makes), and whether they agree.
public struct RouteComparison: Hashable, Sendable {
    /// The flow's name.
    public var flow: String
    /// The lab netns id ("node1", "pod-client").
    public var netnsID: String
    /// The `ip route get` arguments.
    public var query: [String]
    /// Whether Skoop answers as the kernel did.
    public var agrees: Bool
    /// The kernel's answer, `ip route get`-style.
    public var kernel: String
    /// Skoop's answer, in the same shape.
    public var skoop: String

    /// One line for the report.
    public var line: String {
        "\(flow): route at \(netnsID) (ip route get \(query.joined(separator: " "))): kernel \(kernel), skoop \(skoop)"
    }
}

/// A routing answer reduced to what both sides can say: the outcome (a route type, or the error
/// the kernel answers with), the table, the device, the gateway and the preferred source.
public struct RouteAnswer: Hashable, Sendable, CustomStringConvertible {
    /// "unicast", "local", ... or "error: MESSAGE".
    public var outcome: String
    /// The table (nil: not compared).
    public var table: String?
    /// The outgoing device.
    public var device: String?
    /// The gateway.
    public var gateway: String?
    /// The preferred source (nil: not compared; the kernel prints it only without `from`).
    public var preferredSource: String?

    /// The kernel's answer of a recorded step.
    public init(kernel step: LabRouteStep) {
        if let decision = step.decision {
            outcome = decision.outcome
            table = decision.table
            device = decision.outInterface
            gateway = decision.gateway
            preferredSource = decision.preferredSource
        } else {
            let message = step.error ?? "no answer"
            outcome = "error: " + (message.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? message)
        }
    }

    /// Makes an answer.
    public init(outcome: String, table: String? = nil, device: String? = nil, gateway: String? = nil, preferredSource: String? = nil) {
        self.outcome = outcome
        self.table = table
        self.device = device
        self.gateway = gateway
        self.preferredSource = preferredSource
    }

    /// A reverse-path failure is EXDEV ("Invalid cross-device link") up to Linux 6.12; since 6.13
    /// the input route returns a drop reason and `ip route get ... iif` reports it as EINVAL
    /// (seen on 6.18 in the rp-filter-local lab).
    static func sameFailure(kernel: String, skoop: String) -> Bool {
        skoop == "error: Invalid cross-device link" && kernel == "error: Invalid argument"
    }

    /// The error message the kernel gives when a route lookup fails this way.
    public static func kernelError(_ outcome: RouteOutcome) -> String {
        switch outcome {
        case .blackhole: "error: Invalid argument"
        case .unreachable: "error: No route to host"
        case .prohibit: "error: Permission denied"
        case .noRoute: "error: Network is unreachable"
        case .unicast, .local, .broadcast, .multicast: outcome.rawValue
        }
    }

    public var description: String {
        guard !outcome.hasPrefix("error") else { return outcome }
        var words = [outcome]
        if let gateway { words.append("via \(gateway)") }
        if let device { words.append("dev \(device)") }
        if let table { words.append("table \(table)") }
        if let preferredSource { words.append("src \(preferredSource)") }
        return words.joined(separator: " ")
    }

    /// Whether `skoop` says the same as this kernel answer: the prefsrc is compared only when the
    /// kernel printed one.
    public func agrees(with skoop: RouteAnswer) -> Bool {
        (outcome == skoop.outcome || Self.sameFailure(kernel: outcome, skoop: skoop.outcome)) && table == skoop.table && device == skoop.device && gateway == skoop.gateway
            && (preferredSource == nil || preferredSource == skoop.preferredSource)
    }
}

extension RouteComparison {
    /// The parsed `ip route get` arguments: DST [from SRC] [iif DEV] [mark M].
    public static func routeQuery(_ arguments: [String]) -> RouteQuery? {
        guard let first = arguments.first, let destination = IPAddress(first) else { return nil }
        var query = RouteQuery(destination: destination)
        var index = 1
        while index + 1 < arguments.count {
            let value = arguments[index + 1]
            switch arguments[index] {
            case "from": query.source = IPAddress(value)
            case "iif": query.iif = value
            case "oif": query.oif = value
            case "mark": query.fwmark = UInt32(value.hasPrefix("0x") ? String(value.dropFirst(2)) : value,
                                               radix: value.hasPrefix("0x") ? 16 : 10) ?? 0
            default: return nil
            }
            index += 2
        }
        return query
    }

    /// What the kernel would answer on this netns's snapshot, by Skoop's model: the router's
    /// lookup, then for a packet arriving on an interface the input route's checks in the
    /// kernel's order (IPv4: forwarding on the interface, then rp_filter).
    public static func skoopAnswer(_ query: RouteQuery, simulator: NetNSSimulator) -> RouteAnswer {
        let result = simulator.router.lookup(query)
        guard result.outcome.delivers else { return RouteAnswer(outcome: RouteAnswer.kernelError(result.outcome)) }
        if let iif = query.iif {
            let sysctls = simulator.info.sysctls
            // IPv4's input route refuses to forward; IPv6's lookup answers, and ip6_forward drops later.
            if result.outcome == .unicast, query.destination.family == .inet,
               sysctls.interfaceForwarding(iif) == false || sysctls.forwardingEnabled(family: query.destination.family) == false {
                return RouteAnswer(outcome: RouteAnswer.kernelError(.unreachable))
            }
            if let source = query.source, source.family == .inet, let mode = sysctls.reversePathFilter(on: iif), mode > 0,
               !simulator.router.reversePathCheck(packetSource: source, arrivedOn: iif, destination: query.destination,
                                                  mode: ReversePathMode(rawValue: mode) ?? .strict, fwmark: query.fwmark) {
                return RouteAnswer(outcome: "error: Invalid cross-device link")
            }
        }
        // Without custom rules the kernel merges IPv4's local table into main and reports main
        // (IPv6 keeps its local table apart).
        let table = result.table == .local && query.destination.family == .inet && hasOnlyDefaultRules(simulator.router)
            ? RouteTable.main : result.table
        return RouteAnswer(outcome: result.outcome.rawValue, table: table?.description, device: result.oif,
                           gateway: result.gateway?.description, preferredSource: printedSource(query, result, simulator: simulator))
    }

    /// The prefsrc `ip route get` prints. For IPv6 the kernel prints the address it would choose
    /// for the route (ip6_route_get_saddr), even when `from` gave the packet another source: the
    /// node's VTEP address for `from NODE-IP` through flannel.1, for one.
    static func printedSource(_ query: RouteQuery, _ result: RouteResult, simulator: NetNSSimulator) -> String? {
        guard query.destination.family == .inet6, query.source != nil, query.iif == nil else { return result.source?.description }
        var unbound = query
        unbound.source = nil
        let chosen = simulator.router.lookup(unbound)
        guard chosen.oif == result.oif, chosen.gateway == result.gateway else { return result.source?.description }
        return chosen.source?.description
    }

    /// Whether the IPv4 rules are the three a netns starts with (local, main, default): the kernel
    /// then keeps the local and main tables merged (fib_unmerge runs on the first custom rule).
    static func hasOnlyDefaultRules(_ router: Router) -> Bool {
        let rules = router.rules4.map { rule -> String in
            guard rule.source == nil, rule.destination == nil, rule.fwmark == nil, rule.iif == nil, rule.oif == nil,
                  !rule.invert, case .lookup(let table) = rule.action else { return "custom" }
            return "\(rule.priority) \(table)"
        }
        return rules == ["0 local", "32766 main", "32767 default"]
    }

    /// Compares one recorded kernel step with Skoop's answer on `simulator` (the snapshot of the
    /// same netns) and, when the diagnosis routed a packet to the same destination at `hop`, with
    /// that decision too (outcome, device and gateway: the path's packet may carry another source).
    public static func compare(_ step: LabRouteStep, flow: String, simulator: NetNSSimulator,
                               pathDecisions: [RouteDecision] = []) -> RouteComparison {
        let kernel = RouteAnswer(kernel: step)
        guard let query = routeQuery(step.query) else {
            return RouteComparison(flow: flow, netnsID: step.netnsID, query: step.query, agrees: false,
                                   kernel: kernel.description, skoop: "query not understood")
        }
        let skoop = skoopAnswer(query, simulator: simulator)
        var agrees = kernel.agrees(with: skoop)
        var skoopText = skoop.description
        if step.decision != nil {
            for decision in pathDecisions where decision.destination == query.destination.description {
                let onPath = RouteAnswer(outcome: decision.outcome, device: decision.outInterface, gateway: decision.gateway)
                let kernelOnPath = RouteAnswer(outcome: kernel.outcome, device: kernel.device, gateway: kernel.gateway)
                if !kernelOnPath.agrees(with: onPath) {
                    agrees = false
                    skoopText += "; on the diagnosed path: \(onPath)"
                }
            }
        }
        return RouteComparison(flow: flow, netnsID: step.netnsID, query: step.query, agrees: agrees,
                               kernel: kernel.description, skoop: skoopText)
    }
}
