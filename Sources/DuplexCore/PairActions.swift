/// The actions of one `handle` call, stored inline: returning them never allocates.
public struct PairActions: Sendable, RandomAccessCollection {
    /// Equal to `Limits.pendingActionsMax` (a generic argument must be a literal; a unit test
    /// checks they agree).
    public static let capacity = 32
    private var storage: InlineArray<32, PairAction?> = .init(repeating: nil)
    public private(set) var count = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> PairAction {
        precondition(position >= 0 && position < count, "action index out of range")
        return storage[position]!
    }

    /// - Important: traps when more than `capacity` actions are appended (a core bug).
    mutating func append(_ action: PairAction) {
        precondition(count < PairActions.capacity, "too many actions in one step")
        storage[count] = action
        count += 1
    }
}
