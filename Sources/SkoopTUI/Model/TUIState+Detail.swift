import SkoopModel

extension TUIState {
    /// How a hop is named on screen.
    func hopLabel(_ hop: Hop) -> String {
        "\(hop.type.rawValue) \(hop.id)"
    }

    /// "DNAT", "SNAT", both, or "mark" when the packet changed at a hop; nil when it did not.
    static func natKind(from before: Packet?, to after: Packet) -> String? {
        guard let before, before != after else { return nil }
        var kinds: [String] = []
        if before.dst != after.dst || before.dport != after.dport { kinds.append("DNAT") }
        if before.src != after.src || before.sport != after.sport { kinds.append("SNAT") }
        if kinds.isEmpty { kinds.append(before.mark != after.mark ? "mark" : "changed") }
        return kinds.joined(separator: "+")
    }

    static func attributesText(_ attributes: LinkAttributes) -> String {
        attributes.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// Lines describing a row's hop: arrival, each departure (attributes, NAT, routes, rules) and
    /// the shown suspicions. Used by the detail pane, inline expansion, copy and export.
    func detailLines(for key: RowKey, includeTitle: Bool) -> [StyledLine] {
        guard let hop = hop(of: key) else { return [] }
        let dim = CellStyle(.dim)
        var lines: [StyledLine] = []
        if includeTitle {
            lines.append([Span(hopLabel(hop), CellStyle(.title, bold: true))])
        }
        if let arrival = arrival(of: key) {
            lines.append([Span("arrived ", dim), Span("#\(arrival.id) \(arrival.type.rawValue) from "),
                          Span(hopLabel(arrival.source))])
            lines.append([Span("  packet ", dim), Span(arrival.packet.description)])
            if !arrival.destinationAttributes.isEmpty {
                lines.append([Span("  in     ", dim), Span(Self.attributesText(arrival.destinationAttributes))])
            }
        }
        for link in departures(of: key) {
            lines += departureLines(link)
        }
        let all = suspicions(of: hop)
        let shown = all.filter { $0.level >= minimumLevel }
        for suspicion in shown.sorted(by: { $0.level > $1.level }) {
            let role = GlyphSet.role(suspicion.level)
            lines.append([Span(glyphs.label(suspicion.level), CellStyle(role, bold: true)), Span(" " + suspicion.message)])
            if let evidence = suspicion.evidence {
                lines.append([Span("    evidence ", dim), Span(evidence)])
            }
            if let hint = suspicion.hint {
                lines.append([Span("    hint     ", dim), Span(hint, CellStyle(.accent))])
            }
        }
        if shown.count < all.count {
            lines.append([Span("(\(all.count - shown.count) suspicion(s) below the filter)", dim)])
        }
        return lines
    }

    private func departureLines(_ link: Link) -> [StyledLine] {
        let dim = CellStyle(.dim)
        var lines: [StyledLine] = []
        var header: StyledLine = [Span("#\(link.id) \(link.action.rawValue) ", CellStyle(.accent, bold: true))]
        switch link.action {
        case .drop: header.append(Span(glyphs.dropped, CellStyle(.dropped, bold: true)))
        case .serve: header.append(Span(glyphs.served, CellStyle(.served, bold: true)))
        default:
            header.append(Span("\(link.type.rawValue) \(glyphs.arrow) "))
            header.append(Span(link.destination.map(hopLabel) ?? "?"))
        }
        if link.probability < 1 {
            header.append(Span(" p=" + Self.percent(link.probability), dim))
        }
        lines.append(header)
        if let nat = Self.natKind(from: link.packetIn, to: link.packet), let before = link.packetIn {
            lines.append([Span("  before ", dim), Span(before.description)])
            lines.append([Span("  after  ", dim), Span(link.packet.description, CellStyle(.accent)),
                          Span("  " + nat, CellStyle(.accent, bold: true))])
        } else {
            lines.append([Span("  packet ", dim), Span(link.packet.description)])
        }
        if !link.sourceAttributes.isEmpty {
            lines.append([Span("  src    ", dim), Span(Self.attributesText(link.sourceAttributes))])
        }
        if !link.destinationAttributes.isEmpty {
            lines.append([Span("  dst    ", dim), Span(Self.attributesText(link.destinationAttributes))])
        }
        for assumption in link.assumptions {
            lines.append([Span("  assumes ", dim), Span(assumption, CellStyle(.accent))])
        }
        for route in link.routes {
            var text = route.route ?? "no route to \(route.destination)"
            text += " table \(route.table) (\(route.outcome))"
            if let rule = route.rule { text += " rule \(rule)" }
            lines.append([Span("  route  ", dim), Span(text)])
        }
        if !link.netfilter.isEmpty {
            let matched = link.netfilter.filter(\.matched)
            lines.append([Span("  rules  ", dim),
                          Span("\(link.netfilter.count) evaluated, \(matched.count) matched (i: browse)")])
            for entry in matched where !["JUMP", "GOTO", "RETURN", "CONTINUE"].contains(entry.verdict) {
                lines.append([Span("    \(entry.table)/\(entry.chain) ", dim), Span(entry.rule),
                              Span(" \(glyphs.arrow) \(entry.verdict)", CellStyle(Self.verdictRole(entry.verdict), bold: true))])
            }
        }
        return lines
    }

    static func percent(_ probability: Double) -> String {
        let hundredths = Int((probability * 100).rounded())
        return "0." + (hundredths < 10 ? "0" : "") + String(hundredths)
    }

    /// Green for accepting verdicts, red for dropping ones.
    static func verdictRole(_ verdict: String) -> ColorRole {
        let upper = verdict.uppercased()
        if upper.contains("DROP") || upper.contains("REJECT") { return .dropped }
        if upper.contains("ACCEPT") { return .served }
        return .accent
    }

    /// The plain text of a styled line.
    func plainText(of line: StyledLine) -> String {
        TerminalSafe.strip(line.map(\.text).joined())
    }

    /// The text `y` copies on the current screen.
    func copyText() -> String? {
        switch screen {
        case .start:
            return suggestions.indices.contains(startCursor.selection)
                ? suggestions[startCursor.selection].query.description : nil
        case .main:
            guard let key = selectedRow else { return nil }
            return detailLines(for: key, includeTitle: true).map(plainText).joined(separator: "\n")
        case .rules:
            guard let rules, rules.rows.indices.contains(rules.cursor.selection) else { return nil }
            return TerminalSafe.strip(rules.text(of: rules.rows[rules.cursor.selection]))
        case .suspicions:
            guard suspicionRows.indices.contains(suspicionCursor.selection) else { return nil }
            let row = suspicionRows[suspicionCursor.selection]
            // A suspicion that comes with a fix: the YAML is what the user goes on with.
            return row.suspicion.fix.map { fix in
                fix.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalSafe.strip(String($0)) }.joined(separator: "\n")
            } ?? suspicionText(row)
        case .edits:
            let lines = editsLines()
            return lines.indices.contains(editsCursor.selection) ? plainText(of: lines[editsCursor.selection]) : nil
        case .diff:
            return diff.map { TerminalSafe.strip($0.flow.text()) }
        case .matrix:
            return matrixCopyText()
        }
    }

