import ArgumentParser
import Foundation
import SkoopCollector
import SkoopLab

/// `skoop lab synth`: a synthetic snapshot of any size, shaped like a real cluster.
struct LabSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic flannel-VXLAN / kube-proxy snapshot of any size (for benchmarks and scale tests).",
        discussion: """
            Pods are dealt round-robin over the nodes; service i's endpoints are pods i*E..i*E+E-1, \
            so they sit on E different nodes. The iptables ruleset is identical on every node \
            (hard-linked where the file system allows).
            """)

    @Option(help: "Number of nodes.")
    var nodes: Int = 3
    @Option(help: "Number of pods (at most 250 per node).")
    var pods: Int = 30
    @Option(help: "Number of ClusterIP services.")
    var services: Int = 5
    @Option(help: "Endpoints per service.")
    var endpoints: Int = 2
    @Flag(help: "Pods get a tier label (web, api, db; batch for workloads) and each service namespace NetworkPolicies on it.")
    var policies = false
    @Option(help: "kube-proxy's mode: iptables (KUBE-* chains in iptables.txt) or nftables (table ip kube-proxy in nft.json).")
    var proxy: LabProxyMode = .iptables
    @Option(help: "The snapshot directory to create.")
    var output: String

    func run() throws {
        let spec = SynthSpec(nodes: nodes, pods: pods, services: services, endpoints: endpoints, policies: policies, proxy: proxy)
        if let problem = spec.validate() { throw ValidationError(problem) }
        let summary: SyntheticCluster.Summary
        do {
            summary = try SyntheticCluster.generate(spec, into: output)
        } catch let error as SynthError {
            printError(error.description)
            throw ExitCode(ExitStatus.noInput)
        }
        let layout = SynthLayout(spec: spec)
        let client = layout.clientPod
        print("wrote \(output): \(summary.files) files, \(summary.bytes >> 20) MiB (hard links not counted)")
        print("iptables ruleset: \(summary.iptablesLines) lines, \(summary.iptablesBytes >> 20) MiB per node")
        if spec.services > 0 {
            print("try: skoop diagnose --snapshot \(output) -s \(layout.podNamespace(client))/\(layout.podName(client)) -d svc/\(layout.serviceNamespace(0))/\(layout.serviceName(0)) -p \(SynthLayout.servicePort)")
        }
    }
}
