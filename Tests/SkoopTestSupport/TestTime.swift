import Foundation

/// How many times slower than a plain debug run the tests are expected to run:
/// `SKOOP_TEST_TIME_SCALE` (a whole number, default 1). The sanitizer step of Tests/run-all.sh
/// sets it, so that time limits and timeouts bounding real processes and kernels stretch with the
/// instrumented build instead of cancelling work that is merely slow.
public enum TestTime {
    /// The factor, at least 1.
    public static let scale: Int = max(1, Int(ProcessInfo.processInfo.environment["SKOOP_TEST_TIME_SCALE"] ?? "") ?? 1)

    /// `seconds` stretched by the factor.
    public static func seconds(_ seconds: Double) -> Double {
        seconds * Double(scale)
    }
}