    /// What the shown verdict rests on unproven (none before the verdict is shown).
    var shownAssumptions: [Assumption] {
        shownVerdict == nil ? [] : path.assumptions
    }

    func suspicionText(_ row: (hop: Hop?, suspicion: Suspicion)) -> String {
        var lines = ["\(row.suspicion.level.name) \(row.hop.map(hopLabel) ?? "cluster"): \(row.suspicion.message)"]
        if let evidence = row.suspicion.evidence { lines.append("  evidence: \(evidence)") }
        if let hint = row.suspicion.hint { lines.append("  hint: \(hint)") }
        return lines.map(TerminalSafe.strip).joined(separator: "\n")
    }

    /// A plain-text report of what is shown: query, verdict, the tree with every hop expanded, suspicions.
    func exportReport() -> String {
        var full = self
        full.expanded = Set(rows.compactMap(\.key))
        full.rebuildTree()
        var lines = ["Skoop diagnosis — \(title)"]
        if let query { lines.append("query: \(query)") }
        lines.append("steps: \(stepIndex)/\(steps.count)")
        lines.append("verdict: \(shownVerdict?.rawValue ?? "(running)")")
        if !edits.isEmpty {
            lines.append("what-if (\(edits.count) edit(s) to Skoop's copy only, applied to no cluster):")
            lines += editsLines().map { "  " + plainText(of: $0) }
        }
        lines.append("")
        lines += full.treeText
        lines.append("")
        lines.append("suspicions:")
        lines += suspicionRows.map(suspicionText)
        if !shownAssumptions.isEmpty {
            lines.append("")
            lines.append("assumptions (what the verdict rests on unproven):")
            lines += shownAssumptions.map { "  \($0.node.map(hopLabel) ?? "flow"): \($0.text)" }
        }
        return lines.map(TerminalSafe.strip).joined(separator: "\n") + "\n"
    }
}
