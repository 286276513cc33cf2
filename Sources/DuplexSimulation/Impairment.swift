public import DuplexCore

/// How a path direction misbehaves while an impairment lasts.
public struct Impairment: Sendable, Hashable, CustomStringConvertible {
    public var lossPerMille: UInt64 = 0
    public var duplicatePerMille: UInt64 = 0
    /// Frames picked for reordering get an extra random delay of up to `reorderSpread`, so
    /// that later frames overtake them.
    public var reorderPerMille: UInt64 = 0
    public var reorderSpread: Duration = .milliseconds(5)
    public var corruptPerMille: UInt64 = 0
    public var extraDelay: Duration = .zero
    public var jitter: Duration = .zero
    /// Clogged (swizzle-clog): every frame is held until the impairment ends, then they all
    /// arrive at once, in order.
    public var clog = false

    public init(
        lossPerMille: UInt64 = 0, duplicatePerMille: UInt64 = 0, reorderPerMille: UInt64 = 0,
        reorderSpread: Duration = .milliseconds(5), corruptPerMille: UInt64 = 0,
        extraDelay: Duration = .zero, jitter: Duration = .zero, clog: Bool = false
    ) {
        self.lossPerMille = lossPerMille
        self.duplicatePerMille = duplicatePerMille
        self.reorderPerMille = reorderPerMille
        self.reorderSpread = reorderSpread
        self.corruptPerMille = corruptPerMille
        self.extraDelay = extraDelay
        self.jitter = jitter
        self.clog = clog
    }

    /// Drops every frame.
    public static let blackhole = Impairment(lossPerMille: 1000)

    /// Several impairments on one direction at once: the worst of each.
    func combined(with other: Impairment) -> Impairment {
        Impairment(
            lossPerMille: max(lossPerMille, other.lossPerMille),
            duplicatePerMille: max(duplicatePerMille, other.duplicatePerMille),
            reorderPerMille: max(reorderPerMille, other.reorderPerMille),
            reorderSpread: max(reorderSpread, other.reorderSpread),
            corruptPerMille: max(corruptPerMille, other.corruptPerMille),
            extraDelay: max(extraDelay, other.extraDelay), jitter: max(jitter, other.jitter),
            clog: clog || other.clog)
    }

    public var description: String {
        var parts: [String] = []
        if lossPerMille > 0 { parts.append("loss=\(lossPerMille)‰") }
        if duplicatePerMille > 0 { parts.append("dup=\(duplicatePerMille)‰") }
        if reorderPerMille > 0 { parts.append("reorder=\(reorderPerMille)‰/\(reorderSpread)") }
        if corruptPerMille > 0 { parts.append("corrupt=\(corruptPerMille)‰") }
        if extraDelay > .zero { parts.append("delay=\(extraDelay)") }
        if jitter > .zero { parts.append("jitter=\(jitter)") }
        if clog { parts.append("clogged") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
