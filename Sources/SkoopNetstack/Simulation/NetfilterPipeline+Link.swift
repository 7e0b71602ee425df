import SkoopModel

/// Where a packet is at the link layer while it crosses an IP hook, so that bridge-family and
/// netdev chains run around the hook in the kernel's order. Measured with `nft monitor trace`
/// (Tests/Lab/capture-bridge-netdev-fixtures.sh, kernel 6.18):
/// - arriving: netdev ingress of the device it came in on; on a bridge port, bridge prerouting.
///   With bridge-nf-call-ip(6)tables, br_netfilter (bridge priority 0) runs IP PREROUTING inside
///   bridge prerouting: bridge chains at priority <= 0 first, those above 0 after. Delivered up
///   (not bridged): bridge input, then netdev ingress of the bridge, then (without
///   br_netfilter) IP PREROUTING.
/// - bridged: bridge forward with IP FORWARD inside it at priority 0 the same way; then every
///   bridge postrouting chain, IP POSTROUTING (br_netfilter sits last, at INT_MAX), netdev egress
///   of the out port. Without br_netfilter the IP hooks don't run.
/// - leaving through a device: after IP POSTROUTING, its netdev egress; for a bridge, then
///   bridge output and postrouting and the egress of the port the frame leaves through.
public struct LinkPath: Sendable {
    /// The device the frame arrived on (a bridge port, or the routed interface itself).
    public var arrival: String?
    /// The bridge `arrival` is a port of.
    public var bridge: String?
    /// True when the bridge forwards the frame between its ports rather than up to IP.
    public var bridged: Bool
    /// bridge-nf-call-iptables (ip6tables for IPv6): the IP hooks run inside the bridge's.
    public var bridgeCallsIP: Bool
    /// The device the packet leaves through (for a bridged frame: the out port).
    public var departure: String?
    /// True when `departure` is a bridge (a routed packet sent through it).
    public var departureIsBridge: Bool
    /// The port of bridge `departure` the frame leaves through, when known.
    public var departurePort: String?

    /// Describes a packet's link-layer way through the hooks.
    public init(arrival: String? = nil, bridge: String? = nil, bridged: Bool = false, bridgeCallsIP: Bool = true,
                departure: String? = nil, departureIsBridge: Bool = false, departurePort: String? = nil) {
        self.arrival = arrival
        self.bridge = bridge
        self.bridged = bridged
        self.bridgeCallsIP = bridgeCallsIP
        self.departure = departure
        self.departureIsBridge = departureIsBridge
        self.departurePort = departurePort
    }
}

extension NetfilterPipeline {
    /// True when the ruleset has chains below the IP layer.
    public var hasLinkChains: Bool { !nftables.linkChains.isEmpty }

    /// The stages at IP hook `hook` with the link-layer chains `link` places around it.
    func stages(at hook: Hook, link: LinkPath) -> [Stage] {
        func chains(_ place: NftEngine.LinkChain.Place, in inInterface: String?, out outInterface: String?,
                    priorities: (Int) -> Bool = { _ in true }) -> [Stage] {
            nftables.linkChains(at: place).filter { priorities($0.chain.priority) }.map {
                .link($0, inInterface: inInterface, outInterface: outInterface)
            }
        }
        // Without br_netfilter a bridged frame meets no IP hook.
        let ip = link.bridged && !link.bridgeCallsIP ? [] : ipStages(at: hook)
        let port = link.arrival
        switch hook {
        case .prerouting:
            let ingress = port.map { chains(.ingress(device: $0), in: $0, out: nil) } ?? []
            guard let bridge = link.bridge else { return ingress + ip }
            let up = link.bridged ? [] : chains(.bridge(.input), in: port, out: nil) + chains(.ingress(device: bridge), in: bridge, out: nil)
            guard link.bridgeCallsIP else {
                return ingress + chains(.bridge(.prerouting), in: port, out: nil) + up + (link.bridged ? [] : ip)
            }
            return ingress + chains(.bridge(.prerouting), in: port, out: nil, priorities: { $0 <= 0 }) + ip
                + chains(.bridge(.prerouting), in: port, out: nil, priorities: { $0 > 0 }) + up
        case .forward:
            guard link.bridged else { return ip }
            let out = link.departure
            return chains(.bridge(.forward), in: port, out: out, priorities: { $0 <= 0 }) + ip
                + chains(.bridge(.forward), in: port, out: out, priorities: { $0 > 0 })
        case .postrouting:
            guard let device = link.departure else { return ip }
            if link.bridged {
                return chains(.bridge(.postrouting), in: nil, out: device) + ip + chains(.egress(device: device), in: nil, out: device)
            }
            guard link.departureIsBridge else { return ip + chains(.egress(device: device), in: nil, out: device) }
            let out = link.departurePort
            return ip + chains(.egress(device: device), in: nil, out: device) + chains(.bridge(.output), in: nil, out: out)
                + chains(.bridge(.postrouting), in: nil, out: out) + (out.map { chains(.egress(device: $0), in: nil, out: $0) } ?? [])
        case .input, .output:
            return ip
        }
    }
}
