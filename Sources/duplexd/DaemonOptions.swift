import DuplexCore
import DuplexLinux
import Glibc

/// Command-line options of `duplexd` (parsed by hand: the daemon links no argument parser).
struct DaemonOptions {
    var configurationPath = "/etc/duplex/duplexd.conf"
    var checkOnly = false
    var help = false

    static let usage = """
        usage: duplexd [--config PATH] [--check]
          --config PATH   the board's configuration (default /etc/duplex/duplexd.conf)
          --check         validate the configuration and exit
        """

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> DaemonOptions {
        var options = DaemonOptions()
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--config", "-c":
                index += 1
                guard index < arguments.count else { throw UsageError(description: "duplexd: --config needs a path") }
                options.configurationPath = arguments[index]
            case "--check":
                options.checkOnly = true
            case "--help", "-h":
                options.help = true
            default:
                throw UsageError(description: "duplexd: unknown argument '\(arguments[index])'")
            }
            index += 1
        }
        return options
    }
}

func fail(_ status: Int32, _ message: String) -> Never {
    var text = message
    if !text.hasSuffix("\n") { text += "\n" }
    text.withCString { _ = write(2, $0, strlen($0)) }
    exit(status)
}

/// Reads and validates the configuration and the pair's key files; on any error names the
/// file (and line and key) and exits with status 2, so the daemon never starts on a bad
/// configuration.
func loadConfiguration(path: String) -> (Configuration, PairAuthentication?) {
    guard let text = readTextFile(path) else {
        fail(2, "duplexd: cannot read configuration \(path): \(String(cString: strerror(errno)))")
    }
    let configuration: Configuration
    do {
        configuration = try Configuration.parse(text: text, file: path)
    } catch {
        fail(2, "duplexd: \(error)")
    }
    // What the parser cannot see: executables, directories, users and groups.
    if let error = ComponentPreflight.check(configuration.components, file: path) {
        fail(2, "duplexd: \(error)")
    }
    switch PairKeyFile.authentication(configuration.authentication, file: path) {
    case .success(let authentication): return (configuration, authentication)
    case .failure(let error): fail(2, "duplexd: \(error)")
    }
}

func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    for _ in 0..<256 {  // at most 1 MiB
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
