import SkoopModel
import SkoopNetstack

/// A route as written for `ip route add|del`: `[TYPE] PREFIX [via GW] [dev DEV] [table T]
/// [proto P] [scope S] [src IP] [metric N] [onlink]`. Fields left out match anything when
/// deleting, and take the kernel's defaults when adding.
struct RouteSpec: Sendable {
    var route: Route
    /// The words given, to match a deletion on them only.
    var given: Set<String>

    /// Parses `text`; `source` names where it came from in errors.
    static func parse(_ text: String, source: String, line: Int? = nil) throws(InputError) -> RouteSpec {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        func fail(_ found: String) -> InputError {
            InputError(source: source, line: line,
                       expected: "a route such as \"10.244.2.0/24 via 192.168.56.12 dev eth0\" ([TYPE] PREFIX [via GW] [dev DEV] [table T] [metric N] [scope S] [src IP] [proto P] [onlink])",
                       found: found)
        }
        var type = RouteType.unicast
        if let first = words.first, let named = RouteType(rawValue: first) {
            type = named
            words.removeFirst()
        }
        guard let destinationText = words.first else { throw fail(text.isEmpty ? "nothing" : text) }
        words.removeFirst()
        let destination: IPPrefix
        if destinationText == "default" {
            // The family follows the gateway when one is given.
            let gateway = words.firstIndex(of: "via").flatMap { $0 + 1 < words.count ? IPAddress(words[$0 + 1]) : nil }
            destination = gateway?.family == .inet6 ? IPPrefix("::/0")! : IPPrefix("0.0.0.0/0")!
        } else if let prefix = IPPrefix(destinationText) {
            destination = prefix
        } else if let address = IPAddress(destinationText) {
            destination = IPPrefix(host: address)
        } else {
            throw fail("\"\(destinationText)\" where a prefix was expected")
        }
        var route = Route(type: type, destination: destination)
        var given: Set<String> = []
        var index = 0
        while index < words.count {
            let key = words[index]
            if key == "onlink" {
                route.flags.append("onlink")
                given.insert("onlink")
                index += 1
                continue
            }
            guard index + 1 < words.count else { throw fail("\"\(key)\" without a value") }
            let value = words[index + 1]
            switch key {
            case "via":
                guard let gateway = IPAddress(value) else { throw fail("via \"\(value)\": not an address") }
                route.gateway = gateway
            case "dev": route.dev = value
            case "table": route.table = RouteTable(value)
            case "proto": route.protocolName = value
            case "scope":
                guard let scope = RouteScope(value) else { throw fail("scope \"\(value)\"") }
                route.scope = scope
            case "src":
                guard let address = IPAddress(value) else { throw fail("src \"\(value)\": not an address") }
                route.preferredSource = address
            case "metric", "priority":
                guard let metric = UInt32(value) else { throw fail("metric \"\(value)\": not a number") }
                route.metric = metric
            default:
                throw fail("\"\(key)\"")
            }
            given.insert(key == "priority" ? "metric" : key)
            index += 2
        }
        // As `ip route add`: a route without a gateway is on the link; local routes go to table local.
        if !given.contains("scope") && route.gateway == nil && type == .unicast { route.scope = .link }
        if !given.contains("table") && type == .local { route.table = .local }
        return RouteSpec(route: route, given: given)
    }

    /// True when `candidate` agrees with every field given (as `ip route del` picks a route).
    func matches(_ candidate: Route) -> Bool {
        guard candidate.type == route.type, candidate.destination == route.destination, candidate.table == route.table else { return false }
        if given.contains("via") && candidate.gateway != route.gateway { return false }
        if given.contains("dev") && candidate.dev != route.dev { return false }
        if given.contains("metric") && candidate.metric != route.metric { return false }
        if given.contains("proto") && candidate.protocolName != route.protocolName { return false }
        if given.contains("scope") && candidate.scope != route.scope { return false }
        if given.contains("src") && candidate.preferredSource != route.preferredSource { return false }
        return true
    }
}
