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
    public static func folder(node: String, netns: String) -> String { "nodes/\(node)/netns/\(netns)" }

    /// Loads the netns `netns` of `node`.
    public func load(node: String, netns: String) throws(InputError) -> NetNSInfo {
        let folder = NetNSLoader.folder(node: node, netns: netns)
        // Names come from listings and from Kubernetes objects: each must be one folder name.
        for name in [node, netns] where name.isEmpty || name == "." || name == ".." || name.contains("/") {
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
        if let (t, p) = try text("sockets.txt") { info.sockets = try SocketTableParser.parse(t, source: p) }
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
        if let parsed = try ruleset("iptables.txt", required: true) {
            info.iptables = parsed.ruleset
            info.rulesetWarnings += parsed.warnings.map(\.description)
        }
        if let parsed = try ruleset("ip6tables.txt", required: false) {
            info.ip6tables = parsed.ruleset
            info.rulesetWarnings += parsed.warnings.map(\.description)
        }
        if let (t, p) = try text("ipset.txt", required: false) { info.ipsets = try typed(p) { try IPSetParser.parse(t, source: p) } }
        if let (t, _) = try text("iptables-backend.txt", required: false) {
            info.iptablesBackend = t.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return info
    }

    /// Reads only the interfaces and addresses of `netns` (ip-link.json, ip-addr.json).
    public func loadAddressing(node: String, netns: String) throws(InputError) -> NetNSAddressing {
        let folder = NetNSLoader.folder(node: node, netns: netns)
        for name in [node, netns] where name.isEmpty || name == "." || name == ".." || name.contains("/") {
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
        case "sockets.txt": "listening sockets unknown; delivery is assumed to succeed"
        case "sysctl.txt": "sysctls unknown; forwarding and rp_filter settings are assumed to be the kernel defaults"
        case "iptables.txt": "iptables rules unknown; no filtering or NAT is simulated here"
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
