/// One component as the supervisor core needs it: the policy, not the command line.
public struct SupervisedComponent: Sendable, Hashable {
    public var name: String
    /// Indices of the components it comes `after`.
    public var dependencies: [Int]
    public var role: ComponentRole
    public var critical: Bool
    public var restart: RestartPolicy
    public var intensity: RestartIntensity
    public var backoff: RestartBackoff
    public var stopTimeout: Duration
    /// Silent for this long while running: hung. nil: no health watch.
    public var healthTimeout: Duration?
    /// The grace between SIGABRT of a hung component and SIGKILL.
    public var abortTimeout: Duration

    public init(
        name: String, dependencies: [Int] = [], role: ComponentRole = .both, critical: Bool = false,
        restart: RestartPolicy = .onFailure, intensity: RestartIntensity = .default,
        backoff: RestartBackoff = .none, stopTimeout: Duration = .seconds(2),
        healthTimeout: Duration? = nil, abortTimeout: Duration = .seconds(1)
    ) {
        precondition(healthTimeout.map { $0 > .zero } ?? true, "a health timeout is positive")
        self.healthTimeout = healthTimeout
        self.abortTimeout = abortTimeout
        self.name = name
        self.dependencies = dependencies
        self.role = role
        self.critical = critical
        self.restart = restart
        self.intensity = intensity
        self.backoff = backoff
        self.stopTimeout = stopTimeout
    }
}

/// The components of one board, with their dependency order.
public struct SupervisorConfiguration: Sendable, Hashable {
    public let components: [SupervisedComponent]
    /// A topological order: every component after all of its dependencies; ties in the
    /// components' own order.
    public let order: [Int]
    /// For each component, the components that come after it.
    public let dependents: [[Int]]

    /// - Important: traps on more than ``Limits/componentsMax`` components, a dependency
    ///   index out of range, or a cycle (the configuration parser refuses all of these).
    public init(components: [SupervisedComponent]) {
        precondition(components.count <= Limits.componentsMax, "too many components")
        var dependents = [[Int]](repeating: [], count: components.count)
        for (index, component) in components.enumerated() {
            for dependency in component.dependencies {
                precondition(components.indices.contains(dependency) && dependency != index, "bad dependency")
                dependents[dependency].append(index)
            }
        }
        var remaining = components.map { Set($0.dependencies).count }
        var order: [Int] = []
        // Kahn's algorithm, lowest index first: each pass places at least one component.
        for _ in components.indices {
            guard let next = components.indices.first(where: { remaining[$0] == 0 && !order.contains($0) }) else { break }
            order.append(next)
            for dependent in dependents[next] { remaining[dependent] -= 1 }
        }
        precondition(order.count == components.count, "the components' dependencies form a cycle")
        self.components = components
        self.order = order
        self.dependents = dependents
    }

    /// The supervisor's view of the configuration's `[component NAME]` sections.
    public init(_ components: [Configuration.Component]) {
        let names = components.map(\.name)
        self.init(components: components.map { component in
            SupervisedComponent(
                name: component.name,
                dependencies: component.after.map { name in
                    guard let index = names.firstIndex(of: name) else { preconditionFailure("unknown dependency \(name)") }
                    return index
                },
                role: component.role, critical: component.critical, restart: component.restart,
                intensity: component.restartIntensity, backoff: component.restartBackoff,
                stopTimeout: component.stopTimeout, healthTimeout: component.healthTimeout,
                abortTimeout: component.abortTimeout)
        })
    }
}
