import Foundation
import Testing
@testable import SkoopCollector

@Suite("Running tools: real processes through SubprocessToolRunner")
struct ToolRunnerTests {
    /// Far more than a pipe buffers (64 KiB), so the write must meet the closed pipe.
    static let largeInput = String(repeating: "x", count: 4 << 20)

    @Test("a tool that exits without reading its input gives its own status and output, and Skoop lives on")
    func aToolThatLeavesItsInputUnreadIsAnsweredNotFatal() async {
        let output = await SubprocessToolRunner().run(["sh", "-c", "echo refused >&2; exit 3"],
                                                      input: Self.largeInput)
        #expect(output.status == 3)
        #expect(output.firstErrorLine == "refused")
    }

    @Test("input a tool reads arrives whole")
    func inputReachesTheTool() async {
        let output = await SubprocessToolRunner().run(["wc", "-c"], input: Self.largeInput)
        #expect(output.succeeded)
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(4 << 20)")
    }
}
