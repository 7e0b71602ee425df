import SkoopModel

/// What a verdict statement (or a verdict map element) decides.
public enum NftVerdict: Hashable, Sendable, CustomStringConvertible {
    case accept
    case drop
    case `continue`
    case `return`
    case jump(String)
    case goto(String)
    /// To a userspace queue: the fate is decided by a program Skoop does not see.
    case queue

    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        case .queue: "queue"
        }
    }
}

/// The type of a value an expression yields; decides how literals compared with it are read.
public enum NftValueKind: String, Hashable, Sendable {
    case ipv4Address = "ipv4_addr"
    case ipv6Address = "ipv6_addr"
    case l4proto = "inet_proto"
    case port = "inet_service"
    case mark = "mark"
    case integer = "integer"
    case ifname = "ifname"
    case ctState = "ct_state"
    case ctStatus = "ct_status"
    case ctDirection = "ct_dir"
    case addressType = "fib_addrtype"
    case nfproto = "nf_proto"
    case ethertype = "ether_type"
    case pkttype = "pkt_type"
    case icmpType = "icmp_type"
    case icmpv6Type = "icmpv6_type"
    case tcpFlags = "tcp_flag"
    case verdict = "verdict"
    case boolean = "boolean"
    /// A type Skoop does not model (ether_addr, ...): literals of it never match known values.
    case other = "other"

    /// The kind of an nft type name (`ipv4_addr`, `inet_service`, ...).
    public init(typeName: String) {
        if let known = NftValueKind(rawValue: typeName) {
            self = known
        } else {
            // Numeric types compare as integers; others (ether_addr, time, ...) are not modelled.
            self = ["iface_index"].contains(typeName) ? .ifname
                : ["ether_addr", "time", "day", "hour", "string"].contains(typeName) ? .other : .integer
        }
    }
}

/// An expression: where a value comes from.
///
/// Only the cases holding an expression are boxed (`indirect`): the others (a payload field, a
/// literal, ...) are stored in place, so that decoding a rule allocates no box for each of them.
public enum NftExpression: Hashable, Sendable {
    /// A literal as written in the JSON (a string, a number, a boolean), converted when the
    /// kind of the other side is known.
    case literal(NftLiteral)
    /// `ip saddr`, `th dport`, `tcp flags`, ...
    case payload(protocol: String, field: String)
    /// `meta l4proto`, `iifname` ...
    case meta(String)
    /// `ct state`, `ct original ip saddr` ...
    case ct(key: String, direction: String?)
    /// `fib saddr . iif type`: the lookup flags and the result wanted.
    case fib(result: String, flags: [String])
    /// `a . b . c`.
    case concat([NftExpression])
    /// `@name`: a named set or map.
    case setReference(String)
    /// `{ ... }`: an anonymous set (or map with data), elements still raw.
    case anonymousSet([NftRawElement])
    /// An anonymous set whose elements were typed from the expression it is compared with.
    case typedSet([NftRawElement], NftElements)
    /// A literal (or prefix, range) typed from the expression it is compared with.
    indirect case typed(NftExpression, NftKeyPart)
    /// `10.0.0.0/8`.
    case prefix(address: String, length: Int)
    /// `a-b`.
    case range(NftLiteral, NftLiteral)
    /// `numgen random mod N offset O` (or inc).
    case numgen(mode: String, modulus: UInt64, offset: UInt64)
    /// `jhash ... mod N`, `symhash mod N`: a hash of the packet picks one of N values.
    case hash(kind: String, modulus: UInt64, offset: UInt64)
    /// `left & right`, `|`, `^`, `<<`, `>>`.
    indirect case binary(operator: String, NftExpression, NftExpression)
    /// `key map { ... }` or `key map @m`.
    indirect case map(key: NftExpression, data: NftExpression)
    /// A verdict literal (in verdict map data).
    case verdict(NftVerdict)
    /// Something Skoop does not model, with its JSON name.
    case unsupported(String)
}

/// A literal value before it is given a type.
public enum NftLiteral: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case number(UInt64)
    case boolean(Bool)
    /// A list of flags (`ct state { established, related }` is written as a JSON array).
    case list([String])

    public var description: String {
        switch self {
        case .string(let text): text
        case .number(let value): "\(value)"
        case .boolean(let value): value ? "exists" : "missing"
        case .list(let items): items.joined(separator: ",")
        }
    }
}

/// An element as read from JSON before the key's kinds are known: key expressions and map data.
public struct NftRawElement: Hashable, Sendable {
    /// The key (a literal, prefix, range or concatenation).
    public var key: NftExpression
    /// The data of a map element.
    public var data: NftExpression?

    /// Makes a raw element.
    public init(key: NftExpression, data: NftExpression? = nil) {
        self.key = key
        self.data = data
    }
}

/// A NAT statement's target: the address and port expressions (each may be a literal or a map).
public struct NftNAT: Hashable, Sendable {
    /// `dnat`, `snat`, `masquerade` or `redirect`.
    public var kind: String
    /// The address (nil for masquerade and redirect, or port-only NAT).
    public var address: NftExpression?
    /// The port.
    public var port: NftExpression?
    /// `ip`/`ip6` for NAT in an inet table.
    public var family: String?
    /// random, fully-random, persistent.
    public var flags: [String]

    /// Makes a NAT statement.
    public init(kind: String, address: NftExpression? = nil, port: NftExpression? = nil, family: String? = nil, flags: [String] = []) {
        self.kind = kind
        self.address = address
        self.port = port
        self.family = family
        self.flags = flags
    }
}

/// One statement of a rule.
public enum NftStatement: Hashable, Sendable {
    /// `left OP right`; a false match ends the rule.
    case match(operator: String, left: NftExpression, right: NftExpression)
    /// accept, drop, jump, goto, return, continue, queue.
    case verdict(NftVerdict)
    /// `reject [with TYPE CODE]`.
    case reject(type: String?, code: String?)
    /// `key vmap { ... }` / `vmap @m`.
    case verdictMap(key: NftExpression, data: NftExpression)
    /// dnat, snat, masquerade, redirect.
    case nat(NftNAT)
    /// `meta mark set ...`, `ct mark set ...`.
    case mangle(target: NftExpression, value: NftExpression)
    /// `update @set { key }`, `add @set { key }`, `delete @set { key }`.
    case setUpdate(operation: String, set: String, element: NftExpression)
    /// `notrack`.
    case notrack
    /// counter, log, limit, quota, comment-only statements: no effect on the packet.
    case inert(String)
    /// A statement Skoop does not model: its JSON name and text.
    case unsupported(name: String, text: String)
}
