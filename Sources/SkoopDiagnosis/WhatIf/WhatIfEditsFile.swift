import Foundation
import SkoopModel
import Yams

/// The edits file of `skoop diagnose --what-if FILE` and the TUI's `:edits save`: a YAML (or
/// JSON) list of edits, applied in order. See README "What-if".
///
/// ```
/// - action: disable-rule        # node: NAME [netns: ID] | pod: NAMESPACE/POD
///   node: node2
///   table: filter
///   chain: FORWARD
///   rule: "-A FORWARD -j DROP"  # or index: 3 (1-based); family: 6 for ip6tables
/// - {action: delete-route, node: node1, route: "10.244.2.0/24 via 10.244.2.0 dev flannel.1"}
/// - {action: add-route, pod: default/client, route: "10.96.0.0/12 dev eth0"}
/// - {action: sysctl, node: node2, key: net.ipv4.ip_forward, value: "1"}
/// - {action: link-down, node: node2, link: cni0}          # link-up too
/// - {action: add-policy, file: deny.yaml}                 # relative to this file
/// - {action: remove-policy, policy: default/allow-web}
/// ```
public enum WhatIfEditsFile {
    /// The actions an entry may name.
    public static let actions = ["disable-rule", "delete-route", "add-route", "sysctl", "link-down", "link-up",
                                 "add-policy", "remove-policy"]

