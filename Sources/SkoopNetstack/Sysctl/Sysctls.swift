import SkoopModel

/// The `net.*` settings of one netns, from `sysctl -a`.
public struct Sysctls: Hashable, Sendable {
    /// Every key and its value as printed.
    public var values: [String: String]

    /// Makes a table from key-value pairs.
    public init(values: [String: String] = [:]) { self.values = values }

    /// The value of `key` as text.
    public subscript(key: String) -> String? { values[key] }

    /// The value of `key` as an integer, when it is one.
    public func integer(_ key: String) -> Int? { values[key].flatMap { Int($0) } }

    /// The key of a per-interface setting; sysctl prints dots in interface names as slashes.
    public static func interfaceKey(family: AddressFamily, interface: String, setting: String) -> String {
        let version = family == .inet ? "ipv4" : "ipv6"
        return "net.\(version).conf.\(String(interface.map { $0 == "." ? "/" : $0 })).\(setting)"
    }

    /// Whether the netns forwards packets of `family` (ip_forward / forwarding).
    public func forwardingEnabled(family: AddressFamily) -> Bool? {
        switch family {
        case .inet: integer("net.ipv4.ip_forward").map { $0 != 0 }
        case .inet6: integer("net.ipv6.conf.all.forwarding").map { $0 != 0 }
        }
    }

    /// Whether `interface` forwards IPv4 (the per-interface switch the kernel checks on input).
    public func interfaceForwarding(_ interface: String) -> Bool? {
        integer(Sysctls.interfaceKey(family: .inet, interface: interface, setting: "forwarding")).map { $0 != 0 }
    }

    /// The rp_filter mode in force on `interface`: the kernel uses max(all, interface).
    /// 0 off, 1 strict, 2 loose; nil when neither value is known.
    public func reversePathFilter(on interface: String) -> Int? {
        let all = integer("net.ipv4.conf.all.rp_filter")
        let own = integer(Sysctls.interfaceKey(family: .inet, interface: interface, setting: "rp_filter"))
        switch (all, own) {
        case (nil, nil): return nil
        default: return max(all ?? 0, own ?? 0)
        }
    }

    /// Whether bridged IPv4 traffic passes through iptables (br_netfilter).
    public var bridgeCallsIPTables: Bool? {
        integer("net.bridge.bridge-nf-call-iptables").map { $0 != 0 }
    }

    /// The conntrack table's fill ratio, when both counts are known.
    public var conntrackUsage: (count: Int, max: Int)? {
        guard let count = integer("net.netfilter.nf_conntrack_count"),
              let maximum = integer("net.netfilter.nf_conntrack_max"), maximum > 0 else { return nil }
        return (count, maximum)
    }
}

/// Parses `sysctl -a` output ("key = value" lines).
public enum SysctlParser {
    /// Parses every line; a line without " = " is an error naming its number.
    public static func parse(_ text: String, source: String) throws(InputError) -> Sysctls {
        try requireText(text, source: source, expected: "`sysctl -a` output")
        var values: [String: String] = [:]
        for (number, line) in NumberedLines(text: text) {
            guard let separator = line.firstIndex(of: "=") else {
                throw InputError(source: source, line: number, expected: "KEY = VALUE", found: String(line))
            }
            let key = line[..<separator].trimmingSpaces
            guard !key.isEmpty, !key.contains(" ") else {
                throw InputError(source: source, line: number, expected: "a dotted sysctl key before \"=\"",
                                 found: String(line))
            }
            values[String(key)] = String(line[line.index(after: separator)...].trimmingSpaces)
        }
        return Sysctls(values: values)
    }
}
