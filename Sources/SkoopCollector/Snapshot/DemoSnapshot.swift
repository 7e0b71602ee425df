import Foundation

/// The demo snapshot bundled with Skoop: a real flannel-vxlan lab where one of the two backends
/// of `default/web` sits behind a FORWARD DROP on node2.
public enum DemoSnapshot {
    /// Where the bundled snapshot is on disk, if the resource bundle was installed with the binary.
    public static var path: String? {
        Bundle.module.url(forResource: "demo", withExtension: nil)?.path
    }

    /// Queries worth trying on the demo, with what each shows.
    public static let suggestions: [(title: String, src: String, dst: String, port: UInt16, proto: String)] = [
        ("client -> service web: one backend of two is dropped (partial)", "default/client", "svc/default/web", 80, "tcp"),
        ("client -> web-1 across the VXLAN: dropped by node2's FORWARD rule", "default/client", "default/web-1", 8080, "tcp"),
        ("client -> web-0 on the same node: works", "default/client", "default/web-0", 8080, "tcp"),
        ("external host -> NodePort 30080 on node1", "172.30.0.10", "192.168.56.11", 30080, "tcp"),
        ("client2 -> service empty: no endpoints (REJECT)", "default/client2", "svc/default/empty", 80, "tcp"),
        ("client -> web-1 ping", "default/client", "default/web-1", 0, "icmp"),
    ]
}
