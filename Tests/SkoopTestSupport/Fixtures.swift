import Foundation

/// Locates the committed fixtures (captured from real labs) under Tests/Fixtures.
public enum Fixtures {
    /// The Tests/Fixtures folder of this checkout.
    public static var root: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // SkoopTestSupport
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Fixtures")
    }

    /// A path below Tests/Fixtures, e.g. `url("lab-basic/nodes/node1/netns/host/ip-route.json")`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The text of a fixture file.
    public static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// The bytes of a fixture file.
    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }
}
