import SkoopModel

/// Reads `ipset save` output (`create NAME TYPE opts` and `add NAME MEMBER opts` lines).
public enum IPSetParser {
    /// Parses the dump; throws `InputError` for a malformed line or a member of an undeclared set.
    public static func parse(_ text: String, source: String) throws -> IPSetCollection {
        var order: [String] = []
        var sets: [String: IPSet] = [:]
        var lineNumber = 0
        for rawLine in text.lineBreakSplit {
            lineNumber += 1
            let line = rawLine.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            func failure(_ expected: String) -> InputError {
                InputError(source: source, line: lineNumber, expected: expected, found: line)
            }
            let words: [String]
            do { words = try ShellTokenizer.split(Substring(line)) } catch { throw failure("balanced quotes") }
            guard words.count >= 3 else { throw failure("create NAME TYPE or add NAME MEMBER") }
            switch words[0] {
            case "create", "-N", "-exist":
                guard sets[words[1]] == nil else { throw failure("each set created once") }
                let type = IPSetType(name: words[2])
                let options = Array(words.dropFirst(3))
                var family = AddressFamily.inet
                if let at = options.firstIndex(of: "family"), at + 1 < options.count, options[at + 1] == "inet6" {
                    family = .inet6
                }
                order.append(words[1])
                sets[words[1]] = IPSet(name: words[1], type: type, family: family,
                                       options: options.filter { $0 != "family" && $0 != "inet" && $0 != "inet6" })
            case "add", "-A":
                guard var set = sets[words[1]] else { throw failure("a member of a set created earlier") }
                let noMatch = words.dropFirst(3).contains("nomatch")
                guard let member = member(words[2], type: set.type, noMatch: noMatch) else {
                    throw failure("a \(set.type) member")
                }
                set.members.append(member)
                sets[words[1]] = set
            default:
                throw failure("create or add")
            }
        }
        return IPSetCollection(order.compactMap { sets[$0] })
    }

    /// Reads one member such as "10.96.0.10,tcp:80" for its type; nil when it does not fit.
    static func member(_ text: String, type: IPSetType, noMatch: Bool) -> IPSetMember? {
        if case .listSet = type { return IPSetMember(components: [.setName(text)]) }
        if case .other = type { return IPSetMember(components: [], noMatch: noMatch) }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let kinds: [Character]  // n: address or net, p: proto:port
        switch type {
        case .hashIP, .hashNet: kinds = ["n"]
        case .hashIPPort, .hashNetPort: kinds = ["n", "p"]
        case .hashIPPortIP, .hashIPPortNet: kinds = ["n", "p", "n"]
        case .bitmapPort: kinds = ["p"]
        case .listSet, .other: return nil
        }
        guard parts.count == kinds.count else { return nil }
        var components: [IPSetComponent] = []
        for (part, kind) in zip(parts, kinds) {
            if kind == "n" {
                guard let prefix = IPPrefix(part) else { return nil }
                components.append(.net(prefix))
            } else {
                guard let port = port(part, bareProto: type == .bitmapPort ? 0 : 6) else { return nil }
                components.append(port)
            }
        }
        return IPSetMember(components: components, noMatch: noMatch)
    }

    /// "tcp:80", "udp:53" or a bare port (tcp for hash types, as ipset defaults; any for bitmap:port).
    static func port(_ text: Substring, bareProto: UInt8) -> IPSetComponent? {
        let pieces = text.split(separator: ":")
        if pieces.count == 2 {
            guard let proto = ProtocolNames.number(String(pieces[0])), let port = UInt16(pieces[1]) else { return nil }
            return .port(proto: proto, port: port)
        }
        guard pieces.count == 1, let port = UInt16(pieces[0]) else { return nil }
        return .port(proto: bareProto, port: port)
    }
}
