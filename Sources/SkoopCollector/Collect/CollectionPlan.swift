/// One raw output of the snapshot layout: which tool makes which file.
public struct CollectedFile: Hashable, Sendable {
    /// The file name inside the namespace folder.
    public var fileName: String
    /// The tool and its arguments (before entering the namespace).
    public var command: [String]
    /// Keep only lines starting with this prefix (sysctl: "net.").
    public var linePrefix: String?

    /// Makes a file spec.
    public init(fileName: String, command: [String], linePrefix: String? = nil) {
        self.fileName = fileName
        self.command = command
        self.linePrefix = linePrefix
    }

    /// The content to store for a successful run.
    public func content(of output: ToolOutput) -> String {
        guard let linePrefix else { return output.stdout }
        let kept = output.stdout.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { $0.hasPrefix(linePrefix) }
        return kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
    }
}

/// The standard read-only tools of the snapshot layout (interfaces.md), per namespace.
public enum CollectionPlan {
    /// The files that do not depend on the iptables backend.
    public static let standardFiles: [CollectedFile] = [
        CollectedFile(fileName: "ip-link.json", command: ["ip", "-j", "-d", "link", "show"]),
        CollectedFile(fileName: "ip-addr.json", command: ["ip", "-j", "addr", "show"]),
        CollectedFile(fileName: "ip-route.json", command: ["ip", "-j", "route", "show", "table", "all"]),
        CollectedFile(fileName: "ip-route6.json", command: ["ip", "-j", "-6", "route", "show", "table", "all"]),
        CollectedFile(fileName: "ip-rule.json", command: ["ip", "-j", "rule", "show"]),
        CollectedFile(fileName: "ip-rule6.json", command: ["ip", "-j", "-6", "rule", "show"]),
        CollectedFile(fileName: "ip-neigh.json", command: ["ip", "-j", "neigh", "show"]),
        CollectedFile(fileName: "bridge-fdb.json", command: ["bridge", "-j", "fdb", "show"]),
        CollectedFile(fileName: "ipset.txt", command: ["ipset", "save"]),
        CollectedFile(fileName: "ipvs.txt", command: ["ipvsadm", "-Sn"]),
        CollectedFile(fileName: "nft.json", command: ["nft", "-j", "list", "ruleset"]),
        CollectedFile(fileName: "sockets.txt", command: ["ss", "-H", "-tuanp"]),
        CollectedFile(fileName: "sysctl.txt", command: ["sysctl", "-a"], linePrefix: "net."),
    ]

    /// The iptables files for `backend`.
    public static func iptablesFiles(backend: IptablesBackend) -> [CollectedFile] {
        [
            CollectedFile(fileName: "iptables.txt", command: ["iptables-\(backend.rawValue)-save", "-c"]),
            CollectedFile(fileName: "ip6tables.txt", command: ["ip6tables-\(backend.rawValue)-save", "-c"]),
        ]
    }
}

/// The iptables implementation whose rules a namespace uses.
public enum IptablesBackend: String, CaseIterable, Hashable, Sendable, Codable {
    /// iptables-legacy (x_tables).
    case legacy
    /// iptables-nft (nf_tables with xt compatibility).
    case nft

    /// The number of rules (`-A` lines) in an iptables-save text; with `-c` each rule line
    /// starts with its counters (`[packets:bytes] -A ...`).
    public static func ruleCount(in saved: String) -> Int {
        saved.split(separator: "\n").count { line in
            let rule = line.hasPrefix("[") ? line.drop { $0 != "]" }.dropFirst().drop { $0 == " " } : line[...]
            return rule.hasPrefix("-A ")
        }
    }
}
