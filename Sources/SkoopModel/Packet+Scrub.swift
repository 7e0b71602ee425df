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
