import Foundation
import SkoopModel

/// One address of an interface, from `ip -j addr show` (an `addr_info` entry).
public struct InterfaceAddress: Hashable, Sendable {
    /// The interface's name.
    public var interface: String
    /// The interface's ifindex.
    public var interfaceIndex: Int
    /// inet or inet6.
    public var family: AddressFamily
    /// The address itself (`local`).
    public var local: IPAddress
    /// The prefix length.
    public var prefixLength: Int
    /// The address scope: global, link, host.
    public var scope: RouteScope
    /// The broadcast address (IPv4), when set.
    public var broadcast: IPAddress?
    /// The point-to-point peer (`address`), when set.
    public var peer: IPAddress?
    /// The label ("eth0:1").
    public var label: String?
    /// A secondary address: never chosen as a source by the kernel's primary-address rule.
    public var secondary: Bool
    /// IPv6 DAD not finished: unusable as a source.
    public var tentative: Bool
    /// IPv6 deprecated: avoided as a source.
    public var deprecated: Bool

    /// Makes an address.
    public init(interface: String, interfaceIndex: Int = 0, local: IPAddress, prefixLength: Int,
                scope: RouteScope = .global, broadcast: IPAddress? = nil, peer: IPAddress? = nil, label: String? = nil,
                secondary: Bool = false, tentative: Bool = false, deprecated: Bool = false) {
        self.interface = interface
        self.interfaceIndex = interfaceIndex
        self.family = local.family
        self.local = local
        self.prefixLength = prefixLength
        self.scope = scope
        self.broadcast = broadcast
        self.peer = peer
        self.label = label
        self.secondary = secondary
        self.tentative = tentative
        self.deprecated = deprecated
    }

    /// The subnet the address is on (`local/prefixlen`), nil for an impossible length.
    public var subnet: IPPrefix? { IPPrefix(local, length: prefixLength) }

    /// Parses `ip -j addr show`: every address of every interface, in order.
    public static func parse(_ data: Data, source: String) throws(InputError) -> [InterfaceAddress] {
        let elements = try IPRoute2Element.elements(
            of: data, source: source, expected: "a JSON array of interfaces with addr_info (ip -j addr show)",
            element: "interface")
        var result: [InterfaceAddress] = []
        for element in elements {
            let name = try element.requiredString("ifname")
            let index = try element.requiredInt("ifindex")
            for info in try element.children("addr_info", element: "address") {
                // `ip addr` may print entries of other families (e.g. "link") without a "local": skip those.
                guard let family = try info.string("family"), family == "inet" || family == "inet6" else { continue }
                let local = try info.requiredAddress("local")
                guard local.family.rawValue == family else {
                    throw info.failure("local", "an \(family) address", found: .string(local.description))
                }
                let length = try info.requiredInt("prefixlen")
                guard (0...(family == "inet" ? 32 : 128)).contains(length) else {
                    throw info.failure("prefixlen", "a prefix length", found: .number(String(length)))
                }
                result.append(InterfaceAddress(
                    interface: name, interfaceIndex: index, local: local, prefixLength: length,
                    scope: try info.scope("scope") ?? .global, broadcast: try info.address("broadcast"),
                    peer: try info.address("address"), label: try info.string("label"),
                    secondary: info.flag("secondary"), tentative: info.flag("tentative"),
                    deprecated: info.flag("deprecated")))
            }
        }
        return result
    }
}
