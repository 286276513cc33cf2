/// The explicit limits of one checkpoint, chosen when it is created. Each is at least 1 and at
/// most its global bound in `Limits`; going over one is an error, never a silent truncation.
public struct CheckpointLimits: Sendable, Hashable, CustomStringConvertible {
    /// Bytes of the checkpoint: every section's key and value.
    public var sizeMax: Int
    /// Sections in the checkpoint.
    public var sectionsMax: Int
    /// Bytes of one section's value.
    public var sectionSizeMax: Int

    public init(sizeMax: Int, sectionsMax: Int, sectionSizeMax: Int) {
        self.sizeMax = sizeMax
        self.sectionsMax = sectionsMax
        self.sectionSizeMax = sectionSizeMax
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
        "size \(sizeMax) B, \(sectionsMax) sections, section \(sectionSizeMax) B"
    }
}
