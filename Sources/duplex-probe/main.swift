import Glibc

/// Runs the command and returns the process exit status.
func runProbe(_ arguments: [String]) -> Int32 {
    do throws(ProbeError) {
        switch try ProbeCommand.parse(arguments) {
        case .help:
            StandardStream.writeOutput(ProbeCommand.usage + "\n")
        case .respond(let options):
            try ProbeResponder(options: options).run()
        case .client(let options):
            StandardStream.writeOutput(try ProbeClient(options: options).run() + "\n")
        }
        return 0
    } catch {
        StandardStream.writeError("duplex-probe: error: \(error.message)\n")
        if error.kind == .usage {
            StandardStream.writeError("duplex-probe: run 'duplex-probe --help' for usage\n")
            return 2
        }
        return 1
    }
}

exit(runProbe(Array(CommandLine.arguments.dropFirst())))