    /// Parses and checks the edits of `text` (read from `source`); `readFile` reads a policy
    /// manifest an entry names. Errors name the file, line and what was expected.
    public static func parse(_ text: String, source: String, provider: any NodeDataProvider,
                             readFile: (String) throws(InputError) -> String) throws(InputError) -> [WhatIfEdit] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            let line = (error as? YamlError).flatMap(Self.line(of:))
            throw InputError(source: source, line: line, expected: "a YAML or JSON list of edits",
                             found: "\(error)".split(separator: "\n").first.map(String.init))
        }
        guard let root else { return [] }
        let list: Node.Sequence
        if let sequence = root.sequence {
            list = sequence
        } else if let inner = root.mapping?["edits"]?.sequence {
            list = inner
        } else {
            throw InputError(source: source, line: root.mark.map(\.line), expected: "a list of edits (\"- action: ...\")", found: "a \(root.kindName)")
        }
        var edits: [WhatIfEdit] = []
        for entry in list {
            edits.append(try edit(entry, source: source, provider: provider, readFile: readFile))
        }
        return edits
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func edit(_ entry: Node, source: String, provider: any NodeDataProvider,
                             readFile: (String) throws(InputError) -> String) throws(InputError) -> WhatIfEdit {
        let line = entry.mark?.line
        guard let mapping = entry.mapping else {
            throw InputError(source: source, line: line, expected: "an edit (KEY: VALUE lines starting with \"- action:\")", found: entry.string ?? "a \(entry.kindName)")
        }
        var fields: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string, let text = value.scalar?.string else {
                throw InputError(source: source, line: value.mark?.line ?? line, expected: "KEY: VALUE with a plain value", found: key.string ?? "a \(key.kindName)")
            }
            fields[name] = text
        }
        let known: Set = ["action", "node", "netns", "pod", "table", "chain", "rule", "index", "family", "route", "key", "value",
                          "link", "file", "policy"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw InputError(source: source, line: line, expected: "only \(known.sorted().joined(separator: ", "))", found: unknown)
        }
        let maker = WhatIfEditMaker(provider: provider, source: source, line: line)
        func need(_ key: String, _ what: String) throws(InputError) -> String {
            guard let value = fields[key], !value.isEmpty else {
                throw InputError(source: source, line: line, expected: "\(key): \(what)", found: "no \(key)")
            }
            return value
        }
        func place() throws(InputError) -> WhatIfPlace {
            try WhatIfPlace.resolve(node: fields["node"], netns: fields["netns"], pod: fields["pod"], provider: provider,
                                    source: source, line: line)
        }
        let action = try need("action", actions.joined(separator: ", "))
        switch action {
        case "disable-rule":
            var index: Int?
            if let text = fields["index"] {
                guard let number = Int(text), number > 0 else {
                    throw InputError(source: source, line: line, expected: "index: a rule position from 1", found: text)
                }
                index = number
            }
            let family: AddressFamily
            switch fields["family"] ?? "4" {
            case "4", "ipv4": family = .inet
            case "6", "ipv6": family = .inet6
            case let other: throw InputError(source: source, line: line, expected: "family: 4 or 6", found: other)
            }
            return try maker.disableRule(at: try place(), family: family, table: fields["table"] ?? "filter",
                                         chain: try need("chain", "the chain, e.g. FORWARD"), rule: fields["rule"], index: index)
        case "delete-route":
            return try maker.deleteRoute(at: try place(), spec: try need("route", "the route, e.g. \"10.244.2.0/24 via 192.168.56.12\""))
        case "add-route":
            return try maker.addRoute(at: try place(), spec: try need("route", "the route, e.g. \"10.244.2.0/24 via 192.168.56.12 dev eth0\""))
        case "sysctl":
            return try maker.setSysctl(at: try place(), key: try need("key", "a sysctl such as net.ipv4.ip_forward"),
                                       value: try need("value", "its new value"))
        case "link-down", "link-up":
            return try maker.setLink(at: try place(), name: try need("link", "an interface name"), up: action == "link-up")
        case "add-policy":
            let file = try need("file", "a NetworkPolicy manifest (YAML or JSON)")
            let path = file.hasPrefix("/") ? file : (source as NSString).deletingLastPathComponent.isEmpty
                ? file : ((source as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file)
            return try maker.addPolicies(file: path, text: try readFile(path))
        case "remove-policy":
            return try maker.removePolicy(try need("policy", "NAMESPACE/NAME"))
        default:
            throw InputError(source: source, line: line, expected: "action: one of \(actions.joined(separator: ", "))", found: action)
        }
    }

    /// The edits as a file `parse` reads back.
    public static func yaml(_ edits: [WhatIfEdit]) -> String {
        var lines = ["# Skoop what-if edits (skoop diagnose --what-if FILE)"]
        for edit in edits {
            var fields: [(String, String)] = []
            if let place = edit.place {
                if let pod = place.pod {
                    fields.append(("pod", pod))
                } else {
                    fields.append(("node", place.node))
                    if place.netns != "host" { fields.append(("netns", place.netns)) }
                }
            }
            switch edit.change {
            case .disableRule(let family, let table, let chain, let rule):
                fields.insert(("action", "disable-rule"), at: 0)
                if family == .inet6 { fields.append(("family", "6")) }
                fields += [("table", table), ("chain", chain), ("rule", rule)]
            case .deleteRoute(let route):
                fields.insert(("action", "delete-route"), at: 0)
                fields.append(("route", route.description))
            case .addRoute(let route):
                fields.insert(("action", "add-route"), at: 0)
                fields.append(("route", route.description))
            case .setSysctl(let key, let value):
                fields.insert(("action", "sysctl"), at: 0)
                fields += [("key", key), ("value", value)]
            case .setLink(let name, let up):
                fields.insert(("action", up ? "link-up" : "link-down"), at: 0)
                fields.append(("link", name))
            case .addPolicies(let file, _):
                fields = [("action", "add-policy"), ("file", file)]
            case .removePolicy(let namespace, let name):
                fields = [("action", "remove-policy"), ("policy", "\(namespace)/\(name)")]
            }
            for (index, field) in fields.enumerated() {
                lines.append((index == 0 ? "- " : "  ") + "\(field.0): " + quoted(field.1))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML single-quoted scalar: every value reads back as the same string.
    private static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

extension Node {
    /// "mapping", "sequence" or "scalar", for messages.
    var kindName: String {
        switch self {
        case .mapping: "mapping"
        case .sequence: "list"
        case .scalar: "scalar"
        case .alias: "alias"
        }
    }
}
