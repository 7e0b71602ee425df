import SkoopModel
import SkoopNetstack

extension LinuxNetNode {
    /// A packet for a pod of this very node caught by a blackhole route wider than one address:
    /// Calico blackholes its node's own IPAM blocks, so a pod whose /32 route through its cali*
    /// veth is gone (the veth down or deleted) falls into it. Names the pod and its veth.
    func localPodBlackholed(_ decision: NetNSDecision) -> Suspicion? {
        guard netnsID == "host", let route = decision.routes.last, route.outcome == "blackhole",
              !route.destination.hasSuffix("/32"), !route.destination.hasSuffix("/128"),
              let pod = network.cluster.ipCache.pod(ip: decision.packet.dst), pod.nodeName == node else { return nil }
        return Suspicion(
            level: .fatal,
            message: "\(decision.packet.dst) is the address of pod \(pod.namespace)/\(pod.name) on \(node), yet only the blackhole route for \(route.destination) matches it in \(hop.id): the pod's own route is missing."
                + (hostVethProblem(for: decision.packet.dst).map { " \($0)" } ?? ""),
            evidence: route.route ?? "blackhole \(route.destination)",
            hint: "The CNI installs a route to each local pod through its host-side veth (Calico: \(decision.packet.dst)/32 dev cali*); check that veth and the CNI's logs.")
    }
}
