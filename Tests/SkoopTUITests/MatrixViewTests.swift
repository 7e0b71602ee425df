import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
@testable import SkoopTUI
import SkoopTestSupport

/// The matrix screen over a real matrix (lab-basic as a Cilium cluster: the web pods admit only
/// app=client on TCP 8080) and over large made-up ones for scrolling.
@Suite struct MatrixViewTests {
    static let labBasic: ReachabilityMatrix = {
        let collector = try! CollectorManager(snapshot: Fixtures.url("lab-basic").path)
        return try! ReachabilityMatrix.build(collector: collector, port: 8080, protocol: .tcp,
                                             context: DiagnosisContext(networkPlugin: .cilium))
    }()

    /// A square matrix of `count` one-pod classes whose cells cycle through the results.
    static func large(_ count: Int) -> ReachabilityMatrix {
        let classes = (1...count).map {
            PodClass(id: "c\($0)", namespace: "ns", labels: [:], node: "node\($0)", hostNetwork: false, members: ["ns/pod-\($0)"])
        }
        let results: [MatrixCell.Result] = [.allowed, .denied, .partial, .unknown]
        var cells: [MatrixCell] = []
        for source in classes {
            for (column, target) in classes.enumerated() {
                let result = source.id == target.id ? .loopback : results[column % results.count]
                cells.append(MatrixCell(source: source.id, destination: .podClass(target.id), result: result,
                                        pair: result == .loopback ? nil : (source.representative, target.representative)))
            }
        }
        return ReachabilityMatrix(port: 80, proto: .tcp, classes: classes, services: [], cells: cells, diagnosed: count * (count - 1))
    }

    func matrixState(_ matrix: ReachabilityMatrix = labBasic, size: Size = Size(columns: 100, rows: 30),
                     glyphs: GlyphSet = .unicode) -> TUIState {
        var state = demoState(size: size, glyphs: glyphs)
        state.showMatrix(matrix, request: MatrixRequest(port: matrix.port, proto: matrix.proto))
        return state
    }

    @Test func mAndTheCommandAskTheCallerForTheMatrix() {
        var state = demoState()
        // The demo query is TCP 80: the matrix is asked on its port.
        #expect(state.press(.char("M")) == [.openMatrix(MatrixRequest(port: 80, proto: .tcp))])
        #expect(state.screen == .main, "nothing is shown before the caller hands a matrix over")
        state.press(.char(":"))
        state.type("matrix 8080 udp x y")
        #expect(state.press(.enter) == [.openMatrix(MatrixRequest(port: 8080, proto: .udp, namespaces: ["x", "y"]))])
        state.press(.char(":"))
        state.type("matrix 80 icmp")
        #expect(state.press(.enter).isEmpty)
        #expect(state.message?.text == ":matrix: the matrix is of tcp or udp, found \"icmp\"")
        state.press(.char(":"))
        state.type("matrix 70000")
        state.press(.enter)
        #expect(state.message?.isError == true && state.message?.text.contains("PORT must be 1-65535") == true)
        // Once built, M shows it again without building another.
        state.showMatrix(Self.labBasic, request: MatrixRequest(port: 8080))
        state.press(.escape)
        #expect(state.screen == .main)
        #expect(state.press(.char("M")).isEmpty)
        #expect(state.screen == .matrix)
    }

    @Test func eachCellHasAGlyphAndAColour() throws {
        let state = matrixState()
        let grid = state.render(size: state.size)
        let lines = grid.lines
        #expect(lines[2].contains("Reachability TCP 8080: 4 pods in 4 classes, 0 services"))
        #expect(lines[3].contains("✔ allowed  ✖ denied  ◐ partial  ? unknown  · itself only"))
        #expect(lines[4].contains("c1 c2 c3 c4"))
        // Row c3 (web-0): every destination denied (nobody listens on the clients; policy on web-1).
        let web0 = try #require(lines.first { $0.hasPrefix(" c3 default/web-0") })
        #expect(web0.hasSuffix("✖  ✖  ·  ✖"))
        let client = try #require(lines.firstIndex { $0.hasPrefix(" c1 default/client ") })
        #expect(lines[client].contains("[·] ✖  ✔  ✔"), "the selected cell is bracketed, not only reversed")
        let allowed = try #require(column(of: "✔", in: lines[client]))
        #expect(grid[client, allowed].style.foreground == .served)
        let denied = try #require(column(of: "✖", in: lines[client]))
        #expect(grid[client, denied].style.foreground == .dropped)
    }

