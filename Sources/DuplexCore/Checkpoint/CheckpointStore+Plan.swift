/// The effect of one update, computed before anything changes: the store applies it only when
/// every limit holds, which is what makes an update all or nothing.
struct UpdatePlan: Sendable {
    var limits: CheckpointLimits
    var creates = false
    var removes = false
    /// The final state of each section the update touches (nil: deleted), each key once, in
    /// the order first touched: searched linearly (at most `Limits.checkpointOperationsMax`
    /// keys), because a dictionary per update cost more than the update itself.
    var changes = PlanChanges()

    /// The index of `key` in `changes`.
    func changeIndex(_ key: SectionKey) -> Int? {
        changes.index(of: key)
    }
    var size: Int
    var sections: Int
    var checksum: UInt32
    var storeSize: Int
    /// The update's operation count (the capacity `changes` needs).
    var operations = 0
    /// Where the checkpoint is in the store (nil: it is being created); valid until the store
    /// changes, and `apply` follows `plan` with no change between.
    var index: Dictionary<String, Checkpoint>.Index?
    /// Where the first section the update touches is in the checkpoint, if it exists: used
    /// when it is the only one (valid likewise).
    var sectionIndex: Dictionary<SectionKey, Section>.Index?
    /// The update adds or removes a key (not only overwrites).
    var changesKeys = false
}

/// The changes of an update plan: the first one inline, the others in an array allocated
/// only when a second key comes (most updates write one section: an allocation and a release
/// less per write on the active and on the replica).
struct PlanChanges: Sendable, RandomAccessCollection {
    typealias Element = (key: SectionKey, section: Section?)

    private var first: Element?
    private var rest: [Element] = []

    var startIndex: Int { 0 }
    var endIndex: Int { first == nil ? 0 : 1 + rest.count }

    subscript(position: Int) -> Element {
        get {
            precondition(position >= 0 && position < endIndex, "a change of the plan")
            return position == 0 ? first! : rest[position - 1]
        }
        set {
            precondition(position >= 0 && position < endIndex, "a change of the plan")
            if position == 0 { first = newValue } else { rest[position - 1] = newValue }
        }
    }

    /// The index of the change of `key`, if any.
    func index(of key: SectionKey) -> Int? {
        guard let first else { return nil }
        if first.key == key { return 0 }
        return rest.firstIndex { $0.key == key }.map { $0 + 1 }
    }

    /// Moves the section of change `position` out (nil left in its place): applying a plan
    /// takes its sections instead of copying them.
    mutating func takeSection(_ position: Int) -> Section? {
        precondition(position >= 0 && position < endIndex, "a change of the plan")
        if position == 0 { return first!.section.take() }
        return rest[position - 1].section.take()
    }

    /// Adds the change of a key not in the plan yet; `capacity` is the most the plan can hold.
    mutating func append(_ change: consuming Element, capacity: Int) {
        guard first != nil else {
            first = change
            return
        }
        if rest.isEmpty { rest.reserveCapacity(Swift.max(capacity - 1, 1)) }
        rest.append(change)
    }
}

extension CheckpointStore {
    /// Checkpoints small enough for the debug build to verify in full after every update
    /// (the check is linear in the checkpoint's size, so larger ones would make every write
    /// of a test quadratic).
    static let verifiedAfterEachUpdateMax = 8

