import SkoopModel

extension NftEngine {
    /// A base chain below the IP layer: a bridge-family chain at a bridge hook, or a netdev (or
    /// inet) chain at one device's ingress or egress. `NetfilterPipeline` places it around the
    /// IP hooks in the kernel's order.
    public struct LinkChain: Sendable {
        /// Where such a chain is attached.
        public enum Place: Hashable, Sendable {
            /// A bridge hook (prerouting, input, forward, output, postrouting): every bridge's frames.
            case bridge(Hook)
            /// The ingress of one device (netdev or inet family).
            case ingress(device: String)
            /// The egress of one device (netdev family).
            case egress(device: String)

            /// The place of base chain `base` of a `family` table; nil at an IP hook or where
            /// Skoop cannot place it (arp, several devices or none).
            init?(family: NftFamily, base: NftBaseChain) {
                switch (family, base.hook) {
                case (.bridge, _):
                    guard let hook = base.ipHook else { return nil }
                    self = .bridge(hook)
                case (.netdev, "ingress"), (.inet, "ingress"):
                    guard let device = base.device else { return nil }
                    self = .ingress(device: device)
                case (.netdev, "egress"):
                    guard let device = base.device else { return nil }
                    self = .egress(device: device)
                default:
                    return nil
                }
            }
        }

        /// The chain.
        public let chain: BaseChain
        /// Where it is attached.
        public let place: Place
    }

    /// The link chains at `place`, lowest priority first; at equal priorities the later-created
    /// table's first (the kernel inserts a hook before those of equal priority).
    func linkChains(at place: LinkChain.Place) -> [LinkChain] {
        linkChains.filter { $0.place == place }.enumerated().sorted { lhs, rhs in
            (lhs.element.chain.priority, -lhs.element.chain.table, lhs.offset) < (rhs.element.chain.priority, -rhs.element.chain.table, rhs.offset)
        }.map(\.element)
    }

    /// Runs link chain `link` with the interfaces the kernel gives its hook (a bridge port, not
    /// the bridge), restoring the IP layer's interfaces on the branches that go on.
    func run(_ link: LinkChain, inInterface: String?, outInterface: String?, _ walk: Walk) -> (accepted: [Walk], finished: [NetfilterOutcome]) {
        var inside = walk
        inside.context.inInterface = inInterface
        inside.context.outInterface = outInterface
        let (hook, name): (Hook, String) = switch link.place {
        case .bridge(let hook): (hook, hook.rawValue)
        case .ingress: (.prerouting, "INGRESS")
        case .egress: (.postrouting, "EGRESS")
        }
        var (accepted, finished) = run(link.chain, hook: hook, hookName: name, inside)
        for index in accepted.indices {
            accepted[index].context.inInterface = walk.context.inInterface
            accepted[index].context.outInterface = walk.context.outInterface
        }
        for index in finished.indices {
            finished[index].context.inInterface = walk.context.inInterface
            finished[index].context.outInterface = walk.context.outInterface
        }
        return (accepted, finished)
    }
}
