import SkoopModel

/// A network namespace the collector runs tools in, and the snapshot folder it goes to.
public struct NetnsTarget: Hashable, Sendable {
    /// How tools enter the namespace.
    public enum Entry: Hashable, Sendable {
        /// The namespace the collector itself runs in: tools run directly.
        case current
        /// A named namespace under /run/netns: `ip netns exec NAME tool...`.
        case named(String)
        /// The namespace of a running process: `nsenter --net=/proc/PID/ns/net tool...`.
        case process(Int32)
    }

    /// How tools enter the namespace.
    public var entry: Entry
    /// The folder name under `nodes/NODE/netns/` (already safe: see `SnapshotName`).
    public var directoryName: String
    /// The namespace inode, when known (for deduplication and reports).
    public var inode: UInt64?

    /// Makes a target; `directoryName` is sanitized with `SnapshotName.directoryName(for:)`.
    public init(entry: Entry, directoryName: String, inode: UInt64? = nil) {
        self.entry = entry
        self.directoryName = SnapshotName.directoryName(for: directoryName)
        self.inode = inode
    }

    /// The node's own namespace, collected into `host/`.
    public static func host(_ entry: Entry = .current, inode: UInt64? = nil) -> NetnsTarget {
        var target = NetnsTarget(entry: entry, directoryName: "host", inode: inode)
        target.directoryName = "host"
        return target
    }

    /// `command` wrapped so that it runs inside this namespace (an argument array, no shell).
    public func wrap(_ command: [String]) -> [String] {
        switch entry {
        case .current: return command
        case .named(let name): return ["ip", "netns", "exec", name] + command
        case .process(let pid): return ["nsenter", "--net=/proc/\(pid)/ns/net"] + command
        }
    }
}

/// Safe folder names for namespaces whose names come from the machine or the command line.
public enum SnapshotName {
    /// The longest folder name produced.
    public static let maximumLength = 100

    /// A namespace folder name: `component(name)`, and never `host` (the node's own namespace).
    public static func directoryName(for name: String) -> String {
        let text = component(name)
        return text == "host" ? "host_" : text
    }

    /// A name that stays one path component: only `[A-Za-z0-9._-]` (others become `_`), no
    /// leading dot, never empty, at most `maximumLength` characters.
    public static func component(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            let safe = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "-" || scalar == "_")
            scalars.append(safe ? scalar : "_")
        }
        var text = String(scalars)
        if text.hasPrefix(".") { text = "_" + text.dropFirst() }
        if text.count > maximumLength { text = String(text.prefix(maximumLength)) }
        if text.isEmpty { text = "_" }
        return text
    }

    /// Whether `name` can be passed to `ip netns exec` as a namespace under /run/netns.
    public static func isPlausibleNetnsName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/")
            && !name.unicodeScalars.contains(where: { $0 == "\0" })
    }
}
