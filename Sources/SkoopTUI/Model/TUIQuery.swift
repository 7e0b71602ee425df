import SkoopModel
import SkoopDiagnosis

/// What to diagnose: source, destination, port and protocol, as the user wrote them.
public struct TUIQuery: Hashable, Sendable, CustomStringConvertible {
    /// Source: an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME.
    public var src: String
    /// Destination, in the same forms.
    public var dst: String
    /// Destination port (0 for ICMP).
    public var port: UInt16
    /// Transport protocol.
    public var proto: TransportProtocol

    /// Makes a query.
    public init(src: String, dst: String, port: UInt16, proto: TransportProtocol = .tcp) {
        self.src = src
        self.dst = dst
        self.port = port
        self.proto = proto
    }

    public var description: String { text(arrow: "→") }

    /// The query with a chosen arrow between its ends ("->" on ASCII terminals).
    public func text(arrow: String) -> String {
        proto == .icmp ? "\(src) \(arrow) \(dst) icmp" : "\(src) \(arrow) \(dst):\(port)/\(proto.rawValue)"
    }
}

extension TUIQuery {
    /// The forms a source or destination takes, as messages list them.
    public static let endpointForms = "an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME"

    /// Why `text` is not in a form a source or destination takes (nil when it is); the message
    /// lists the accepted forms. Whether the pod, service or node exists is the snapshot's to say.
    public static func endpointProblem(_ text: String) -> String? {
        let shown = TerminalSafe.strip(text)
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if IPAddress(bare) != nil { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, IPAddress(parts[0]) != nil {
            return "expected \(endpointForms); \"\(shown)\" is an address prefix: give one address, e.g. \(parts[0])"
        }
        let named = parts.dropFirst().allSatisfy { !$0.isEmpty }
        switch (parts.first ?? "", parts.count) {
        case ("node", 2), ("nodes", 2), ("svc", 3), ("service", 3), ("services", 3), ("pod", 3), ("pods", 3):
            if named { return nil }
        case (let namespace, 2) where !namespace.isEmpty && named:
            return nil
        default:
            break
        }
        return "expected \(endpointForms), found \"\(shown)\""
    }

    /// Why a port does not go with a protocol (nil when it does): tcp and udp need 1-65535.
    public static func portProblem(_ port: UInt16, proto: TransportProtocol) -> String? {
        guard proto != .icmp, port == 0 else { return nil }
        return "a port 1-65535 is needed for \(proto.rawValue) (only icmp goes without one)"
    }
}

/// A query offered on the start screen, with a line saying what it shows.
public struct SuggestedQuery: Hashable, Sendable {
    /// What this query demonstrates.
    public var title: String
    /// The query.
    public var query: TUIQuery

    /// Makes a suggestion.
    public init(title: String, query: TUIQuery) {
        self.title = title
        self.query = query
    }
}

/// Something the view model asks its caller to do.
public enum Effect: Hashable, Sendable {
    /// Leave the TUI.
    case quit
    /// Put this text on the clipboard (OSC 52 and/or a file).
    case copy(String)
    /// Save this plain-text report to a file (the path as the user accepted it).
    case export(path: String, report: String)
    /// Start a new diagnosis; the caller makes a driver and calls `TUIState.begin(query:driver:)`
    /// (with what-if edits: `TUIState.begin(query:edits:driver:baseline:)`).
    case startDiagnosis(TUIQuery)
    /// Check an edit and re-run the diagnosis with it added: the caller makes the `WhatIfEdit`
    /// and calls `TUIState.begin(query:edits:driver:baseline:)` with the edited driver.
    case makeEdit(WhatIfRequest)
    /// Re-run the diagnosis with these edits (after an undo, or a rule re-enabled).
    case rediagnose(edits: [WhatIfEdit])
    /// Write a text file (`:save`, `:export`); `what` names it in the status message.
    case write(path: String, text: String, what: String)
    /// Diagnose the current query on another snapshot and call `TUIState.showDiff(_:snapshot:)`.
    case openDiff(snapshot: String, query: TUIQuery)
    /// Build the reachability matrix asked for and call `TUIState.showMatrix(_:request:)`.
    case openMatrix(MatrixRequest)
}

/// The reachability matrix the TUI asks its caller to build (`M`, `:matrix`).
public struct MatrixRequest: Hashable, Sendable, CustomStringConvertible {
    /// The destination port.
    public var port: UInt16
    /// tcp or udp.
    public var proto: TransportProtocol
    /// Only these namespaces' pods and Services (all when empty).
    public var namespaces: [String]

    /// Makes a request.
    public init(port: UInt16, proto: TransportProtocol = .tcp, namespaces: [String] = []) {
        self.port = port
        self.proto = proto
        self.namespaces = namespaces
    }

    public var description: String {
        "\(proto.rawValue.uppercased()) \(port)" + (namespaces.isEmpty ? "" : " in " + namespaces.joined(separator: ", "))
    }
}

/// A line typed in `:` command mode, parsed.
public enum TUICommand: Hashable, Sendable {
    /// `:q`, `:quit`.
    case quit
    /// `:diag SRC DST PORT [PROTO]`.
    case diagnose(TUIQuery)
    /// `:help`.
    case help
    /// `:route`, `:sysctl`, `:link`, `:policy`: an edit of the selected hop (or of the cluster).
    case edit(WhatIfCommandEdit)
    /// `:edits`: the list of edits and what they changed.
    case edits
    /// `:undo`.
    case undo
    /// `:save FILE`: the edits as a file `--what-if` reads.
    case save(String)
    /// `:export FILE`: the edits as shell commands.
    case exportEdits(String)
    /// `:diff DIR`: this query on another snapshot, side by side.
    case diff(String)
    /// `:matrix [PORT] [tcp|udp] [NAMESPACE ...]`: who can reach whom.
    case matrix(MatrixRequest)

