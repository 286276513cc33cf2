/// How the kernel preempts kernel code for a real-time thread: on a kernel that runs
/// `preempt=none` (or `voluntary`), a thread such as the pair thread waits until a task that is
/// in the kernel on its CPU reaches a preemption point, which another process's long system
/// calls can put milliseconds away (measured: 19.5 ms while a compiler ran, enough for a false
/// takeover). `duplexd` tells the operator at start.
public enum KernelPreemption: Sendable, Equatable, CustomStringConvertible {
    /// `PREEMPT_RT`.
    case realtime
    /// `full` or `lazy` (kernel code is preemptible).
    case full
    case voluntary
    case none
    /// A kernel built without preemption of kernel code, `none` or `voluntary`.
    case noneOrVoluntary
    /// A `PREEMPT_DYNAMIC` kernel whose mode is not visible (debugfs not mounted, no `preempt=`
    /// on the command line): it runs the mode it was built with by default.
    case dynamicUnknown

    /// Whether a real-time thread can be held off by another task's kernel work.
    public var holdsOffRealTime: Bool {
        switch self {
        case .realtime, .full: false
        case .voluntary, .none, .noneOrVoluntary, .dynamicUnknown: true
        }
    }

    public var description: String {
        switch self {
        case .realtime: "PREEMPT_RT"
        case .full: "full"
        case .voluntary: "voluntary"
        case .none: "none"
        case .noneOrVoluntary: "none or voluntary (built without preemption)"
        case .dynamicUnknown: "dynamic, mode not visible (the kernel's built-in default)"
        }
    }

    /// Judges from what the kernel shows, best source first.
    /// - Parameters:
    ///   - realtimeFlag: `/sys/kernel/realtime` (`1` on `PREEMPT_RT`), nil if absent.
    ///   - debugfsMode: `/sys/kernel/debug/sched/preempt` (the mode in parentheses, as in
    ///     `none voluntary (full) lazy`), nil if absent.
    ///   - commandLine: `/proc/cmdline`.
    ///   - version: `uname -v` (`#1 SMP PREEMPT_DYNAMIC ...`).
    public static func judge(realtimeFlag: String?, debugfsMode: String?, commandLine: String?, version: String) -> KernelPreemption {
        if realtimeFlag?.trimmingWhitespace == "1" || version.contains("PREEMPT_RT") { return .realtime }
        if let debugfsMode, let open = debugfsMode.firstIndex(of: "("), let close = debugfsMode.firstIndex(of: ")"),
            open < close, let mode = mode(named: String(debugfsMode[debugfsMode.index(after: open)..<close]))
        {
            return mode
        }
        let words = (commandLine ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
        if let word = words.last(where: { $0.hasPrefix("preempt=") }), let mode = mode(named: String(word.dropFirst(8))) {
            return mode
        }
        if version.contains("PREEMPT_DYNAMIC") { return .dynamicUnknown }
        if version.split(separator: " ").contains("PREEMPT") { return .full }
        return .noneOrVoluntary
    }

    private static func mode(named name: String) -> KernelPreemption? {
        switch name {
        case "full", "lazy": .full
        case "voluntary": .voluntary
        case "none": KernelPreemption.none
        default: nil
        }
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<max(start, end)]
    }
}
