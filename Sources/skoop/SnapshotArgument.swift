import ArgumentParser
import SkoopCollector
import SkoopModel

/// `--snapshot demo` names the bundled demo snapshot, for every command that takes `--snapshot`
/// (a directory called demo is reached as `./demo`).
enum SnapshotArgument {
    /// The word that names the bundled demo.
    static let demoName = "demo"

    /// The help line of `--snapshot`.
    static let help = ArgumentHelp("The snapshot directory, or \"demo\" for the bundled demo (a directory named demo: ./demo).")

    /// The directory a `--snapshot` value names.
    static func path(_ value: String) throws -> String {
        guard value == demoName else { return value }
        guard let demo = DemoSnapshot.path else {
            throw InputError(source: "--snapshot demo", expected: "the bundled demo next to the skoop binary",
                             found: "no resource bundle; pass --snapshot DIR")
        }
        return demo
    }

    /// Whether a `--snapshot` value names the bundled demo.
    static func isDemo(_ value: String?) -> Bool { value == demoName }
}
