import SkoopModel

extension NetNSSimulator {
    /// Why the kernel drops an IPv4 packet arriving on `iif` before it is delivered or forwarded
    /// (fib_validate_source): rp_filter (net.ipv4.conf.{all,IFACE}.rp_filter, the larger applies)
    /// or a source that is one of this netns's own addresses (unless accept_local). The loopback
    /// device is exempt: its packets keep the route they were sent with.
    /// The packet is checked as the kernel routes it: after PREROUTING (its destination and mark),
    /// with the source it arrived with (conntrack restores a reply's source only at POSTROUTING).
    ///
    /// A reply reaches this netns with conntrack's reverse NAT already applied by the caller, so its
    /// source may be one this netns restored itself: replies are checked only when forwarded, by
    /// rp_filter alone (as before local delivery was checked).
    /// - Parameter forwardedThrough: the interface a forwarded packet leaves through; nil for local delivery.
    func sourceValidationProblem(_ decision: NetNSDecision, iif: String, forwardedThrough: String?,
                                 direction: FlowDirection) -> Suspicion? {
        var packet = decision.packet
        packet.src = decision.packetIn.src
        packet.sport = decision.packetIn.sport
        guard packet.src.family == .inet, iif != router.loopbackName,
              info.interface(named: iif)?.isLoopback != true else { return nil }
        if direction == .reply, forwardedThrough == nil { return nil }
        let sysctls = info.sysctls
        func either(_ setting: String) -> Bool {
            sysctls.integer("net.ipv4.conf.all.\(setting)").map { $0 != 0 } == true
                || sysctls.integer(Sysctls.interfaceKey(family: .inet, interface: iif, setting: setting)).map { $0 != 0 } == true
        }
        let value = sysctls.reversePathFilter(on: iif) ?? 0
        let mode = ReversePathMode(rawValue: value) ?? (value > 0 ? .loose : .off)
        let validMark = either("src_valid_mark")
        let verdict = router.validateSource(
            packet, arrivedOn: iif, forwardedThrough: forwardedThrough, mode: mode, acceptLocal: direction == .reply || either("accept_local"),
            validMark: validMark, addressless: !info.addresses(on: iif).contains { $0.family == .inet })
        let purpose = forwardedThrough == nil ? "for local delivery" : "for forwarding"
        switch verdict {
        case .passes:
            return nil
        case .localSource:
            return Suspicion(
                level: .critical,
                message: "\(info.id) drops the packet from \(packet.src) arriving on \(iif) \(purpose): \(packet.src) is one of its own addresses (a martian source).",
                evidence: "net.ipv4.conf.{all,\(iif)}.accept_local = 0",
                hint: "Find why a packet with this netns's own address as source reaches it from outside, or set accept_local=1 on \(iif).")
        case .reversePathFails(let back):
            let why = back.outcome.delivers
                ? "the route back to \(packet.src) leaves through \(back.oif ?? "another interface"), not \(iif)"
                : "there is no usable route back to \(packet.src)"
            var evidence = "net.ipv4.conf.{all,\(iif)}.rp_filter = \(value) (\(mode == .strict ? "strict" : "loose")); route back: \(back)"
            if packet.mark != 0 { evidence += validMark ? " (looked up with mark 0x\(String(packet.mark, radix: 16)): src_valid_mark = 1)" : " (looked up without the packet's mark: src_valid_mark = 0)" }
            return Suspicion(
                level: .critical,
                message: "rp_filter drops the packet \(purpose) on \(iif) in \(info.id): \(why).",
                evidence: evidence,
                hint: mode == .strict
                    ? "Make the return route symmetric, or set rp_filter to 2 (loose) on \(iif)."
                    : "Add a route back to \(packet.src), or set rp_filter to 0 on \(iif) (and all).")
        }
    }
}

extension NetNSDecision {
    /// Marks the branch uncertain when policy routing could not decide a rule, with a Warning naming it.
    mutating func noteUncertainty(of route: RouteResult, in netns: String) {
        guard route.isUncertain else { return }
        isUncertain = true
        for reason in route.uncertainties {
            let suspicion = Suspicion(level: .warning, message: "Policy routing in \(netns) is uncertain for \(route.query.destination): \(reason).",
                                      evidence: route.rule.map { "decided by rule \"\($0)\"" })
            if !suspicions.contains(suspicion) { suspicions.append(suspicion) }
        }
    }
}
