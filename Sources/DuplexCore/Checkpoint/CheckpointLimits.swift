/// The explicit limits of one checkpoint, chosen when it is created. Each is at least 1 and at
/// most its global bound in `Limits`; going over one is an error, never a silent truncation.
public struct CheckpointLimits: Sendable, Hashable, CustomStringConvertible {
    /// Bytes of the checkpoint: every section's key and value.
    public var sizeMax: Int
    /// Sections in the checkpoint.
    public var sectionsMax: Int
    /// Bytes of one section's value.
    public var sectionSizeMax: Int
    /// Not a limit but chosen with them at creation and kept with them: each board also keeps
    /// the checkpoint in a crash-safe file (its journal), so that it survives a restart of
    /// both boards. On the wire, bit 31 of the section count field (which old peers refuse as
    /// over a limit rather than drop in silence).
    public var persistent: Bool

    public init(sizeMax: Int, sectionsMax: Int, sectionSizeMax: Int) {
        self.init(sizeMax: sizeMax, sectionsMax: sectionsMax, sectionSizeMax: sectionSizeMax, persistent: false)
    }

    public init(sizeMax: Int, sectionsMax: Int, sectionSizeMax: Int, persistent: Bool) {
        self.sizeMax = sizeMax
        self.sectionsMax = sectionsMax
        self.sectionSizeMax = sectionSizeMax
        self.persistent = persistent
    }

    /// The same limits, kept in a persistent file or not.
    public func persistent(_ persistent: Bool) -> CheckpointLimits {
        var limits = self
        limits.persistent = persistent
        return limits
    }

    /// Every limit at its global bound.
    public static let maximal = CheckpointLimits(
        sizeMax: Limits.checkpointSizeMax, sectionsMax: Limits.sectionsMax,
        sectionSizeMax: Limits.sectionSizeMax)

    /// Checks each limit against its global bound.
    /// - Throws: `CheckpointError` with code `invalidLimits`, naming the first limit out of range.
    public func validate(checkpoint name: String) throws(CheckpointError) {
        let bounds: [(Int, Int, String)] = [
            (sizeMax, Limits.checkpointSizeMax, "size"),
            (sectionsMax, Limits.sectionsMax, "sections"),
            (sectionSizeMax, Limits.sectionSizeMax, "section size"),
        ]
        for (value, bound, what) in bounds where value < 1 || value > bound {
            throw CheckpointError(
                .invalidLimits, checkpoint: name, value: UInt64(clamping: value), limit: UInt64(bound),
                detail: what)
        }
    }

    public var description: String {
        "size \(sizeMax) B, \(sectionsMax) sections, section \(sectionSizeMax) B" + (persistent ? ", persistent" : "")
    }
}

extension CheckpointLimits {
    /// The bit of the encoded section count that marks a persistent checkpoint.
    static let persistentBit: UInt32 = 1 << 31

    /// The section count field as every encoding carries it: the count (clamped below bit
    /// 31, so that one too large is still refused as over its bound) and the persistent bit.
    var encodedSections: UInt32 {
        min(UInt32(clamping: sectionsMax), ~Self.persistentBit) | (persistent ? Self.persistentBit : 0)
    }
}
