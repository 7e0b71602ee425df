import SkoopModel

/// Everything collected about one network namespace (the seed's netstack.NetNSInfo).
public struct NetNSInfo: Sendable {
    /// The netns identifier within its node ("host", a name or an inode).
    public var id: String
    /// Links (`ip -d link`).
    public var interfaces: [NetInterface]
    /// Addresses (`ip addr`), both families.
    public var addresses: [InterfaceAddress]
    /// Routes of every table, both families.
    public var routes: [Route]
    /// Policy routing rules, both families; empty when not collected (the kernel defaults apply).
    public var rules: [PolicyRule]
    /// Neighbour (ARP/NDP) entries.
    public var neighbors: [Neighbor]
    /// Bridge forwarding database entries (including VXLAN FDB).
    public var fdb: [FDBEntry]
    /// Sockets.
    public var sockets: [Socket]
    /// net.* sysctls.
    public var sysctls: Sysctls
    /// IPVS virtual services.
    public var ipvs: IPVSTable
    /// Which iptables backend wrote the rules ("legacy" or "nft"), when known.
    public var iptablesBackend: String?
    /// IPv4 rules (`iptables-save -c`); nil when not collected.
    public var iptables: Ruleset?
    /// IPv6 rules (`ip6tables-save -c`); nil when not collected.
    public var ip6tables: Ruleset?
    /// Native nftables rules (`nft -j list ruleset`), nil when not collected or holding nothing
    /// to evaluate.
    public var nftables: NftRuleset?
    /// Tables of `nftables` whose rules are read from iptables-save instead (iptables-nft's),
    /// as "family name".
    public var nftablesReadElsewhere: Set<String>
    /// The ipsets (`ipset save`).
    public var ipsets: IPSetCollection
    /// Oddities in the rulesets (jumps to missing chains, options not modelled).
    public var rulesetWarnings: [String]
    /// Problems met while loading (missing or unreadable files), as suspicions-to-be.
    public var warnings: [String]
    /// False when the socket table (sockets.txt) was not collected: whether anything listens is unknown.
    public var socketsKnown: Bool
    /// Why this netns's netfilter rules are unknown (no iptables.txt and no record that the tool
    /// was absent; native nftables tables Skoop does not evaluate), nil when they are known.
    public var netfilterUnknown: String?

    /// Makes an empty netns record.
    public init(id: String) {
        self.id = id
        interfaces = []
        addresses = []
        routes = []
        rules = []
        neighbors = []
        fdb = []
        sockets = []
        sysctls = Sysctls()
        ipvs = IPVSTable()
        iptablesBackend = nil
        iptables = nil
        ip6tables = nil
        nftables = nil
        nftablesReadElsewhere = []
        ipsets = IPSetCollection()
        rulesetWarnings = []
        warnings = []
        socketsKnown = true
        netfilterUnknown = nil
    }

    /// The interface named `name`.
    public func interface(named name: String) -> NetInterface? {
        interfaces.first { $0.name == name }
    }

    /// The interface with kernel index `index`.
    public func interface(index: Int) -> NetInterface? {
        interfaces.first { $0.index == index }
    }

    /// The addresses configured on `interface`.
    public func addresses(on interface: String) -> [InterfaceAddress] {
        addresses.filter { $0.interface == interface }
    }

    /// True when `address` is configured on any interface here.
    public func owns(_ address: IPAddress) -> Bool {
        addresses.contains { $0.local == address }
    }

    /// Every address configured here, except loopback and link-local ones.
    public var routableAddresses: [IPAddress] {
        addresses.map(\.local).filter { address in
            switch address {
            case .v4(let a): !a.isLoopback && !a.isLinkLocal
            case .v6(let a): !a.isLoopback && !a.isLinkLocal
            }
        }
    }
}
