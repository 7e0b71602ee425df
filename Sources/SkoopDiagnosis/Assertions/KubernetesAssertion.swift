import SkoopModel
import SkoopKubernetes

/// Checks of Kubernetes objects (the seed's KubernetesAssertion).
struct KubernetesAssertion {
    let cluster: ClusterState

    func suspicions(pod: Pod?, node: String) -> [Suspicion] {
        var found: [Suspicion] = []
        if let object = cluster.node(named: node), object.isReady == false {
            found.append(Suspicion(level: .fatal, message: "Node \(node) is not Ready.",
                                   hint: "kubectl describe node \(node)"))
        }
        if let pod {
            if let phase = pod.phase, phase != "Running" {
                found.append(Suspicion(level: .critical, message: "Pod \(pod.qualifiedName) is \(phase), not Running."))
            }
            for container in pod.unreadyContainers {
                found.append(Suspicion(level: .warning, message: "Container \(container.name) of pod \(pod.qualifiedName) is not ready.",
                                       hint: "kubectl describe pod -n \(pod.namespace) \(pod.name)"))
            }
        }
        return found
    }
}