    /// Mutating only to read the checkpoint in place: the store does not change. (A read
    /// through the dictionary copies the whole checkpoint out, a retain and a release of each
    /// of its references per update; the in-place access borrows it.)
    mutating func plan(_ update: CheckpointUpdate) throws(CheckpointError) -> UpdatePlan {
        let name = update.checkpoint
        try checkShape(update)
        // Found once: `apply` changes the checkpoint at this index, without hashing its name again.
        let index = index(of: name)
        var plan: UpdatePlan
        if case .create(let limits) = update.operations[0] {
            guard index == nil else { throw CheckpointError(.checkpointExists, checkpoint: name) }
            guard checkpoints.count < Limits.checkpointsMax else {
                throw CheckpointError(
                    .tooManyCheckpoints, checkpoint: name, value: UInt64(checkpoints.count + 1),
                    limit: UInt64(Limits.checkpointsMax))
            }
            try limits.validate(checkpoint: name)
            plan = UpdatePlan(limits: limits, creates: true, size: 0, sections: 0, checksum: 0, storeSize: size)
            plan.operations = update.operations.count
            try Self.fold(update, into: &plan, existing: nil)
        } else {
            guard let index else { throw CheckpointError(.noSuchCheckpoint, checkpoint: name) }
            let storeSize = size
            plan = try withUnsafeMutablePointer(to: &checkpoints.values[index]) { existing throws(CheckpointError) in
                var plan = UpdatePlan(
                    limits: existing.pointee.limits, size: existing.pointee.size, sections: existing.pointee.sectionCount,
                    checksum: existing.pointee.checksum, storeSize: storeSize)
                plan.operations = update.operations.count
                plan.index = index
                try Self.fold(update, into: &plan, existing: UnsafePointer(existing))
                return consume plan
            }
        }
        try checkBounds(plan, checkpoint: name)
        let encoded = update.encodedSize
        guard encoded <= Limits.checkpointUpdateSizeMax else {
            throw CheckpointError(
                .updateTooLarge, checkpoint: name, value: UInt64(encoded), limit: UInt64(Limits.checkpointUpdateSizeMax))
        }
        return consume plan  // moved out: a plain `return plan` copied it and destroyed the original
    }

    /// Folds every operation of `update` into `plan`; `existing`: the checkpoint as it is (nil
    /// when the update creates it), valid for the call.
    private static func fold(
        _ update: CheckpointUpdate, into plan: inout UpdatePlan, existing: UnsafePointer<Checkpoint>?
    ) throws(CheckpointError) {
        // By index: `for operation in` would copy each operation (its bytes retained).
        for index in update.operations.indices {
            try fold(update.operations[index], into: &plan, existing: existing, checkpoint: update.checkpoint)
        }
    }

    /// The name, the number of operations, `create` only first and `remove` only alone.
    private func checkShape(_ update: CheckpointUpdate) throws(CheckpointError) {
        let name = update.checkpoint
        let nameSize = name.utf8.count
        guard nameSize >= 1, nameSize <= Limits.checkpointNameSizeMax else {
            throw CheckpointError(
                .invalidName, checkpoint: name, value: UInt64(nameSize), limit: UInt64(Limits.checkpointNameSizeMax))
        }
        let count = update.operations.count
        guard count >= 1, count <= Limits.checkpointOperationsMax else {
            throw CheckpointError(
                .tooManyOperations, checkpoint: name, value: UInt64(count), limit: UInt64(Limits.checkpointOperationsMax))
        }
        for (index, operation) in update.operations.enumerated() {
            switch operation {
            case .create where index != 0:
                throw CheckpointError(.malformedUpdate, checkpoint: name, detail: "create is not the first operation")
            case .remove where count != 1:
                throw CheckpointError(.malformedUpdate, checkpoint: name, detail: "remove is not the only operation")
            default:
                continue
            }
        }
    }

    private static func fold(
        _ operation: CheckpointUpdate.Operation, into plan: inout UpdatePlan, existing: UnsafePointer<Checkpoint>?,
        checkpoint name: String
    ) throws(CheckpointError) {
        // What `retract` needs of the section `key` holds now: its length and CRC, read in place
        // (returning the section would copy it, a retain and a release of its bytes).
        func current(_ key: SectionKey) -> (count: Int, checksum: UInt32)? {
            if let index = plan.changeIndex(key) {
                guard let section = plan.changes[index].section else { return nil }
                return (Int(section.valueLength), section.checksum)
            }
            guard let existing, let index = existing.pointee.sections.index(forKey: key) else { return nil }
            // The first key touched: an update of that key alone applies at this index.
            if plan.changes.isEmpty { plan.sectionIndex = index }
            return (Int(existing.pointee.sections.values[index].valueLength), existing.pointee.sections.values[index].checksum)
        }
        // Takes the section: it moves into the plan instead of being copied (a retain and a
        // release of its bytes per write).
        func change(_ key: SectionKey, _ section: consuming Section?) {
            if let index = plan.changeIndex(key) {
                plan.changes[index].section = section
            } else {
                plan.changes.append((key, section), capacity: plan.operations)
            }
        }
        func retract(_ key: SectionKey, _ old: (count: Int, checksum: UInt32)) {
            let footprint = Checkpoint.footprint(key: key, count: old.count)
            plan.size -= footprint
            plan.storeSize -= footprint
            plan.sections -= 1
            plan.checksum &-= old.checksum
        }
        switch operation {
        case .create:
            assert(plan.creates, "create was checked as the first operation")
        case .remove:
            plan.removes = true
            plan.storeSize -= plan.size
        case .write(let key, let bytes):
            try checkKey(key, checkpoint: name)
            guard bytes.count <= plan.limits.sectionSizeMax else {
                throw CheckpointError(
                    .sectionTooLarge, checkpoint: name, key: key, value: UInt64(bytes.count),
                    limit: UInt64(plan.limits.sectionSizeMax))
            }
            if let old = current(key) { retract(key, old) } else { plan.changesKeys = true }
            let section = Section(key: key, bytes: bytes)
            let footprint = Checkpoint.footprint(key: key, count: bytes.count)
            plan.size += footprint
            plan.storeSize += footprint
            plan.sections += 1
            plan.checksum &+= section.checksum
            change(key, section)
        case .delete(let key):
            try checkKey(key, checkpoint: name)
            guard let old = current(key) else { throw CheckpointError(.noSuchSection, checkpoint: name, key: key) }
            retract(key, old)
            plan.changesKeys = true
            change(key, nil)
        }
    }