    @Test func asciiTerminalsGetAsciiGlyphs() throws {
        let lines = matrixState(glyphs: .ascii).screenLines
        #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
        #expect(lines[3].contains("+ allowed  x denied  ~ partial  ? unknown  . itself only"))
        #expect(lines.contains { $0.hasPrefix(" c3 default/web-0") && $0.hasSuffix("x  x  .  x") })
    }

    @Test func theSelectedCellIsExplainedAndEnterStepsThroughIt() throws {
        var state = matrixState()
        #expect(state.press(.enter).isEmpty, "c1 with itself: a one-pod class is not diagnosed")
        #expect(state.message?.isError == true)
        state.press(.char("j"), .char("j"), .char("l"), .char("l"), .char("l"))
        #expect(state.matrixView?.selection.row == 2 && state.matrixView?.selection.column == 3)
        let lines = state.screenLines
        #expect(lines.contains { $0.contains("✖ denied  c3 default/web-0 → c4 default/web-1  at default/web-1") })
        #expect(lines.contains { $0.contains("cilium drops ingress to default/web-1 from default/web-0") })
        #expect(lines.contains { $0.contains("diagnosed default/web-0 → default/web-1") })
        #expect(state.press(.char("y")) == [.copy("""
            c3 -> c4: denied at default/web-1: \(try #require(state.matrixView?.selectedCell?.reason))
            skoop diagnose -s default/web-0 -d default/web-1 -p 8080 --protocol tcp
            """)])
        let query = TUIQuery(src: "default/web-0", dst: "default/web-1", port: 8080, proto: .tcp)
        #expect(state.press(.enter) == [.startDiagnosis(query)])
        // The caller diagnoses it; esc on that diagnosis comes back to the matrix, selection kept.
        state.begin(query: query, driver: FakeDriver.chain(count: 2))
        #expect(state.screen == .main)
        state.press(.escape)
        #expect(state.screen == .matrix)
        #expect(state.matrixView?.selectedCell?.destination == .podClass("c4"))
        state.press(.escape)
        #expect(state.screen == .main)
    }

    @Test func largeMatricesScrollBothWays() throws {
        var state = matrixState(Self.large(300), size: Size(columns: 80, rows: 24))
        var lines = state.screenLines
        #expect(lines.contains { $0.contains("rows 1-") && $0.contains(" of 300, columns 1-") }, "what is in view is said when not all of it fits")
        #expect(!lines.contains { $0.contains("c300") })
        state.press(.char("G"))
        state.press(.end)
        for _ in 0..<400 { state.press(.char(">")) }
        lines = state.screenLines
        #expect(state.matrixView?.selection.row == 299 && state.matrixView?.selection.column == 299)
        #expect(lines.contains { $0.contains("-300 of 300, columns ") && $0.contains("-300 of 300 ") })
        let last = try #require(lines.first { $0.hasPrefix(" c300 ns/pod-300") })
        #expect(last.hasSuffix("[·]"))
        #expect(lines[4].hasSuffix("c300"))
        state.press(.char("g"), .char("<"))
        lines = state.screenLines
        #expect(lines.contains { $0.contains("rows 1-") })
        #expect(lines.contains { $0.hasPrefix(" c1 ns/pod-1") })
        // A page of columns per < and >, one per h and l.
        let before = try #require(state.matrixView?.selection.column)
        state.press(.char("h"))
        #expect(state.matrixView?.selection.column == before - 1)
        state.press(.pageDown)
        #expect((state.matrixView?.selection.row ?? 0) > 10)
    }

    @Test func smallTerminalsStillDrawTheGrid() {
        let state = matrixState(Self.large(30), size: Size(columns: 20, rows: 8))
        let lines = state.screenLines
        #expect(lines.count == 8)
        #expect(lines.contains { $0.hasPrefix(" c1 ") })
    }

    @Test func helpOfTheMatrixListsEveryBindingAndFits80x24() throws {
        var state = matrixState(size: Size(columns: 80, rows: 24))
        state.press(.char("?"))
        let grid = state.render(size: Size(columns: 80, rows: 24))
        for binding in KeyTable.matrix {
            #expect(grid.text.contains(binding.description), "\(binding.description) not shown")
        }
        #expect(grid.text.contains(":matrix"))
        let bottom = try #require(grid.lines.firstIndex { $0.contains("┘") })
        #expect(bottom < 24)
    }

    @Test func whatIfEditsAreSaidNotToApply() {
        var state = demoState()
        state.keepEdits([WhatIfEdit(place: nil, change: .removePolicy(namespace: "default", name: "x"))])
        state.showMatrix(Self.labBasic, request: MatrixRequest(port: 8080))
        #expect(state.message?.text.contains("what-if edits do not apply to the matrix") == true)
    }
}
