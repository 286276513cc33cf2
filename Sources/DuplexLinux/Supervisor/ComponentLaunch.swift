public import DuplexCore
import Glibc

/// Everything needed to start one component, prepared once: the C strings of its command
/// line and environment, and its user and group resolved to ids.
final class ComponentLaunch {
    /// The ids a component runs with, when `user` or `group` is set.
    struct Identity: Sendable, Hashable {
        var uid: uid_t
        var gid: gid_t
        var groups: [gid_t]
        var home: String?
        var name: String?
    }

    /// Where the supervisor's `PATH` points children: the usual system directories.
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    let name: String
    let path: String
    let arguments: CStringArray
    let environment: CStringArray
    let directory: String
    let identity: Identity?

    /// - Throws: `LaunchProblem` naming the configuration key when the user or group does not exist.
    init(_ component: Configuration.Component, socketPath: String, componentSocketPath: String) throws(LaunchProblem) {
        name = component.name
        path = component.command
        directory = component.directory ?? "/"
        identity = try Self.identity(user: component.user, group: component.group)
        arguments = CStringArray([component.command] + component.arguments)
        var variables: [(String, String)] = [
            ("PATH", Self.defaultPath), ("DUPLEX_SOCKET", socketPath), ("DUPLEX_COMPONENT_SOCKET", componentSocketPath),
        ]
        if let identity, let user = identity.name {
            variables += [("HOME", identity.home ?? "/"), ("USER", user), ("LOGNAME", user)]
        }
        for variable in component.environment {
            variables.removeAll { $0.0 == variable.name }
            variables.append((variable.name, variable.value))
        }
        variables.append(("DUPLEX_COMPONENT", component.name))
        environment = CStringArray(variables.map { "\($0.0)=\($0.1)" })
    }

    /// Why a component cannot be launched as configured.
    struct LaunchProblem: Error, Sendable, Hashable {
        var key: String
        var message: String
    }

    static func identity(user: String?, group: String?) throws(LaunchProblem) -> Identity? {
        guard user != nil || group != nil else { return nil }
        var identity = Identity(uid: getuid(), gid: getgid(), groups: [], home: nil, name: nil)
        if let user {
            guard let entry = passwd(user) else {
                guard let number = UInt32(user) else { throw LaunchProblem(key: "user", message: "no user \"\(user)\"") }
                identity.uid = number
                identity.gid = number
                identity.groups = []
                return try apply(group: group, to: identity)
            }
            identity.uid = entry.uid
            identity.gid = entry.gid
            identity.home = entry.home
            identity.name = entry.name
        }
        identity = try apply(group: group, to: identity)
        if let name = identity.name { identity.groups = groupList(name, gid: identity.gid) }
        if identity.groups.isEmpty { identity.groups = [identity.gid] }
        return identity
    }

    private static func apply(group: String?, to identity: Identity) throws(LaunchProblem) -> Identity {
        guard let group else { return identity }
        var result = identity
        if let gid = groupID(group) {
            result.gid = gid
        } else if let number = UInt32(group) {
            result.gid = number
        } else {
            throw LaunchProblem(key: "group", message: "no group \"\(group)\"")
        }
        if result.groups.isEmpty { result.groups = [result.gid] }
        return result
    }

    /// The corresponding C function is `getpwnam_r` (by name, then `getpwuid_r` by number).
    private static func passwd(_ user: String) -> (uid: uid_t, gid: gid_t, home: String, name: String)? {
        var entry = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = buffer.withUnsafeMutableBufferPointer { storage in
            if let number = UInt32(user) {
                return getpwuid_r(number, &entry, storage.baseAddress!, storage.count, &result)
            }
            return getpwnam_r(user, &entry, storage.baseAddress!, storage.count, &result)
        }
        guard status == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid, entry.pw_dir.map { String(cString: $0) } ?? "/", entry.pw_name.map { String(cString: $0) } ?? user)
    }

    /// The corresponding C function is `getgrnam_r`.
    private static func groupID(_ group: String) -> gid_t? {
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = buffer.withUnsafeMutableBufferPointer { storage in
            getgrnam_r(group, &entry, storage.baseAddress!, storage.count, &result)
        }
        guard status == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    /// The supplementary groups of `user` (`getgrouplist`), at most 256.
    private static func groupList(_ user: String, gid: gid_t) -> [gid_t] {
        var groups = [gid_t](repeating: 0, count: 256)
        var count: CInt = 256
        let found = getgrouplist(user, gid, &groups, &count)
        guard found >= 0 else { return [gid] }
        return Array(groups.prefix(Int(count)))
    }
}

/// What `duplexd` checks about its components before it starts, beyond the parser.
public enum ComponentPreflight {
    /// Checks what the parser cannot: that the command is an executable regular file, that
    /// the directory exists, and that the user and group exist.
    /// - Returns: the first problem as a configuration error (file, line, key), or nil.
    public static func check(_ components: [Configuration.Component], file: String) -> ConfigurationError? {
        for component in components {
            var info = stat()
            if stat(component.command, &info) != 0 {
                return component.error(file: file, key: "command", "\(component.command): \(String(cString: strerror(errno)))")
            }
            if info.st_mode & S_IFMT != S_IFREG {
                return component.error(file: file, key: "command", "\(component.command) is not a regular file")
            }
            if access(component.command, X_OK) != 0 {
                return component.error(file: file, key: "command", "\(component.command) is not executable")
            }
            if let directory = component.directory, stat(directory, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
                return component.error(file: file, key: "directory", "\(directory) is not a directory")
            }
            do throws(ComponentLaunch.LaunchProblem) {
                _ = try ComponentLaunch.identity(user: component.user, group: component.group)
            } catch {
                return component.error(file: file, key: error.key, error.message)
            }
        }
        return nil
    }
}