    private static func checkKey(_ key: SectionKey, checkpoint name: String) throws(CheckpointError) {
        guard key.count <= Limits.sectionKeySizeMax else {
            throw CheckpointError(
                .keyTooLarge, checkpoint: name, key: SectionKey(Array(key.bytes.prefix(16))),
                value: UInt64(key.count), limit: UInt64(Limits.sectionKeySizeMax))
        }
    }

    private func checkBounds(_ plan: UpdatePlan, checkpoint name: String) throws(CheckpointError) {
        guard !plan.removes else { return }
        guard plan.size <= plan.limits.sizeMax else {
            throw CheckpointError(
                .checkpointTooLarge, checkpoint: name, value: UInt64(plan.size), limit: UInt64(plan.limits.sizeMax))
        }
        guard plan.sections <= plan.limits.sectionsMax else {
            throw CheckpointError(
                .tooManySections, checkpoint: name, value: UInt64(plan.sections),
                limit: UInt64(plan.limits.sectionsMax))
        }
        guard plan.storeSize <= Limits.checkpointStoreSizeMax else {
            throw CheckpointError(
                .storeTooLarge, checkpoint: name, value: UInt64(plan.storeSize),
                limit: UInt64(Limits.checkpointStoreSizeMax))
        }
    }

    /// Applies a plan made by `plan(_:)` for this update; it cannot fail.
    mutating func apply(_ plan: consuming UpdatePlan, of update: CheckpointUpdate) {
        precondition(update.sequence == sequence + 1, "updates apply in sequence")
        let name = update.checkpoint
        lastAppliedPersistent.value = plan.limits.persistent
        if plan.removes {
            removeCheckpoint(name)
        } else {
            if plan.creates {
                insert(Checkpoint(name: name, limits: plan.limits, sequence: update.sequence))
            }
            // Changed in place: by the index the plan found, or by name once created.
            guard let index = plan.index ?? checkpoints.index(forKey: name) else {
                preconditionFailure("a planned update's checkpoint exists once created")
            }
            lastChanged.value = LastChanged(name: name, index: index)
            Self.apply(&plan, sequence: update.sequence, to: &checkpoints.values[index])
        }
        size = plan.storeSize
        sequence = update.sequence
    }

    /// Moves the plan's sections into the checkpoint (the plan keeps its figures).
    private static func apply(_ plan: inout UpdatePlan, sequence: UInt64, to checkpoint: inout Checkpoint) {
        if plan.changes.count == 1, let index = plan.sectionIndex {
            checkpoint.set(at: index, plan.changes.takeSection(0))
        } else {
            for position in plan.changes.indices {
                checkpoint.set(plan.changes[position].key, plan.changes.takeSection(position))
            }
        }
        checkpoint.sequence = sequence
        if plan.changesKeys { checkpoint.keysChanged.value = sequence }
        assert(checkpoint.size == plan.size && checkpoint.checksum == plan.checksum, "the plan and the result agree")
        assert(checkpoint.sectionCount == plan.sections, "the plan and the result agree")
        // Paired with the check on read: verify a small checkpoint in full (debug builds).
        assert(
            checkpoint.sectionCount > verifiedAfterEachUpdateMax || (try? checkpoint.verify()) != nil,
            "a checkpoint verifies after every update")
    }
}