    /// The words command mode knows, for completion.
    public static let words = ["diag", "quit", "help", "route", "sysctl", "link", "policy", "edits", "undo", "save", "export", "diff", "matrix"]

    /// Parses a command line (without the leading colon); throws a message naming what was wrong.
    public static func parse(_ line: String) throws(TUICommandError) -> TUICommand {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let verb = words.first else { throw TUICommandError("empty command") }
        switch verb {
        case "q", "quit", "q!", "qa":
            return .quit
        case "h", "help":
            return .help
        case "diag", "diagnose", "d":
            return .diagnose(try parseDiagnose(Array(words.dropFirst())))
        case "route", "sysctl", "link", "policy", "edits", "undo", "save", "export", "diff":
            return try parseWhatIf(verb, Array(words.dropFirst()))
        case "matrix", "m":
            return .matrix(try parseMatrix(Array(words.dropFirst())))
        default:
            throw TUICommandError("unknown command \"\(TerminalSafe.strip(verb))\" (try :diag, :matrix, :route, :sysctl, :link, :policy, :edits, :diff, :q, :help)")
        }
    }

    static let diagnoseUsage = "usage: :diag SRC DST PORT [tcp|udp|icmp], or :diag SRC DST icmp"

    /// `SRC DST [PORT] [PROTO]`: the port may be left out for icmp only.
    static func parseDiagnose(_ arguments: [String]) throws(TUICommandError) -> TUIQuery {
        guard (2...4).contains(arguments.count) else { throw TUICommandError(diagnoseUsage) }
        for (name, value) in [("SRC", arguments[0]), ("DST", arguments[1])] {
            if let problem = TUIQuery.endpointProblem(value) { throw TUICommandError("\(name): \(problem)") }
        }
        var rest = arguments.dropFirst(2)
        var port: UInt16?
        if let word = rest.first, word.first?.isNumber == true {
            guard let value = UInt16(word) else {
                throw TUICommandError("PORT must be 0-65535, found \"\(TerminalSafe.strip(word))\"")
            }
            port = value
            rest.removeFirst()
        }
        var proto = TransportProtocol.tcp
        if let word = rest.first {
            guard let parsed = TransportProtocol(rawValue: word.lowercased()), TransportProtocol.queryable.contains(parsed) else {
                throw TUICommandError("expected PORT (0-65535) or PROTO (tcp, udp, icmp), found \"\(TerminalSafe.strip(word))\"")
            }
            proto = parsed
            rest.removeFirst()
        }
        guard rest.isEmpty else { throw TUICommandError(diagnoseUsage) }
        if let problem = TUIQuery.portProblem(port ?? 0, proto: proto) { throw TUICommandError(problem) }
        return TUIQuery(src: arguments[0], dst: arguments[1], port: port ?? 0, proto: proto)
    }

    static let matrixUsage = "usage: :matrix [PORT] [tcp|udp] [NAMESPACE ...]"

    /// `[PORT] [tcp|udp] [NAMESPACE ...]`: port 80 and tcp when left out, all namespaces when none.
    static func parseMatrix(_ arguments: [String]) throws(TUICommandError) -> MatrixRequest {
        var rest = arguments[...]
        var request = MatrixRequest(port: 80)
        if let word = rest.first, word.first?.isNumber == true {
            guard let port = UInt16(word), port > 0 else {
                throw TUICommandError(":matrix: PORT must be 1-65535, found \"\(TerminalSafe.strip(word))\"")
            }
            request.port = port
            rest.removeFirst()
        }
        if let word = rest.first, let proto = TransportProtocol(rawValue: word.lowercased()) {
            guard proto == .tcp || proto == .udp else {
                throw TUICommandError(":matrix: the matrix is of tcp or udp, found \"\(TerminalSafe.strip(word))\"")
            }
            request.proto = proto
            rest.removeFirst()
        }
        for word in rest where word.contains("/") || word.first?.isNumber == true {
            throw TUICommandError(":matrix: expected a NAMESPACE, found \"\(TerminalSafe.strip(word))\" (\(matrixUsage))")
        }
        request.namespaces = Array(rest)
        return request
    }

    /// Completes the last word of `line` from `names` (command words for the first word).
    /// Returns the new line and the candidates that matched.
    public static func complete(_ line: String, names: [String]) -> (line: String, candidates: [String]) {
        let head: Substring
        let word: Substring
        if let space = line.lastIndex(of: " ") {
            head = line[...space]
            word = line[line.index(after: space)...]
        } else {
            head = ""
            word = Substring(line)
        }
        let pool = head.isEmpty ? words : names + TransportProtocol.allCases.map(\.rawValue)
        let candidates = pool.filter { $0.hasPrefix(word) }
        guard let first = candidates.first else { return (line, []) }
        if candidates.count == 1 { return (String(head) + first + " ", candidates) }
        var common = first[...]
        for candidate in candidates.dropFirst() {
            while !candidate.hasPrefix(common) { common = common.dropLast() }
        }
        return (String(head) + String(common), candidates)
    }
}

/// Why a command line could not be parsed.
public struct TUICommandError: Error, Hashable, Sendable {
    /// The message shown on the status line.
    public var message: String

    /// Makes an error.
    public init(_ message: String) { self.message = message }
}
