/// The options each match module and target extension Skoop knows accepts, as iptables-restore
/// dispatches them: an option goes to the most recently loaded extension that has it, so a
/// module's options may follow other options (kube-proxy writes `-m tcp -p tcp -d X --dport 80`).
enum ExtensionOptions {
    /// Every option of the match modules Skoop knows (modelled or not), spelled as iptables-save
    /// and users write them; aliases map to one name so an option given twice is caught.
    static let matches: [String: [String: String]] = {
        var table: [String: [String: String]] = [:]
        func add(_ module: String, _ names: [String], aliases: [String: String] = [:]) {
            var options: [String: String] = [:]
            for name in names { options[name] = name }
            for (alias, canonical) in aliases { options[alias] = canonical }
            table[module] = options
        }
        let ports = ["--source-port": "--sport", "--destination-port": "--dport"]
        add("tcp", ["--sport", "--dport", "--tcp-flags", "--syn", "--tcp-option"], aliases: ports)
        add("udp", ["--sport", "--dport"], aliases: ports)
        add("sctp", ["--sport", "--dport", "--chunk-types"], aliases: ports)
        add("dccp", ["--sport", "--dport", "--dccp-types", "--dccp-option"], aliases: ports)
        add("udplite", ["--sport", "--dport"], aliases: ports)
        add("multiport", ["--sports", "--dports", "--ports"],
            aliases: ["--source-ports": "--sports", "--destination-ports": "--dports"])
        add("icmp", ["--icmp-type"])
        add("icmp6", ["--icmpv6-type"])
        add("comment", ["--comment"])
        add("nfacct", ["--nfacct-name"])
        add("set", ["--match-set", "--return-nomatch", "--update-counters", "--update-subcounters",
                    "--packets-eq", "--packets-lt", "--packets-gt", "--bytes-eq", "--bytes-lt", "--bytes-gt"])
        add("mark", ["--mark"])
        add("connmark", ["--mark"])
        add("addrtype", ["--src-type", "--dst-type", "--limit-iface-in", "--limit-iface-out"])
        add("conntrack", ["--ctstate", "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst",
                          "--ctorigsrcport", "--ctorigdstport", "--ctreplsrcport", "--ctrepldstport",
                          "--ctstatus", "--ctexpire", "--ctdir"])
        add("state", ["--state"])
        add("statistic", ["--mode", "--probability", "--every", "--packet"])
        add("iprange", ["--src-range", "--dst-range"])
        add("physdev", ["--physdev-in", "--physdev-out", "--physdev-is-in", "--physdev-is-out", "--physdev-is-bridged"])
        add("rpfilter", ["--loose", "--validmark", "--accept-local", "--invert"])
        add("length", ["--length"])
        add("recent", ["--name", "--set", "--rcheck", "--update", "--remove", "--seconds", "--reap", "--hitcount",
                       "--rttl", "--rsource", "--rdest", "--mask"])
        add("mac", ["--mac-source"])
        add("owner", ["--uid-owner", "--gid-owner", "--socket-exists", "--suppl-groups"])
        add("socket", ["--transparent", "--nowildcard", "--restore-skmark"])
        return table
    }()

    /// The options of the targets Skoop models; nil for other targets (their options are not known).
    static func target(_ name: String) -> Set<String>? {
        switch name {
        case "ACCEPT", "DROP", "RETURN", "NOTRACK", "TRACE": []
        case "REJECT": ["--reject-with"]
        case "DNAT": ["--to-destination", "--random", "--persistent"]
        case "SNAT": ["--to-source", "--random", "--random-fully", "--persistent"]
        case "MASQUERADE": ["--to-ports", "--random", "--random-fully"]
        case "REDIRECT": ["--to-ports", "--random"]
        case "MARK": ["--set-xmark", "--set-mark", "--and-mark", "--or-mark", "--xor-mark"]
        case "CONNMARK": ["--set-xmark", "--set-mark", "--save-mark", "--restore-mark", "--nfmask", "--ctmask",
                          "--mask", "--and-mark", "--or-mark", "--xor-mark"]
        case "LOG": ["--log-level", "--log-prefix", "--log-tcp-sequence", "--log-tcp-options", "--log-ip-options",
                     "--log-uid", "--log-macdecode"]
        case "NFLOG": ["--nflog-group", "--nflog-prefix", "--nflog-range", "--nflog-size", "--nflog-threshold"]
        case "CT": ["--notrack", "--helper", "--ctevents", "--expevents", "--zone", "--zone-orig", "--zone-reply",
                    "--timeout"]
        default: nil
        }
    }

    /// The match module `-p NAME` loads implicitly when one of its options follows.
    static func protocolModule(_ proto: String) -> String? {
        switch ProtocolNames.number(proto) {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 132: "sctp"
        case 33: "dccp"
        case 136: "udplite"
        case 58: "icmp6"
        default: nil
        }
    }
}
