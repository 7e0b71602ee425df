import SkoopModel

extension Route: CustomStringConvertible {
    /// The route as `ip route show table all` prints it, e.g.
    /// "10.244.2.0/24 via 192.168.56.12 dev ens4" or "local 10.244.1.1 dev cni0 table local proto kernel scope host src 10.244.1.1".
    public var description: String {
        var words: [String] = []
        if type != .unicast { words.append(type.rawValue) }
        words.append(destination.routeDescription)
        if tos != 0 { words.append("tos 0x" + String(tos, radix: 16)) }
        if multipath.isEmpty {
            if let gateway { words.append("via \(gateway)") }
            if let dev { words.append("dev \(dev)") }
        }
        if table != .main { words.append("table \(table)") }
        if let protocolName { words.append("proto \(protocolName)") }
        if scope != .global { words.append("scope \(scope)") }
        if let preferredSource { words.append("src \(preferredSource)") }
        if metric != 0 { words.append("metric \(metric)") }
        words.append(contentsOf: flags)
        for hop in multipath {
            var hopWords = ["nexthop"]
            if let gateway = hop.gateway { hopWords.append("via \(gateway)") }
            if let dev = hop.dev { hopWords.append("dev \(dev)") }
            hopWords.append("weight \(hop.weight)")
            hopWords.append(contentsOf: hop.flags)
            words.append(hopWords.joined(separator: " "))
        }
        return words.joined(separator: " ")
    }
}

extension PolicyRule: CustomStringConvertible {
    /// The rule as `ip rule show` prints it, e.g. "100: from all fwmark 0x200/0x200 lookup 100".
    public var description: String {
        var words = ["\(priority):"]
        if invert { words.append("not") }
        words.append("from " + (source.map { $0.isHost ? $0.network.description : $0.description } ?? "all"))
        if let destination { words.append("to " + (destination.isHost ? destination.network.description : destination.description)) }
        if tos != 0 { words.append("tos 0x" + String(tos, radix: 16)) }
        if let fwmark {
            let value = "0x" + String(fwmark, radix: 16)
            words.append(fwmask == .max ? "fwmark \(value)" : "fwmark \(value)/0x" + String(fwmask, radix: 16))
        }
        if let iif { words.append("iif \(iif)" + (iifDetached ? " [detached]" : "")) }
        if let oif { words.append("oif \(oif)" + (oifDetached ? " [detached]" : "")) }
        if let uidRange { words.append("uidrange \(uidRange.lowerBound)-\(uidRange.upperBound)") }
        if let ipProtocol { words.append("ipproto " + IPProtocolName.name(ipProtocol)) }
        if let sourcePorts { words.append("sport \(sourcePorts)") }
        if let destinationPorts { words.append("dport \(destinationPorts)") }
        if let tunnelID { words.append("tun_id \(tunnelID)") }
        switch action {
        case .lookup(let table): words.append("lookup \(table)")
        case .lookupL3mdevTable: words.append("lookup [l3mdev-table]")
        case .goto(let target): words.append("goto \(target)")
        case .blackhole: words.append("blackhole")
        case .unreachable: words.append("unreachable")
        case .prohibit: words.append("prohibit")
        case .nop: words.append("nop")
        case .unsupported(let text): words.append(text)
        }
        if let suppressPrefixLength { words.append("suppress_prefixlength \(suppressPrefixLength)") }
        if let suppressInterfaceGroup { words.append("suppress_ifgroup \(suppressInterfaceGroup)") }
        if let realms { words.append("realms \(realms)") }
        if let installedBy { words.append("proto \(installedBy)") }
        if let flowLabel {
            let value = "0x" + String(flowLabel, radix: 16)
            words.append(flowLabelMask == 0xfffff ? "flowlabel \(value)" : "flowlabel \(value)/0x" + String(flowLabelMask, radix: 16))
        }
        if let dscp {
            words.append(dscpMask == 0x3f ? "dscp \(dscp)" : "dscp 0x" + String(dscp, radix: 16) + "/0x" + String(dscpMask, radix: 16))
        }
        words.append(contentsOf: unsupported)
        return words.joined(separator: " ")
    }
}
