import SkoopModel

/// Everything a finished (or partial) diagnosis says, ready to be rendered.
public struct DiagnosisReport: Sendable {
    /// The query as the user wrote it.
    public var query: DiagnosisQuery
    /// The source address the query resolved to, when known.
    public var sourceAddress: IPAddress?
    /// The destination address the query resolved to, when known.
    public var destinationAddress: IPAddress?
    /// The graph.
    public var path: PacketPath
    /// The conclusion (nil while running).
    public var verdict: Verdict?

    /// Makes a report.
    public init(query: DiagnosisQuery, sourceAddress: IPAddress?, destinationAddress: IPAddress?,
                path: PacketPath, verdict: Verdict?) {
        self.query = query
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.path = path
        self.verdict = verdict
    }

    /// Suspicions at or above `level`, most serious first, cluster-wide ones included.
    public func suspicions(atLeast level: SuspicionLevel = .info) -> [(node: Hop?, suspicion: Suspicion)] {
        path.allSuspicions
            .filter { $0.suspicion.level >= level }
            .enumerated()
            .sorted { ($0.element.suspicion.level, -$0.offset) > ($1.element.suspicion.level, -$1.offset) }
            .map(\.element)
    }

    /// The exit status of `skoop diagnose`: 0 reachable, 1 unreachable or partial, 2 unknown.
    public var exitStatus: Int32 {
        switch verdict {
        case .reachable: 0
        case .unreachable, .partial: 1
        case .unknown, nil: 2
        }
    }
}
