import SkoopModel

/// An edit typed in command mode; `:route`, `:sysctl` and `:link` apply to the selected hop.
public enum WhatIfCommandEdit: Hashable, Sendable {
    /// `:route add SPEC` / `:route del SPEC`.
    case route(add: Bool, spec: String)
    /// `:sysctl KEY VALUE`.
    case sysctl(key: String, value: String)
    /// `:link DEV down|up`.
    case link(name: String, up: Bool)
    /// `:policy add FILE`.
    case addPolicy(file: String)
    /// `:policy del NAMESPACE/NAME`.
    case removePolicy(String)
}

extension TUICommand {
    /// How each what-if command is written (errors) and what it does (the help overlay, in
    /// two columns at 80x24).
    static let whatIfUsage: [(verb: String, usage: String, help: String)] = [
        ("route", ":route add|del PREFIX [via GW] [dev DEV] ...", "add|del SPEC (the hop)"),
        ("sysctl", ":sysctl KEY VALUE (ip_forward, rp_filter, ...)", "KEY VALUE (the hop)"),
        ("link", ":link DEV down|up", "DEV down|up (the hop)"),
        ("policy", ":policy add FILE | :policy del NS/NAME", "add FILE | del NS/NAME"),
        ("edits", ":edits", "edits, what they changed"),
        ("undo", ":undo", "the last edit (as u)"),
        ("save", ":save FILE", "FILE: edits for --what-if"),
        ("export", ":export FILE", "FILE: as shell commands"),
        ("diff", ":diff DIR", "DIR: side by side"),
    ]

    static func usage(_ verb: String) -> TUICommandError {
        TUICommandError("usage: " + (whatIfUsage.first { $0.verb == verb }?.usage ?? ":\(verb)"))
    }

    /// Parses the what-if and diff commands (the verb, then its words).
    static func parseWhatIf(_ verb: String, _ arguments: [String]) throws(TUICommandError) -> TUICommand {
        let rest = arguments.dropFirst().joined(separator: " ")
        switch verb {
        case "route":
            guard let action = arguments.first, ["add", "del", "delete"].contains(action), !rest.isEmpty else { throw usage(verb) }
            return .edit(.route(add: action == "add", spec: rest))
        case "sysctl":
            // sysctl -w style "KEY=VALUE" too.
            let words = arguments.count == 1 ? arguments[0].split(separator: "=", maxSplits: 1).map(String.init) : arguments
            guard words.count == 2, !words[0].isEmpty, !words[1].isEmpty else { throw usage(verb) }
            return .edit(.sysctl(key: words[0], value: words[1]))
        case "link":
            guard arguments.count == 2, ["up", "down"].contains(arguments[1]) else { throw usage(verb) }
            return .edit(.link(name: arguments[0], up: arguments[1] == "up"))
        case "policy":
            guard arguments.count == 2 else { throw usage(verb) }
            switch arguments[0] {
            case "add", "apply": return .edit(.addPolicy(file: arguments[1]))
            case "del", "delete", "rm":
                let parts = arguments[1].split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw TUICommandError(":policy del: expected NAMESPACE/NAME, found \"\(TerminalSafe.strip(arguments[1]))\"")
                }
                return .edit(.removePolicy(arguments[1]))
            default: throw usage(verb)
            }
        case "save", "export", "diff":
            guard arguments.count == 1 else { throw usage(verb) }
            return verb == "save" ? .save(arguments[0]) : verb == "export" ? .exportEdits(arguments[0]) : .diff(arguments[0])
        case "edits":
            guard arguments.isEmpty else { throw usage(verb) }
            return .edits
        default:
            guard arguments.isEmpty else { throw usage(verb) }
            return .undo
        }
    }
}
