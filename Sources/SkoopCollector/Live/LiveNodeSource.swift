import Foundation
import SkoopModel

/// The `NodeDataSource` of a live cluster: the first time the diagnosis needs a node, its
/// collector pod runs and the archive is unpacked into the snapshot directory.
public struct LiveNodeSource: NodeDataSource {
    /// The collector.
    public let collector: LiveNodeCollector
    /// The nodes it may collect.
    public let nodes: [String]
    /// Called on the waiting thread about every 200 ms while a node is collected, with the
    /// node and the seconds so far (progress lines, the TUI's status line).
    public let onWait: (@Sendable (String, Double) -> Void)?

    /// Makes a source for `nodes`.
    public init(collector: LiveNodeCollector, nodes: [String], onWait: (@Sendable (String, Double) -> Void)? = nil) {
        self.collector = collector
        self.nodes = nodes
        self.onWait = onWait
    }

    /// Collects `node` into `snapshot`, blocking the calling thread (the diagnosis is synchronous).
    public func materialize(node: String, into snapshot: URL) throws {
        let collector = self.collector
        let result = BlockingWait.run(tick: onWait.map { tick in { seconds in tick(node, seconds) } }) {
            () async -> Result<Void, NodeCollectionFailure> in
            do throws(NodeCollectionFailure) {
                try await collector.collect(node: node, into: snapshot)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}

/// Runs async work from synchronous code and waits for it, calling `tick` on the waiting
/// thread meanwhile. Never call it from a Swift concurrency thread.
enum BlockingWait {
    static func run<T: Sendable>(tick: ((Double) -> Void)?, _ work: @escaping @Sendable () async -> T) -> T {
        let box = Locked<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let value = await work()
            box.withLock { $0 = value }
            done.signal()
        }
        let start = DispatchTime.now()
        while true {
            // The task stores its value before signalling.
            if done.wait(timeout: .now() + .milliseconds(200)) == .success, let value = box.withLock({ $0.take() }) {
                return value
            }
            tick?(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
    }
}
