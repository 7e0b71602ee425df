import Foundation
import SkoopModel
import SkoopNetstack

/// Reads one netns folder of a snapshot (`nodes/NODE/netns/ID/`) into a NetNSInfo.
/// A missing file becomes a warning (the tool may be absent); a malformed one is an error.
public struct NetNSLoader: Sendable {
    /// The snapshot being read.
    public let directory: SnapshotDirectory

    /// Parsed rulesets shared between the netns this loader (and its copies) reads.
    public let rulesets: ParsedRulesetCache

    /// Makes a loader over `directory`, sharing parsed rulesets through `rulesets`.
    public init(directory: SnapshotDirectory, rulesets: ParsedRulesetCache = ParsedRulesetCache()) {
        self.directory = directory
        self.rulesets = rulesets
    }

    /// The folder of a netns, relative to the snapshot root.
    /// An infrastructure device's key (`InfraDevice.key`) reads from `infra/NAME/`.
    public static func folder(node: String, netns: String) -> String {
        if let device = InfraDevice.name(ofKey: node) { return "\(InfraDevice.folder)/\(device)/netns/\(netns)" }
        return "nodes/\(node)/netns/\(netns)"
    }

    /// The folder holding a node's (or infrastructure device's) netns folders.
    public static func netnsRoot(node: String) -> String {
        if let device = InfraDevice.name(ofKey: node) { return "\(InfraDevice.folder)/\(device)/netns" }
        return "nodes/\(node)/netns"
    }

