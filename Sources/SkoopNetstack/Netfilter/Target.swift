import SkoopModel

/// A NAT destination: an address range and an optional port range (`10.0.0.1-10.0.0.3:80-90`).
public struct NATRange: Hashable, Sendable, CustomStringConvertible {
    /// First address; nil when only ports are given (`:8080`).
    public var low: IPAddress?
    /// Last address.
    public var high: IPAddress?
    /// Ports, when given.
    public var ports: PortRange?

    /// Makes a range.
    public init(low: IPAddress?, high: IPAddress? = nil, ports: PortRange? = nil) {
        self.low = low
        self.high = high ?? low
        self.ports = ports
    }

    /// Parses `ADDR[-ADDR][:PORT[-PORT]]` (IPv6 in brackets: `[fd00::1]:80`).
    public init?(_ text: String) {
        var addressPart = Substring(text)
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            addressPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { portPart = rest.dropFirst() } else if !rest.isEmpty { return nil }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            addressPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        var low: IPAddress?
        var high: IPAddress?
        if !addressPart.isEmpty {
            let bounds = addressPart.split(separator: "-", maxSplits: 1)
            guard let first = bounds.first, let a = IPAddress(first) else { return nil }
            low = a
            if bounds.count == 2 {
                guard let b = IPAddress(bounds[1]) else { return nil }
                high = b
            }
        }
        var ports: PortRange?
        if let portPart {
            guard let range = PortRange(portPart) else { return nil }
            ports = range
        }
        if low == nil && ports == nil { return nil }
        self.init(low: low, high: high, ports: ports)
    }

    public var description: String {
        var text = low.map { $0.description } ?? ""
        if let low, let high, high != low { text += "-\(high)" }
        if let ports { text += ":" + (ports.low == ports.high ? "\(ports.low)" : "\(ports.low)-\(ports.high)") }
        return text
    }
}

/// A mark change in XMARK form: `mark = (mark & ~mask) ^ value`.
public struct MarkChange: Hashable, Sendable {
    /// Bits XORed in after clearing.
    public var value: UInt32
    /// Bits cleared first.
    public var mask: UInt32

    /// Makes a change from `--set-xmark value/mask`.
    public init(value: UInt32, mask: UInt32) {
        self.value = value
        self.mask = mask
    }

    /// Applies the change to `mark`.
    public func apply(to mark: UInt32) -> UInt32 { (mark & ~mask) ^ value }
}

/// What CONNMARK does.
public enum ConnmarkAction: Hashable, Sendable {
    /// `--set-xmark value/mask` on the connection mark.
    case set(MarkChange)
    /// `--save-mark --nfmask N --ctmask C`: ct = (ct & ~C) ^ (mark & N).
    case save(nfmask: UInt32, ctmask: UInt32)
    /// `--restore-mark --nfmask N --ctmask C`: mark = (mark & ~N) ^ (ct & C).
    case restore(nfmask: UInt32, ctmask: UInt32)
}

/// What happens when a rule matches, independent of iptables spelling.
public enum Target: Hashable, Sendable {
    case accept
    case drop
    case `return`
    /// `-j CHAIN`.
    case jump(String)
    /// `-g CHAIN`.
    case goto(String)
    /// `-j REJECT --reject-with TYPE` (nil: the default icmp-port-unreachable).
    case reject(with: String?)
    /// `-j DNAT --to-destination ...`.
    case dnat(to: [NATRange], random: Bool, persistent: Bool)
    /// `-j SNAT --to-source ...`.
    case snat(to: [NATRange], random: Bool, randomFully: Bool, persistent: Bool)
    /// `-j MASQUERADE [--to-ports P] [--random] [--random-fully]`.
    case masquerade(toPorts: PortRange?, random: Bool, randomFully: Bool)
    /// `-j REDIRECT [--to-ports P]`.
    case redirect(toPorts: PortRange?, random: Bool)
    /// `-j MARK` in XMARK form (`--set-mark`, `--and-mark`, `--or-mark`, `--xor-mark` normalised).
    case mark(MarkChange)
    /// `-j CONNMARK`.
    case connmark(ConnmarkAction)
    /// `-j LOG` with its options.
    case log(prefix: String?, options: [String])
    /// `-j NFLOG` with its options.
    case nflog(options: [String])
    /// `-j NOTRACK` or `-j CT --notrack`.
    case notrack
    /// `-j CT` with other options (zones, helpers): the packet stays tracked.
    case ct(options: [String])
    /// `-j TRACE`.
    case trace
    /// No `-j`: the rule only counts.
    case none
    /// A target Skoop does not model, with its arguments.
    case unsupported(name: String, arguments: [String])
}
