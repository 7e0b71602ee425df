extension Packet {
    /// The packet as the next netns receives it: the kernel scrubs an skb that crosses network
    /// namespaces (veth, bridge port, tunnel), so its mark and any carried packet's mark are 0.
    public var withoutMarks: Packet {
        var scrubbed = self
        scrubbed.mark = 0
        if let inner = encap, inner.mark != 0 { scrubbed.encap = inner.withoutMarks }
        return scrubbed
    }
}

extension Packet {
    /// The IP protocol number on the wire: ICMP over IPv6 is ICMPv6 (58), not 1.
    public var ipProtocolNumber: UInt8 {
        proto == .icmp && dst.family == .inet6 ? 58 : proto.number
    }

    /// The ICMP type of an echo in this family and direction: 8/0 for IPv4, 128/129 for ICMPv6.
    public func echoType(reply: Bool) -> UInt8 {
        dst.family == .inet6 ? (reply ? 129 : 128) : (reply ? 0 : 8)
    }
}