    /// Loads the netns `netns` of `node`.
    public func load(node: String, netns: String) throws(InputError) -> NetNSInfo {
        let folder = NetNSLoader.folder(node: node, netns: netns)
        // Names come from listings and from Kubernetes objects: each must be one folder name.
        for name in [InfraDevice.name(ofKey: node) ?? node, netns] where name.isEmpty || name == "." || name == ".." || name.contains("/") {
            throw InputError(source: folder, expected: "a node and a netns that are single folder names", found: name)
        }
        var info = NetNSInfo(id: netns)
        func data(_ file: String, required: Bool = true) throws(InputError) -> (Data, String)? {
            let path = "\(folder)/\(file)"
            guard let content = try directory.read(path) else {
                if required { info.warnings.append("\(path) is missing: \(NetNSLoader.consequence(of: file))") }
                return nil
            }
            return (content, path)
        }
        func text(_ file: String, required: Bool = true) throws(InputError) -> (String, String)? {
            guard let (content, path) = try data(file, required: required) else { return nil }
            guard let string = String(data: content, encoding: .utf8) else {
                throw InputError(source: path, expected: "UTF-8 text", found: "invalid UTF-8")
            }
            return (string, path)
        }
        if let (d, p) = try data("ip-link.json") { info.interfaces = try NetInterface.parse(d, source: p) }
        if let (d, p) = try data("ip-addr.json") { info.addresses = try InterfaceAddress.parse(d, source: p) }
        if let (d, p) = try data("ip-route.json") { info.routes += try Route.parse(d, source: p, family: .inet) }
        if let (d, p) = try data("ip-route6.json", required: false) { info.routes += try Route.parse(d, source: p, family: .inet6) }
        if let (d, p) = try data("ip-rule.json") { info.rules += try PolicyRule.parse(d, source: p, family: .inet) }
        if let (d, p) = try data("ip-rule6.json", required: false) { info.rules += try PolicyRule.parse(d, source: p, family: .inet6) }
        if let (d, p) = try data("ip-neigh.json") { info.neighbors = try Neighbor.parse(d, source: p) }
        if let (d, p) = try data("bridge-fdb.json", required: false) { info.fdb = try FDBEntry.parse(d, source: p) }
        if let (t, p) = try text("sockets.txt") {
            info.sockets = try SocketTableParser.parse(t, source: p)
        } else {
            info.socketsKnown = false
        }
        if let (t, p) = try text("sysctl.txt") { info.sysctls = try SysctlParser.parse(t, source: p) }
        if let (t, p) = try text("ipvs.txt", required: false) { info.ipvs = try IPVSParser.parse(t, source: p) }
        func ruleset(_ file: String, required: Bool) throws(InputError) -> IPTablesParseResult? {
            let path = "\(folder)/\(file)"
            // Compared with the dumps already parsed side by side; only a parse is one at a time.
            let parsedBefore = rulesets.parsedCount
            if let hit = try rulesets.result(matching: path, in: directory) { return hit }
            return try rulesets.oneAtATime { () throws(InputError) -> IPTablesParseResult? in
                if rulesets.parsedCount != parsedBefore, let hit = try rulesets.result(matching: path, in: directory) {
                    return hit  // parsed meanwhile
                }
                guard let bytes = try directory.map(path) else {
                    if required { info.warnings.append("\(path) is missing: \(NetNSLoader.consequence(of: file))") }
                    return nil
                }
                return try rulesets.result(for: bytes, source: path) { () throws(InputError) -> IPTablesParseResult in
                    // Structure now, rules when a packet first reaches their chain.
                    try IPTablesSaveParser.scan(bytes, source: path)
                }
            }
        }
        let failures = try collectionFailures(folder: folder)
        let iptablesAbsent = NetNSLoader.iptablesToolsAbsent(failures)
        if let parsed = try ruleset("iptables.txt", required: !iptablesAbsent) {
            info.iptables = parsed.ruleset
            info.rulesetWarnings += parsed.warnings.map(\.description)
        } else if !iptablesAbsent {
            info.netfilterUnknown = "\(folder)/iptables.txt is missing and the collector did not record the iptables tools as absent"
        }
        if let parsed = try ruleset("ip6tables.txt", required: false) {
            info.ip6tables = parsed.ruleset
            info.rulesetWarnings += parsed.warnings.map(\.description)
        }
        if let (t, p) = try text("ipset.txt", required: false) { info.ipsets = try typed(p) { try IPSetParser.parse(t, source: p) } }
        if let (t, _) = try text("iptables-backend.txt", required: false) {
            info.iptablesBackend = t.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        loadNftables(path: "\(folder)/nft.json", into: &info)
        return info
    }

    /// Reads nft.json: its native tables are simulated; iptables-nft's tables (when iptables-save
    /// came from the nft backend) are left to iptables.txt, read once. Base chains Skoop cannot
    /// place on a path (arp, netdev chains without one device) and an unreadable file leave the
    /// netns unproven.
    func loadNftables(path source: String, into info: inout NetNSInfo) {
        let ruleset: NftRuleset
        do {
            // Skimmed once per distinct content (kube-proxy's table is the same on every node);
            // a chain's rules are decoded when a packet first reaches it.
            guard let decoded = try rulesets.nftRuleset(at: source, in: directory, decode: { (bytes) throws(InputError) in
                rulesets.nftRulesOnFirstUse ? try NftJSONParser.skim(bytes, source: source) : try NftJSONParser.parse(bytes, source: source)
            }) else { return }
            ruleset = decoded
        } catch {
            info.netfilterUnknown = (info.netfilterUnknown.map { $0 + "; " } ?? "")
                + "\(error.description) (whether native nftables rules decide packets here is unknown)"
            return
        }
        let xtablesFromNft = info.iptablesBackend == "nft" || info.iptables?.dialect == .nft || info.ip6tables?.dialect == .nft
        if xtablesFromNft {
            info.nftablesReadElsewhere = Set(ruleset.tables.filter(\.hasXtablesName).map(\.description))
        }
        let engine = NftEngine(ruleset: ruleset, excludedTables: info.nftablesReadElsewhere)
        let unplaced = engine.unplacedBaseChains.filter { !$0.hasPrefix("arp ") }
        if !unplaced.isEmpty {
            info.netfilterUnknown = (info.netfilterUnknown.map { $0 + "; " } ?? "")
                + "\(source) holds nftables base chains Skoop does not place on a packet's path: \(unplaced.joined(separator: ", "))"
        }
        if ruleset.tables.contains(where: { !info.nftablesReadElsewhere.contains($0.description) && !$0.baseChains.isEmpty }) {
            info.nftables = ruleset
            // The classic split: legacy iptables rules beside native nft ones (an empty legacy table is no rule).
            let legacy = !xtablesFromNft && (info.iptables?.tables ?? []).contains { table in
                table.chains.contains { $0.ruleCount > 0 || $0.policy == .drop }
            }
            if legacy {
                info.rulesetWarnings.append("\(source): legacy iptables rules and native nftables rules both hook packets here; both are simulated in the kernel's order (by hook priority)")
            }
        }
    }

    /// The tools the collector recorded as failed in this folder (collect-errors.txt: TOOL, exit
    /// STATUS, MESSAGE per line); empty when the file is absent.
    func collectionFailures(folder: String) throws(InputError) -> [CollectionError] {
        guard let content = try directory.read("\(folder)/\(NodeCollector.errorFileName)") else { return [] }
        return String(decoding: content, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[1].hasPrefix("exit "), let status = Int32(fields[1].dropFirst(5)) else { return nil }
            return CollectionError(tool: String(fields[0]), status: status, message: fields.count > 2 ? String(fields[2]) : "")
        }
    }

    /// True when the collector recorded every iptables save tool as not installed (exit 127, or
    /// an exec failure): then no iptables rules exist to be read, and an absent iptables.txt
    /// proves an empty ruleset.
    static func iptablesToolsAbsent(_ failures: [CollectionError]) -> Bool {
        let saves = failures.filter { $0.tool.hasPrefix("iptables-") && $0.tool.hasSuffix("-save") }
        return saves.count == IptablesBackend.allCases.count && saves.allSatisfy { failure in
            failure.status == 127 || failure.message.contains("No such file or directory")
        }
    }

    /// Reads only the interfaces and addresses of `netns` (ip-link.json, ip-addr.json).
    public func loadAddressing(node: String, netns: String) throws(InputError) -> NetNSAddressing {
        let folder = NetNSLoader.folder(node: node, netns: netns)
        for name in [InfraDevice.name(ofKey: node) ?? node, netns] where name.isEmpty || name == "." || name == ".." || name.contains("/") {
            throw InputError(source: folder, expected: "a node and a netns that are single folder names", found: name)
        }
        var peek = NetNSAddressing(id: netns)
        if let data = try directory.read("\(folder)/ip-link.json") {
            peek.interfaces = try NetInterface.parse(data, source: "\(folder)/ip-link.json")
        }
        if let data = try directory.read("\(folder)/ip-addr.json") {
            peek.addresses = try InterfaceAddress.parse(data, source: "\(folder)/ip-addr.json")
        }
        return peek
    }

    /// Runs an untyped-throwing parser, keeping its InputError and naming the file otherwise.
    private func typed<T>(_ source: String, _ body: () throws -> T) throws(InputError) -> T {
        do {
            return try body()
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(source: source, expected: "readable content", found: "\(error)")
        }
    }

    /// What the diagnosis loses when `file` is missing.
    static func consequence(of file: String) -> String {
        switch file {
        case "ip-link.json": "interfaces unknown; links from this netns cannot be followed"
        case "ip-addr.json": "addresses unknown; local delivery cannot be decided"
        case "ip-route.json": "routes unknown; forwarding cannot be simulated"
        case "ip-rule.json": "policy rules unknown; the kernel's default rules are assumed"
        case "ip-neigh.json": "neighbour entries unknown; ARP problems cannot be seen"
        case "sockets.txt": "listening sockets unknown; whether anything listens here is unknown (collect it with `ss -H -tuanp` in this netns)"
        case "sysctl.txt": "sysctls unknown; forwarding and rp_filter settings are assumed to be the kernel defaults"
        case "iptables.txt": "iptables rules unknown; every packet through this netns has an unknown fate (collect it with `iptables-save -c` in this netns)"
        default: "its data is not simulated"
        }
    }
}

/// A netns's interfaces and addresses, without the rest of its stack.
public struct NetNSAddressing: Sendable {
    /// The netns folder name.
    public var id: String
    /// Its interfaces (ip-link.json).
    public var interfaces: [NetInterface] = []
    /// Its addresses (ip-addr.json).
    public var addresses: [InterfaceAddress] = []

    /// Nothing known yet.
    public init(id: String) {
        self.id = id
    }

    /// The addressing part of a fully read netns.
    public init(_ info: NetNSInfo) {
        self.init(id: info.id)
        interfaces = info.interfaces
        addresses = info.addresses
    }

    /// True when an interface here carries `address`.
    public func owns(_ address: IPAddress) -> Bool { addresses.contains { $0.local == address } }

    /// The interface with ifindex `index`.
    public func interface(index: Int) -> NetInterface? { interfaces.first { $0.index == index } }
}
