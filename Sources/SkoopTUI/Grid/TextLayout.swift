/// Fitting styled text into a width: wrapping and sideways scrolling.
enum TextLayout {
    /// Display columns of a text.
    static func width(of text: String) -> Int {
        text.reduce(0) { $0 + Cell.displayWidth(of: $1) }
    }

    /// Display columns of a styled line.
    static func width(of line: StyledLine) -> Int {
        line.reduce(0) { $0 + width(of: $1.text) }
    }

    /// The line without its first `columns` display columns (sideways scroll).
    static func dropping(_ columns: Int, from line: StyledLine) -> StyledLine {
        guard columns > 0 else { return line }
        var remaining = columns
        var result: StyledLine = []
        for span in line {
            guard remaining > 0 else {
                result.append(span)
                continue
            }
            var kept = ""
            for character in span.text {
                if remaining > 0 {
                    remaining -= Cell.displayWidth(of: character)
                } else {
                    kept.append(character)
                }
            }
            if !kept.isEmpty { result.append(Span(kept, span.style)) }
        }
        return result
    }

    /// The line cut into lines of at most `width` columns, at a space when one is near the end;
    /// continuation lines start with `indent` blanks (bounded so every line makes progress).
    static func wrap(_ line: StyledLine, width: Int, indent: Int = 0) -> [StyledLine] {
        guard width > 0 else { return [line] }
        let characters = line.flatMap { span in span.text.map { (character: $0, style: span.style) } }
        let hangingIndent = min(indent, width / 2)
        var lines: [StyledLine] = []
        var start = 0
        while start < characters.count || lines.isEmpty {
            let room = lines.isEmpty ? width : width - hangingIndent
            var end = start
            var used = 0
            while end < characters.count, used + Cell.displayWidth(of: characters[end].character) <= room {
                used += Cell.displayWidth(of: characters[end].character)
                end += 1
            }
            if end == start, end < characters.count { end += 1 }  // a character wider than the room
            if end < characters.count,
               let space = characters[start..<end].lastIndex(where: { $0.character == " " }), space > start + room / 2 {
                end = space + 1
            }
            var piece: StyledLine = lines.isEmpty || hangingIndent == 0 ? [] : [Span(String(repeating: " ", count: hangingIndent))]
            for (character, style) in characters[start..<end] {
                if let last = piece.last, last.style == style {
                    piece[piece.count - 1].text.append(character)
                } else {
                    piece.append(Span(String(character), style))
                }
            }
            lines.append(piece)
            start = end
        }
        return lines
    }
}
