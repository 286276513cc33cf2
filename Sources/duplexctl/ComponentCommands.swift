import ArgumentParser
import Duplex

/// `duplexctl start|stop|restart NAME`: one component, carried out by duplexd's supervisor.
protocol ComponentCommandRunner: ParsableCommand {
    static var command: ComponentCommand { get }
    var root: Duplexctl { get }
    var output: OutputOptions { get }
    var name: String { get }
}

extension ComponentCommandRunner {
    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            let client = root.client
            let request = ControlRequest.component(Self.command, name: name)
            switch try client.send(request) {
            case .ok:
                print(output.json ? #"{"ok": true, "component": \#(JSONValue.quote(name)), "command": "\#(Self.command)"}"#
                                  : "\(Self.command) \(name): done")
            case .error(let reply):
                throw DuplexClientError(code: .daemonError, socketPath: client.socketPath,
                                        message: "duplexd refused \(Self.command) \(name): \(reply.message) (\(reply.code))",
                                        daemonReply: reply)
            case let response:
                throw DuplexClientError(code: .protocolError, socketPath: client.socketPath,
                                        message: "bad answer from duplexd: \(response.type) in answer to \(request.type)")
            }
        }
    }
}

struct StartComponent: ComponentCommandRunner {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a component stopped by an operator or left failed.")
    static let command = ComponentCommand.start

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions
    @Argument(help: "The component's name, as in [component NAME].") var name: String
}

struct StopComponent: ComponentCommandRunner {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a component (SIGTERM, SIGKILL after its stop-timeout) and keep it stopped.",
        discussion: "Refused while a running component comes after it. `start` brings it back.")
    static let command = ComponentCommand.stop

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions
    @Argument(help: "The component's name, as in [component NAME].") var name: String
}

struct RestartComponent: ComponentCommandRunner {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Stop a component and start it again (not counted against its restart intensity).")
    static let command = ComponentCommand.restart

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions
    @Argument(help: "The component's name, as in [component NAME].") var name: String
}
