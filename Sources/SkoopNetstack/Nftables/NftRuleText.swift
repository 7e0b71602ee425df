import SkoopModel

/// Renders rules back in `nft list ruleset` syntax, for traces and the rules browser.
public enum NftRuleText {
    /// The rule's statements, space-separated, and its comment.
    public static func render(_ rule: NftRule) -> String {
        var text = rule.statements.map(statement).joined(separator: " ")
        if let comment = rule.comment { text += " comment \"\(comment)\"" }
        return text
    }

    static func statement(_ statement: NftStatement) -> String {
        switch statement {
        case .match(let op, let left, let right):
            let shown = expression(left)
            let value = expression(right)
            switch op {
            case "==" where !left.isBinary, "in": return "\(shown) \(value)"
            default: return "\(shown) \(op) \(value)"
            }
        case .verdict(let verdict):
            return verdict.description
        case .reject(let type, let code):
            // nft lists the default (ICMP port unreachable) as plain "reject".
            guard let type, code != "port-unreachable" || type == "tcp reset" else { return "reject" }
            return type == "tcp reset" ? "reject with tcp reset" : "reject with \(type) \(code ?? "")".trimmingTrailingSpace
        case .verdictMap(let key, let data):
            return "\(expression(key)) vmap \(expression(data))"
        case .nat(let nat):
            var text = nat.kind
            if nat.kind == "dnat" || nat.kind == "snat" { text += nat.family.map { " \($0)" } ?? "" }
            if nat.address != nil || nat.port != nil {
                text += nat.kind == "masquerade" || nat.kind == "redirect" ? " to" : " to "
                if let address = nat.address {
                    // nft brackets an IPv6 address that a port follows: `dnat ip6 to [fd00::2]:8080`.
                    let literal = expression(address)
                    text += nat.port != nil && literal.contains(":") ? "[\(literal)]" : literal
                }
                if let port = nat.port { text += (nat.kind == "masquerade" || nat.kind == "redirect" ? " :" : ":") + expression(port) }
            }
            if !nat.flags.isEmpty { text += " " + nat.flags.joined(separator: ",") }
            return text
        case .mangle(let target, let value):
            return "\(expression(target)) set \(expression(value))"
        case .setUpdate(let operation, let set, let element):
            return "\(operation) @\(set) { \(expression(element)) }"
        case .notrack:
            return "notrack"
        case .inert(let name):
            return name
        case .unsupported(_, let text):
            return text
        }
    }

    static func expression(_ expression: NftExpression) -> String {
        switch expression {
        case .literal(let literal):
            return literal.description
        case .typed(let raw, _):
            return self.expression(raw)
        case .payload(let proto, let field):
            return "\(proto) \(field)"
        case .meta(let key):
            // nft prints these keys bare, the rest (l4proto, mark, nfproto, ...) after "meta".
            return ["iifname", "oifname", "iif", "oif", "iiftype", "oiftype", "nftrace", "skuid", "skgid", "pkttype", "cpu",
                    "iifgroup", "oifgroup", "cgroup", "ibrname", "obrname"].contains(key) ? key : "meta \(key)"
        case .ct(let key, let direction):
            return "ct " + (direction.map { "\($0) " } ?? "") + key
        case .fib(let result, let flags):
            return "fib \(flags.joined(separator: " . ")) \(result)"
        case .concat(let items):
            return items.map(self.expression).joined(separator: " . ")
        case .setReference(let name):
            return "@\(name)"
        case .anonymousSet(let raw), .typedSet(let raw, _):
            return "{ " + raw.map(element).joined(separator: ", ") + " }"
        case .prefix(let address, let length):
            return "\(address)/\(length)"
        case .range(let low, let high):
            return "\(low)-\(high)"
        case .numgen(let mode, let modulus, let offset):
            return "numgen \(mode) mod \(modulus)" + (offset == 0 ? "" : " offset \(offset)")
        case .hash(let kind, let modulus, let offset):
            return "\(kind) mod \(modulus)" + (offset == 0 ? "" : " offset \(offset)")
        case .binary(let op, let left, let right):
            let operand = self.expression(right)
            let shown = if case .literal(.number(let value)) = right, op != "<<", op != ">>" { "0x" + String(value, radix: 16) } else { operand }
            return "\(self.expression(left)) \(["&": "and", "|": "or", "^": "xor", "<<": "lshift", ">>": "rshift"][op] ?? op) \(shown)"
        case .map(let key, let data):
            return "\(self.expression(key)) map \(self.expression(data))"
        case .verdict(let verdict):
            return verdict.description
        case .unsupported(let text):
            return text
        }
    }

    static func element(_ raw: NftRawElement) -> String {
        guard let data = raw.data else { return expression(raw.key) }
        return "\(expression(raw.key)) : \(expression(data))"
    }
}

extension NftExpression {
    var isBinary: Bool {
        if case .binary = self { return true }
        return false
    }
}

extension String {
    var trimmingTrailingSpace: String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
