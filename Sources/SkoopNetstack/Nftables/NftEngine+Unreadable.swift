import SkoopModel

extension NftEngine {
    /// What starts the warning of a walk that reached a chain whose rules do not decode.
    static let unreadablePrefix = "nftables rules unreadable: "

    /// A walk that reached a chain of a skimmed file whose rules do not decode: it goes no
    /// further here, and the netns's caller treats its native nftables rules as unknown, as when
    /// the whole file does not decode (``unreadableRules(in:)``).
    func unreadable(_ error: InputError, _ start: Walk) -> Walk {
        var named = error
        if let source = ruleset.source { named.source = source }
        var walk = start
        walk.flags.insert(.uncertain)
        walk.warn(Self.unreadablePrefix + named.description)
        return walk
    }

    /// The error of the first chain these outcomes reached whose rules do not decode, as the full
    /// decoder words it; nil when every chain they reached decoded.
    public static func unreadableRules(in outcomes: [NetfilterOutcome]) -> String? {
        for outcome in outcomes {
            if let warning = outcome.warnings.first(where: { $0.hasPrefix(unreadablePrefix) }) {
                return String(warning.dropFirst(unreadablePrefix.count))
            }
        }
        return nil
    }
}
