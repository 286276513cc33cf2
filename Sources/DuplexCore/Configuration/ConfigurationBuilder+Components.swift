extension ConfigurationBuilder {
    static let componentKeys = [
        "command", "argument", "environment", "directory", "user", "group", "after", "role", "critical",
        "restart", "restart-intensity", "restart-backoff", "stop-timeout",
        "health-timeout", "health-command", "health-interval", "abort-timeout", "quiesce-timeout",
    ]

    /// The `[component NAME]` sections in file order, 0...``Limits/componentsMax`` of them,
    /// checked as a set: every `after` names another component, roles agree, no cycle.
    func components() throws(ConfigurationError) -> [Configuration.Component] {
        var components: [Configuration.Component] = []
        var readers: [ConfigurationSectionReader] = []
        for section in sections where section.kind == "component" {
            let reader = ConfigurationSectionReader(section: section, file: file)
            guard components.count < Limits.componentsMax else {
                throw reader.error(.tooMany, "too many components (at most \(Limits.componentsMax))")
            }
            try reader.checkKeys(Self.componentKeys, context: "[component NAME]")
            components.append(try component(reader))
            readers.append(reader)
        }
        try checkDependencies(components, readers)
        try checkAcyclic(components, readers)
        return components
    }

    private func component(_ reader: ConfigurationSectionReader) throws(ConfigurationError) -> Configuration.Component {
        let defaults = Configuration.Component(name: "", command: "/")
        let name = reader.section.name ?? ""
        let arguments = try reader.list("argument", .text)
        guard arguments.count <= Limits.componentArgumentsMax else {
            throw reader.error(.tooMany, key: "argument", "too many arguments (at most \(Limits.componentArgumentsMax))")
        }
        let environment = try reader.list("environment", .environmentVariable)
        let entries = reader.entries("environment")
        guard environment.count <= Limits.componentEnvironmentMax else {
            throw reader.error(.tooMany, line: entries[Limits.componentEnvironmentMax].line, key: "environment",
                               "too many variables (at most \(Limits.componentEnvironmentMax))")
        }
        for (index, variable) in environment.enumerated() {
            if let earlier = environment[..<index].firstIndex(where: { $0.name == variable.name }) {
                throw reader.error(.duplicateKey, line: entries[index].line, key: "environment",
                                   "\(variable.name) is already set on line \(entries[earlier].line)")
            }
        }
        let roles = ComponentRole.allCases.map { ($0.description, $0) }
        let policies = RestartPolicy.allCases.map { ($0.description, $0) }
        var component = Configuration.Component(
            name: name,
            command: try reader.required("command", .absolutePath(lengthMax: 4095)),
            arguments: arguments, environment: environment,
            directory: try reader.optional("directory", .absolutePath(lengthMax: 4095)),
            user: try reader.optional("user", .account),
            group: try reader.optional("group", .account),
            after: try reader.value("after", default: [], .nameList),
            role: try reader.value("role", default: defaults.role, .choice(roles, what: "a component role")),
            critical: try reader.value("critical", default: defaults.critical, .boolean),
            restart: try reader.value("restart", default: defaults.restart, .choice(policies, what: "a restart policy")),
            restartIntensity: try reader.value("restart-intensity", default: defaults.restartIntensity, .restartIntensity),
            restartBackoff: try reader.value("restart-backoff", default: defaults.restartBackoff, .restartBackoff),
            stopTimeout: try reader.value("stop-timeout", default: defaults.stopTimeout, .duration(in: .zero ... .seconds(600))),
            lines: reader.section.entries.reduce(into: ["": reader.section.line]) { $0[$1.key] = $1.line }
        )
        try health(reader, into: &component)
        return component
    }

    /// The health keys: a health command needs a health timeout longer than its interval.
    private func health(_ reader: ConfigurationSectionReader, into component: inout Configuration.Component) throws(ConfigurationError) {
        let durations = ConfigurationValueParser<Duration>.duration(in: .milliseconds(1) ... .seconds(3600))
        component.healthTimeout = try reader.optional("health-timeout", durations)
        component.healthCommand = try reader.optional("health-command", .absolutePath(lengthMax: 4095))
        component.healthInterval = try reader.value("health-interval", default: component.healthInterval, durations)
        component.abortTimeout = try reader.value(
            "abort-timeout", default: component.abortTimeout, .duration(in: .zero ... .seconds(600)))
        component.quiesceTimeout = try reader.value(
            "quiesce-timeout", default: component.quiesceTimeout, .duration(in: .zero ... .seconds(600)))
        if component.healthCommand != nil {
            guard let timeout = component.healthTimeout else {
                throw reader.error(.inconsistent, key: "health-command", "a health command needs a health-timeout")
            }
            guard component.healthInterval < timeout else {
                throw reader.error(.inconsistent, key: "health-interval",
                                   "health-interval \(component.healthInterval) must be shorter than health-timeout \(timeout)")
            }
        }
    }

    /// Every `after` names another component that runs whenever the dependent one does.
    private func checkDependencies(
        _ components: [Configuration.Component], _ readers: [ConfigurationSectionReader]
    ) throws(ConfigurationError) {
        let names = components.map(\.name)
        for (component, reader) in zip(components, readers) {
            for dependency in component.after {
                guard dependency != component.name else {
                    throw reader.error(.inconsistent, key: "after", "a component cannot come after itself")
                }
                guard let index = names.firstIndex(of: dependency) else {
                    let known = names.filter { $0 != component.name }
                    throw reader.error(.inconsistent, key: "after", "\"\(dependency)\" is not a component ("
                        + (known.isEmpty ? "there is no other" : "components: \(known.joined(separator: ", "))") + ")")
                }
                let role = components[index].role
                guard component.role.isCovered(by: role) else {
                    throw reader.error(.inconsistent, key: "after",
                        "\(dependency) runs only with role \(role) but \(component.name) runs with role "
                        + "\(component.role): it would wait for \(dependency) forever")
                }
            }
        }
    }

    /// Depth-first search; the first cycle found (from the earliest component in file order)
    /// is reported at that component's `after` line, named in full: `a -> b -> c -> a`.
    private func checkAcyclic(
        _ components: [Configuration.Component], _ readers: [ConfigurationSectionReader]
    ) throws(ConfigurationError) {
        let names = components.map(\.name)
        let edges = components.map { $0.after.compactMap { names.firstIndex(of: $0) } }
        var state = [UInt8](repeating: 0, count: components.count)  // 0 new, 1 on the path, 2 done
        for start in components.indices where state[start] == 0 {
            var path = [start]
            var next = [0]
            state[start] = 1
            // Each step pushes or pops: at most 2 x (components + edges) steps.
            while let top = path.last {
                let edge = next[next.count - 1]
                guard edge < edges[top].count else {
                    state[top] = 2
                    path.removeLast()
                    next.removeLast()
                    continue
                }
                next[next.count - 1] += 1
                let target = edges[top][edge]
                if state[target] == 1 {
                    let cycle = path[path.firstIndex(of: target)!...].map { names[$0] } + [names[target]]
                    throw readers[target].error(.inconsistent, key: "after",
                                                "dependency cycle: \(cycle.joined(separator: " -> "))")
                }
                if state[target] == 0 {
                    state[target] = 1
                    path.append(target)
                    next.append(0)
                }
            }
        }
    }

    func supervisor() throws(ConfigurationError) -> Configuration.Supervisor {
        let defaults = Configuration.Supervisor()
        guard let reader = try reader("supervisor", required: false) else { return defaults }
        try reader.checkKeys(["recovery-command", "recovery-reason-file", "component-socket"], context: "[supervisor]")
        var supervisor = Configuration.Supervisor(
            recoveryCommand: try reader.value("recovery-command", default: defaults.recoveryCommand, .absolutePath(lengthMax: 4095)),
            recoveryReasonFile: try reader.value(
                "recovery-reason-file", default: defaults.recoveryReasonFile, .absolutePath(lengthMax: 4095))
        )
        // sun_path holds 107 bytes and a NUL.
        supervisor.componentSocket = try reader.optional("component-socket", .absolutePath(lengthMax: 107))
        return supervisor
    }
}
