/// Turns `-j NAME options...` into a typed target; what it cannot read becomes `.unsupported`.
enum TargetParser {
    /// Target extensions that exist but Skoop does not model (a `-j` to them is no chain jump).
    static let otherExtensions: Set<String> = [
        "QUEUE", "NFQUEUE", "CHECKSUM", "TCPMSS", "CLASSIFY", "TPROXY", "NETMAP", "SET", "AUDIT", "TEE",
        "DSCP", "TOS", "TTL", "HL", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED", "RATEEST", "SYNPROXY",
        "HMARK", "CLUSTERIP", "ECN", "ULOG", "SNPT", "DNPT", "TCPOPTSTRIP", "MIRROR",
    ]

    static func parse(name: String, calls: [OptionCall]) -> Target {
        let unsupported = Target.unsupported(name: name, arguments: calls.flatMap(\.words))
        var options: [String: [String]] = [:]
        for call in calls { options[call.name] = call.arguments }
        func flag(_ option: String) -> Bool { options[option] != nil }
        func ranges(_ option: String) -> [NATRange]? {
            let values = calls.filter { $0.name == option }.flatMap(\.arguments)
            let parsed = values.compactMap(NATRange.init)
            return parsed.count == values.count ? parsed : nil
        }
        func ports() -> PortRange?? {
            guard let text = options["--to-ports"]?.first else { return .some(nil) }
            return PortRange(text).map { .some($0) }
        }
        switch name {
        case "ACCEPT": return calls.isEmpty ? .accept : unsupported
        case "DROP": return calls.isEmpty ? .drop : unsupported
        case "RETURN": return calls.isEmpty ? .return : unsupported
        case "REJECT": return .reject(with: options["--reject-with"]?.first)
        case "DNAT":
            guard let to = ranges("--to-destination"), !to.isEmpty else { return unsupported }
            return .dnat(to: to, random: flag("--random"), persistent: flag("--persistent"))
        case "SNAT":
            guard let to = ranges("--to-source"), !to.isEmpty else { return unsupported }
            return .snat(to: to, random: flag("--random"), randomFully: flag("--random-fully"),
                         persistent: flag("--persistent"))
        case "MASQUERADE":
            guard let toPorts = ports() else { return unsupported }
            return .masquerade(toPorts: toPorts, random: flag("--random"), randomFully: flag("--random-fully"))
        case "REDIRECT":
            guard let toPorts = ports() else { return unsupported }
            return .redirect(toPorts: toPorts, random: flag("--random"))
        case "MARK":
            return markChange(calls).map(Target.mark) ?? unsupported
        case "CONNMARK":
            return connmark(calls, options: options) ?? unsupported
        case "LOG":
            return .log(prefix: options["--log-prefix"]?.first, options: calls.flatMap(\.words))
        case "NFLOG":
            return .nflog(options: calls.flatMap(\.words))
        case "NOTRACK":
            return .notrack
        case "CT":
            return flag("--notrack") ? .notrack : .ct(options: calls.flatMap(\.words))
        case "TRACE":
            return .trace
        default:
            if otherExtensions.contains(name) { return unsupported }
            return calls.isEmpty ? .jump(name) : unsupported
        }
    }

    /// MARK options in XMARK form, as the kernel's xt_MARK revision 2 stores them.
    static func markChange(_ calls: [OptionCall]) -> MarkChange? {
        guard calls.count == 1, let call = calls.first, let text = call.arguments.first else { return nil }
        switch call.name {
        case "--set-xmark":
            return Numbers.valueMask(text).map { MarkChange(value: $0.0, mask: $0.1) }
        case "--set-mark":
            // libxt_MARK: --set-mark v/m is --set-xmark v/(v|m).
            return Numbers.valueMask(text).map { MarkChange(value: $0.0, mask: $0.0 | $0.1) }
        case "--and-mark":
            return Numbers.uint32(text).map { MarkChange(value: 0, mask: ~$0) }
        case "--or-mark":
            return Numbers.uint32(text).map { MarkChange(value: $0, mask: $0) }
        case "--xor-mark":
            return Numbers.uint32(text).map { MarkChange(value: $0, mask: 0) }
        default:
            return nil
        }
    }

    static func connmark(_ calls: [OptionCall], options: [String: [String]]) -> Target? {
        let nfmask = options["--nfmask"]?.first.flatMap(Numbers.uint32) ?? .max
        let ctmask = options["--ctmask"]?.first.flatMap(Numbers.uint32) ?? .max
        if options["--save-mark"] != nil {
            let mask = options["--mask"]?.first.flatMap(Numbers.uint32)
            return .connmark(.save(nfmask: mask ?? nfmask, ctmask: mask ?? ctmask))
        }
        if options["--restore-mark"] != nil {
            let mask = options["--mask"]?.first.flatMap(Numbers.uint32)
            return .connmark(.restore(nfmask: mask ?? nfmask, ctmask: mask ?? ctmask))
        }
        return markChange(calls).map { .connmark(.set($0)) }
    }
}
