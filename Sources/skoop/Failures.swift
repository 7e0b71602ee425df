import ArgumentParser
import Foundation
import SkoopModel
import SkoopDiagnosis

/// sysexits codes the CLI uses.
enum ExitStatus {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let software: Int32 = 70
}

/// Prints one line to standard error, made safe for the terminal.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("skoop: " + TerminalSafe.strip(message) + "\n").utf8))
}

/// Runs `body`, turning input and setup errors into one line and a sysexits code.
func reportingFailures<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as InputError {
        printError(error.description)
        throw ExitCode(ExitStatus.dataError)
    } catch let error as DiagnosisSetupError {
        printError(error.description)
        throw ExitCode(ExitStatus.usage)
    }
}
