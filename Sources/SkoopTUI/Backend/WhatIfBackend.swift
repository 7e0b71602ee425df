import Foundation
import SkoopModel
import SkoopDiagnosis

/// Turns the TUI's edit requests into checked what-if edits: the hop's netns is found in the
/// snapshot, a policy file is read (by `readFile`, the caller's I/O). Used by the backend only;
/// the view model asks for edits through effects.
public enum WhatIfBackend {
    /// The checked edit a TUI request asks for; errors say what the hop has.
    public static func edit(_ request: WhatIfRequest, provider: any NodeDataProvider,
                            readFile: (String) throws(InputError) -> String) throws -> WhatIfEdit {
        func maker(_ source: String) -> WhatIfEditMaker { WhatIfEditMaker(provider: provider, source: source) }
        func place(_ hop: Hop, _ source: String) throws(InputError) -> WhatIfPlace {
            guard let place = WhatIfPlace.of(hop, in: provider) else {
                throw InputError(source: source, expected: "a hop whose netns was collected (a pod or a node)", found: "\(hop.type.rawValue) \(hop.id)")
            }
            return place
        }
        switch request {
        case .disableRule(let hop, let table, let chain, let rule):
            let at = try place(hop, "x (disable rule)")
            do {
                return try maker("x (disable rule)").disableRule(at: at, family: .inet, table: table, chain: chain, rule: rule, index: nil)
            } catch {
                // The browser lists iptables and ip6tables rules alike.
                if let edit = try? maker("x (disable rule)").disableRule(at: at, family: .inet6, table: table, chain: chain, rule: rule, index: nil) {
                    return edit
                }
                throw error
            }
        case .deleteRoute(let hop, let spec):
            return try maker(":route del").deleteRoute(at: try place(hop, ":route del"), spec: spec)
        case .addRoute(let hop, let spec):
            return try maker(":route add").addRoute(at: try place(hop, ":route add"), spec: spec)
        case .sysctl(let hop, let key, let value):
            return try maker(":sysctl").setSysctl(at: try place(hop, ":sysctl"), key: key, value: value)
        case .link(let hop, let name, let up):
            return try maker(":link").setLink(at: try place(hop, ":link"), name: name, up: up)
        case .addPolicy(let file):
            // Absolute, so that a saved edits file finds it from anywhere.
            let path = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
            return try maker(":policy add").addPolicies(file: path, text: try readFile(path))
        case .removePolicy(let name):
            return try maker(":policy del").removePolicy(name)
        }
    }

}
