import CNCurses
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The only code that talks to curses: copies a CellGrid to the terminal and reads keys.
/// The terminal is restored by `close()`, and by signal handlers on SIGINT, SIGTERM and SIGHUP.
final class NCursesTerminal {
    /// Whether the locale's codeset is UTF-8 (else the TUI uses ASCII glyphs).
    let isUTF8: Bool
    private let useColor: Bool
    private var screen: OpaquePointer?
    private var closed = false
    /// Keys read ahead (the rest of an escape sequence that was not one).
    private var pending: [Key] = []
    /// How long reads wait for a key before the loop checks the size and signals.
    private static let readTimeout: Int32 = 200

    /// Starts curses: locale first, then the terminal, colours on the default background, keys, mouse.
    init(noColor: Bool, mouse: Bool) throws(TUIError) {
        _ = skoop_set_locale()
        isUTF8 = skoop_locale_is_utf8() != 0
        guard let screen = skoop_newterm() else { throw TUIError.terminalUnavailable }
        self.screen = screen
        NCursesTerminal.installSignalHandlers()
        cbreak()
        noecho()
        keypad(skoop_stdscr(), true)
        // Reads wake up regularly so a resize is noticed even when SIGWINCH does not reach curses.
        timeout(NCursesTerminal.readTimeout)
        set_escdelay(25)
        curs_set(0)
        if mouse { skoop_enable_mouse() }
        useColor = !noColor && has_colors()
        if useColor {
            start_color()
            use_default_colors()
            for role in ColorRole.allCases {
                init_pair(Int16(role.rawValue + 1), NCursesTerminal.foreground(role), -1)
            }
        }
    }

    deinit { close() }

    /// Ends curses and restores the terminal (idempotent).
    func close() {
        guard !closed else { return }
        closed = true
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        NCursesTerminal.restoreSignalHandlers()
    }

    /// The terminal's size now. Asks the terminal itself: when SIGWINCH interrupts a read,
    /// curses may not have seen the change yet, so it is told here.
    var size: Size {
        var window = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0,
           Int32(window.ws_row) != skoop_lines() || Int32(window.ws_col) != skoop_cols() {
            _ = resizeterm(Int32(window.ws_row), Int32(window.ws_col))
        }
        return Size(columns: Int(skoop_cols()), rows: Int(skoop_lines()))
    }

    /// Copies a grid to the screen, one run of equally styled cells at a time.
    func draw(_ grid: CellGrid) {
        erase()
        for row in 0..<grid.size.rows {
            var column = 0
            while column < grid.size.columns {
                let style = grid[row, column].style
                let start = column
                var text: [wchar_t] = []
                while column < grid.size.columns, grid[row, column].style == style {
                    let cell = grid[row, column]
                    if !cell.isContinuation {
                        text += cell.character.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
                    }
                    column += 1
                }
                _ = skoop_attrset(attributes(style))
                _ = skoop_addnwstr(Int32(row), Int32(start), text, Int32(text.count))
            }
        }
        _ = skoop_attrset(0)
        refresh()
    }

    /// Writes bytes straight to the terminal after the frame (the OSC 52 clipboard sequence).
    func writeRaw(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    /// Waits for the next key; nil for input the TUI ignores.
    func readKey() -> Key? {
        if !pending.isEmpty { return pending.removeFirst() }
        var character: wint_t = 0
        let result = get_wch(&character)
        if result == skoop_err() { return nil }
        if result == skoop_key_code_yes() { return functionKey(Int32(character)) }
        switch character {
        case 10, 13: return .enter
        case 27: return readEscapeSequence()
        case 8, 127: return .backspace
        case 9: return .tab
        case 0..<32: return nil
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
            return .char(Character(scalar))
        }
    }

    /// After an ESC curses did not decode: the rest of the sequence, if it follows at once.
    private func readEscapeSequence() -> Key? {
        timeout(30)
        defer { timeout(NCursesTerminal.readTimeout) }
        var text = ""
        var character: wint_t = 0
        while EscapeSequence.isIncomplete(text), text.count < 16 {
            let result = get_wch(&character)
            if result == skoop_err() { break }
            if result == skoop_key_code_yes() {
                // A key curses knows, right after a lone ESC.
                pending += EscapeSequence.keys(after: text).dropFirst() + [functionKey(Int32(character))].compactMap { $0 }
                return .escape
            }
            guard let scalar = Unicode.Scalar(UInt32(character)) else { break }
            text.unicodeScalars.append(scalar)
        }
        var keys = EscapeSequence.keys(after: text)
        guard !keys.isEmpty else { return nil }
        let first = keys.removeFirst()
        pending += keys
        return first
    }

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_BTAB: return .backTab
        case skoop_key_resize(): return .resize
        case skoop_key_mouse():
            var row: Int32 = 0
            var column: Int32 = 0
            switch skoop_mouse_event(&row, &column) {
            case 1: return .click(row: Int(row), column: Int(column))
            case 4: return .up
            case 5: return .down
            default: return nil
            }
        default: return nil
        }
    }

    private func attributes(_ style: CellStyle) -> attr_t {
        var attributes: attr_t = 0
        if style.bold { attributes |= skoop_a_bold() }
        if style.reverse { attributes |= skoop_a_reverse() }
        if style.underline { attributes |= skoop_a_underline() }
        if style.foreground == .dim { attributes |= skoop_a_dim() }
        if useColor, style.foreground != .normal, style.foreground != .dim {
            attributes |= skoop_color_pair(Int32(style.foreground.rawValue + 1))
        }
        return attributes
    }

    /// Colours that read on dark and light backgrounds alike (the background stays the terminal's).
    private static func foreground(_ role: ColorRole) -> Int16 {
        switch role {
        case .normal, .dim: -1
        case .accent, .key, .info: Int16(COLOR_CYAN)
        case .title: Int16(COLOR_BLUE)
        case .newest, .critical: Int16(COLOR_MAGENTA)
        case .fatal, .dropped, .error: Int16(COLOR_RED)
        case .warning, .unknown: Int16(COLOR_YELLOW)
        case .served, .matched: Int16(COLOR_GREEN)
        }
    }

    // MARK: signals

    private static let restoredSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// The fatal signal received and not yet handled (0: none). Written by the signal handler,
    /// which may only do async-signal-safe work: a lock-free atomic store.
    private static let pendingSignal = Atomic<Int32>(0)

    /// On a fatal signal, remember it; the main loop (which wakes at least every 200 ms)
    /// restores the terminal outside signal context and then dies of the same signal.
    private static func installSignalHandlers() {
        for signalNumber in restoredSignals {
            signal(signalNumber) { received in
                NCursesTerminal.pendingSignal.store(received, ordering: .relaxed)
            }
        }
    }

    /// If a fatal signal arrived: restore the terminal, run `cleanup`, and die of the signal with
    /// its default action.
    func dieIfSignalled(then cleanup: ((Int32) -> Void)? = nil) {
        let received = NCursesTerminal.pendingSignal.exchange(0, ordering: .relaxed)
        guard received != 0 else { return }
        close()
        // Until cleanup is done, a second signal must not end the process early.
        for signalNumber in NCursesTerminal.restoredSignals { signal(signalNumber, SIG_IGN) }
        cleanup?(received)
        signal(received, SIG_DFL)
        // Process-directed: the TUI may run on a thread that blocks the signal, so raise() could leave it pending.
        kill(getpid(), received)
        // Should the signal still not end the process, end it the way the signal would have.
        exit(128 + received)
    }

    private static func restoreSignalHandlers() {
        for signalNumber in restoredSignals { signal(signalNumber, SIG_DFL) }
    }
}
