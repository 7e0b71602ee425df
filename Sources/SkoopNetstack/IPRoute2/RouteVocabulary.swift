import SkoopModel

/// A routing table: `local` (255), `main` (254), `default` (253), or another number or name.
public enum RouteTable: Hashable, Sendable, CustomStringConvertible {
    case local
    case main
    case `default`
    /// A numbered table other than 253-255.
    case numbered(UInt32)
    /// A name from rt_tables that iproute2 printed instead of a number.
    case named(String)

    /// Parses what iproute2 prints ("main", "local", "default", "100").
    public init(_ text: String) {
        switch text {
        case "local", "255": self = .local
        case "main", "254": self = .main
        case "default", "253": self = .default
        default: self = UInt32(text).map { .numbered($0) } ?? .named(text)
        }
    }

    /// The table as iproute2 names it.
    public var description: String {
        switch self {
        case .local: "local"
        case .main: "main"
        case .default: "default"
        case .numbered(let id): String(id)
        case .named(let name): name
        }
    }
}

/// A route or address scope (rtm_scope / ifa_scope): smaller is wider.
public struct RouteScope: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The kernel's number: 0 universe/global, 200 site, 253 link, 254 host, 255 nowhere.
    public var rawValue: UInt8

    /// Makes a scope from its number.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Parses "global"/"universe", "site", "link", "host", "nowhere" or a number; nil otherwise.
    public init?(_ text: String) {
        switch text {
        case "global", "universe": self = .global
        case "site": self = .site
        case "link": self = .link
        case "host": self = .host
        case "nowhere": self = .nowhere
        default:
            guard let number = UInt8(text) else { return nil }
            self.init(rawValue: number)
        }
    }

    /// Universe: reaches anywhere.
    public static let global = RouteScope(rawValue: 0)
    /// Site-local (IPv6).
    public static let site = RouteScope(rawValue: 200)
    /// On the attached link only.
    public static let link = RouteScope(rawValue: 253)
    /// This host only.
    public static let host = RouteScope(rawValue: 254)
    /// Nowhere.
    public static let nowhere = RouteScope(rawValue: 255)

    public static func < (lhs: RouteScope, rhs: RouteScope) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name iproute2 prints.
    public var description: String {
        switch rawValue {
        case 0: "global"
        case 200: "site"
        case 253: "link"
        case 254: "host"
        case 255: "nowhere"
        default: String(rawValue)
        }
    }
}
