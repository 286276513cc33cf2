import DuplexCore
import Foundation
import Testing

/// `[component NAME]` and `[supervisor]` sections: values, defaults, and the checks of the set.
@Suite struct SupervisorConfigurationTests {
    /// 8 lines; the first component section starts on line 9.
    static let base = """
        [cluster]
        id = 7
        [board]
        id = 1
        name = A
        [link bp0]
        type = ethernet
        interface = bp0

        """

    static func parse(_ components: String) throws(ConfigurationError) -> Configuration {
        try Configuration.parse(text: base + components, file: "c.conf")
    }

    static func error(_ components: String) -> ConfigurationError? {
        do {
            _ = try parse(components)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try Self.parse("""
            [component db]
            command = /usr/bin/db
            [component web]
            command = /usr/local/bin/web   # the server
            argument = --port
            argument = 8080
            argument = "  two words # not a comment "
            argument = ""
            argument = "say \\"hi\\" \\\\ bye"
            environment = LANG=C.UTF-8
            environment = GREETING="a = b # c"
            directory = /srv/web
            user = www-data
            group = 33
            after = db
            role = active
            critical = true
            restart = always
            restart-intensity = 3 in 1.5s
            restart-backoff = 100ms up to 5s
            stop-timeout = 500ms
            [supervisor]
            recovery-command = /usr/local/sbin/recover
            recovery-reason-file = /data/last-recovery
            """)
        let web = try #require(configuration.components.last)
        #expect(configuration.components.map(\.name) == ["db", "web"])
        #expect(web.command == "/usr/local/bin/web")
        #expect(web.lines["command"] == 12)
        #expect(web.lines["argument"] == 17)
        #expect(web.lines[""] == 11)
        #expect(web.arguments == ["--port", "8080", "  two words # not a comment ", "", #"say "hi" \ bye"#])
        #expect(web.environment == [.init(name: "LANG", value: "C.UTF-8"), .init(name: "GREETING", value: "a = b # c")])
        #expect(web.directory == "/srv/web")
        #expect(web.user == "www-data")
        #expect(web.group == "33")
        #expect(web.after == ["db"])
        #expect(web.role == .active)
        #expect(web.critical)
        #expect(web.restart == .always)
        #expect(web.restartIntensity == RestartIntensity(count: 3, period: .milliseconds(1_500)))
        #expect(web.restartBackoff == RestartBackoff(initial: .milliseconds(100), maximum: .seconds(5)))
        #expect(web.stopTimeout == .milliseconds(500))
        #expect(configuration.supervisor.recoveryCommand == "/usr/local/sbin/recover")
        #expect(configuration.supervisor.recoveryReasonFile == "/data/last-recovery")
    }

    @Test func defaults() throws {
        let configuration = try Self.parse("[component a]\ncommand = /bin/true\n")
        let component = try #require(configuration.components.first)
        #expect(component == Configuration.Component(name: "a", command: "/bin/true", lines: ["": 9, "command": 10]))
        #expect(component.role == .both && !component.critical && component.restart == .onFailure)
        #expect(component.restartIntensity == RestartIntensity(count: 5, period: .seconds(10)))
        #expect(component.restartBackoff == .none)
        #expect(component.stopTimeout == .seconds(2))
        #expect(configuration.supervisor == Configuration.Supervisor(
            recoveryCommand: "/sbin/reboot", recoveryReasonFile: "/var/lib/duplex/last-recovery"))
        #expect(try Self.parse("").components.isEmpty)
    }

    @Test func backoffForms() throws {
        let forms: [(String, RestartBackoff)] = [
            ("none", .none), ("0", .none), ("250ms", RestartBackoff(initial: .milliseconds(250), maximum: .milliseconds(250))),
            ("1ms up to 1ms", RestartBackoff(initial: .milliseconds(1), maximum: .milliseconds(1))),
        ]
        for (text, expected) in forms {
            let configuration = try Self.parse("[component a]\ncommand = /bin/true\nrestart-backoff = \(text)\n")
            #expect(configuration.components[0].restartBackoff == expected, "\(text)")
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let code: ConfigurationError.Code
        let line: Int
        let section: String?
        let key: String?
        let message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "missing command", text: "[component a]\nrole = active\n",
              code: .missingKey, line: 9, section: "component a", key: "command", message: "missing required key"),
        .init(name: "relative command", text: "[component a]\ncommand = bin/a\n",
              code: .invalidValue, line: 10, section: "component a", key: "command", message: "not an absolute path"),
        .init(name: "unnamed section", text: "[component]\ncommand = /a\n",
              code: .unknownSection, line: 9, section: "component", key: nil, message: "needs a name"),
        .init(name: "duplicate name", text: "[component a]\ncommand = /a\n[component a]\ncommand = /b\n",
              code: .duplicateSection, line: 11, section: "component a", key: nil, message: "line 9"),
        .init(name: "unknown key", text: "[component a]\ncommand = /a\nargs = x\n",
              code: .unknownKey, line: 11, section: "component a", key: "args", message: "argument"),
        .init(name: "duplicate single key", text: "[component a]\ncommand = /a\ncommand = /b\n",
              code: .duplicateKey, line: 11, section: "component a", key: "command", message: "line 10"),
        .init(name: "unknown dependency", text: "[component a]\ncommand = /a\nafter = b, c\n[component b]\ncommand = /b\n",
              code: .inconsistent, line: 11, section: "component a", key: "after", message: "\"c\" is not a component (components: b)"),
        .init(name: "self dependency", text: "[component a]\ncommand = /a\nafter = a\n",
              code: .inconsistent, line: 11, section: "component a", key: "after", message: "after itself"),
        .init(name: "cycle", text: """
            [component a]
            command = /a
            after = c
            [component b]
            command = /b
            after = a
            [component c]
            command = /c
            after = b
            [component d]
            command = /d
            after = a
            """,
              code: .inconsistent, line: 11, section: "component a", key: "after", message: "dependency cycle: a -> c -> b -> a"),
        .init(name: "role mismatch", text: "[component a]\ncommand = /a\nrole = active\n[component b]\ncommand = /b\nafter = a\n",
              code: .inconsistent, line: 14, section: "component b", key: "after", message: "runs only with role active"),
        .init(name: "listed twice", text: "[component a]\ncommand = /a\n[component b]\ncommand = /b\nafter = a, a\n",
              code: .invalidValue, line: 13, section: "component b", key: "after", message: "listed twice"),
        .init(name: "bad role", text: "[component a]\ncommand = /a\nrole = primary\n",
              code: .invalidValue, line: 11, section: "component a", key: "role", message: "use both, active, standby"),
        .init(name: "bad restart", text: "[component a]\ncommand = /a\nrestart = sometimes\n",
              code: .invalidValue, line: 11, section: "component a", key: "restart", message: "always, on-failure, never"),
        .init(name: "bad intensity", text: "[component a]\ncommand = /a\nrestart-intensity = 5 per 10s\n",
              code: .invalidValue, line: 11, section: "component a", key: "restart-intensity", message: "COUNT in PERIOD"),
        .init(name: "intensity too high", text: "[component a]\ncommand = /a\nrestart-intensity = 101 in 10s\n",
              code: .invalidValue, line: 11, section: "component a", key: "restart-intensity", message: "0...100"),
        .init(name: "backoff max below initial", text: "[component a]\ncommand = /a\nrestart-backoff = 1s up to 10ms\n",
              code: .invalidValue, line: 11, section: "component a", key: "restart-backoff", message: "from 1s to 600s"),
        .init(name: "bad environment", text: "[component a]\ncommand = /a\nenvironment = 1X=2\n",
              code: .invalidValue, line: 11, section: "component a", key: "environment", message: "not a variable name"),
        .init(name: "reserved environment", text: "[component a]\ncommand = /a\nenvironment = DUPLEX_COMPONENT=x\n",
              code: .invalidValue, line: 11, section: "component a", key: "environment", message: "set by duplexd"),
        .init(name: "duplicate environment", text: "[component a]\ncommand = /a\nenvironment = X=1\nenvironment = X=2\n",
              code: .duplicateKey, line: 12, section: "component a", key: "environment", message: "line 11"),
        .init(name: "unterminated quote", text: "[component a]\ncommand = /a\nargument = \"abc\n",
              code: .invalidValue, line: 11, section: "component a", key: "argument", message: "no closing quote"),
        .init(name: "bad user", text: "[component a]\ncommand = /a\nuser = -root\n",
              code: .invalidValue, line: 11, section: "component a", key: "user", message: "not a user or group"),
        .init(name: "stop timeout", text: "[component a]\ncommand = /a\nstop-timeout = 11m\n",
              code: .invalidValue, line: 11, section: "component a", key: "stop-timeout", message: "not a duration"),
        .init(name: "relative recovery command", text: "[supervisor]\nrecovery-command = reboot\n",
              code: .invalidValue, line: 10, section: "supervisor", key: "recovery-command", message: "absolute"),
    ]

    @Test(arguments: cases)
    func errorsNameTheirPlace(_ test: Case) throws {
        let error = try #require(Self.error(test.text), "\(test.name) parsed")
        #expect(error.code == test.code, "\(error)")
        #expect(error.line == test.line, "\(error)")
        #expect(error.section == test.section, "\(error)")
        #expect(error.key == test.key, "\(error)")
        #expect(error.message.contains(test.message), "\(error)")
        #expect(error.description.hasPrefix("c.conf:\(test.line): "), "\(error)")
    }

    @Test func componentCountIsBounded() throws {
        let sections = (0...Limits.componentsMax).map { "[component c\($0)]\ncommand = /c\n" }.joined()
        let error = try #require(Self.error(sections))
        #expect(error.code == .tooMany)
        #expect(error.section == "component c\(Limits.componentsMax)")
        let fits = (1...Limits.componentsMax).map { "[component c\($0)]\ncommand = /c\n" }.joined()
        #expect(try Self.parse(fits).components.count == Limits.componentsMax)
    }

    @Test func argumentCountIsBounded() throws {
        let arguments = String(repeating: "argument = x\n", count: Limits.componentArgumentsMax + 1)
        let error = try #require(Self.error("[component a]\ncommand = /a\n" + arguments))
        #expect(error.code == .tooMany && error.key == "argument")
    }

    @Test func daemonErrorsNameTheKeyLine() throws {
        let configuration = try Self.parse("[component web]\n\ncommand = /missing\n")
        let error = configuration.components[0].error(file: "c.conf", key: "command", "no such file")
        #expect(error.description == "c.conf:11: [component web] command: no such file")
        let user = configuration.components[0].error(file: "c.conf", key: "user", "no such user")
        #expect(user.line == 9, "an unset key points at the section")
    }

    /// The commented example of `Config/board-X.conf`, uncommented, is a valid configuration.
    @Test(arguments: ["board-a.conf", "board-b.conf"])
    func sampleComponentExampleParses(_ name: String) throws {
        let url = ConfigurationTests.configDirectory.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "# [component responder]"))
        for index in start..<lines.count where lines[index].hasPrefix("# ") && !lines[index].hasPrefix("# #") {
            lines[index].removeFirst(2)
        }
        let configuration = try Configuration.parse(text: lines.joined(separator: "\n"), file: name)
        let responder = try #require(configuration.components.first)
        #expect(configuration.components.count == 1)
        #expect(responder.arguments.prefix(2) == ["respond", "--name"])
        #expect(responder.role == .active && responder.critical)
        #expect(configuration.supervisor == Configuration.Supervisor())
        #expect(try ConfigurationTests.sample(name).components.isEmpty, "the example is commented out")
    }

    @Test func dependencyOrderPutsDependenciesFirst() throws {
        let configuration = try Self.parse("""
            [component web]
            command = /w
            after = db, cache
            [component cache]
            command = /c
            after = db
            [component db]
            command = /d
            [component log]
            command = /l
            """)
        let supervisor = SupervisorConfiguration(configuration.components)
        #expect(supervisor.order.map { supervisor.components[$0].name } == ["db", "cache", "web", "log"])
        #expect(supervisor.dependents[2] == [0, 1])
    }
}
