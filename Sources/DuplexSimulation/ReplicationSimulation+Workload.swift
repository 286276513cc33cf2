import DuplexCore

extension ReplicationSimulation {
    static let checkpointNames = ["a", "b", "c"]
    static let keysMax = 24

    /// Sends a write or flush request to a board, remembering it until it is completed.
    mutating func request(_ board: Int, update: CheckpointUpdate?, sync: Bool) {
        let id = nextRequest
        nextRequest += 1
        requests[id] = Request(board: board, sync: sync, issuedAt: now)
        if let update {
            outcome.writes += 1
            handle(board, .writeRequested(request: id, update: update, sync: sync))
        } else {
            handle(board, .flushRequested(request: id))
        }
    }

    /// The sections of `profile.preloadSections`, in batches, before the standby joins:
    /// mostly small, some larger than a snapshot chunk.
    mutating func preload() {
        guard profile.preloadSections > 0 else { return }
        request(0, update: CheckpointUpdate(checkpoint: "bulk", operations: [.create(.maximal)]), sync: false)
        var operations: [CheckpointUpdate.Operation] = []
        var size = 0
        for index in 0..<profile.preloadSections {
            let roll = workload.uniform(0...99)
            let length = roll < 80 ? workload.uniform(0...1024) : roll < 95 ? workload.uniform(1025...4096) : workload.uniform(8_000...20_000)
            let key = SectionKey("s\(index)")
            if size + length + 300 > 40_000 || operations.count == 16 {
                request(0, update: CheckpointUpdate(checkpoint: "bulk", operations: operations), sync: false)
                operations = []
                size = 0
            }
            operations.append(.write(key, bytes(length)))
            size += length + 300
        }
        if !operations.isEmpty {
            request(0, update: CheckpointUpdate(checkpoint: "bulk", operations: operations), sync: false)
        }
    }

    /// One random write (or flush) on the active, and the time of the next.
    mutating func writeOnActive() {
        nextWriteAt = now + workload.uniform(profile.writeGap)
        guard let active = activeIndex else { return }
        if workload.chance(perMille: profile.flushPerMille) {
            return request(active, update: nil, sync: true)
        }
        // A burst of writes at one instant; a sync write ends it (its client waits).
        for _ in 0..<workload.uniform(1...max(1, profile.burstMax)) {
            let update = randomUpdate(boards[active].core.store)
            let sync = workload.chance(perMille: profile.syncPerMille)
            request(active, update: update, sync: sync)
            guard !sync, boards[active].alive, boards[active].core.role == .active else { break }
        }
    }

    private mutating func randomUpdate(_ store: CheckpointStore) -> CheckpointUpdate {
        let name = workload.pick(Self.checkpointNames)
        guard let checkpoint = store.checkpoint(name) else {
            let limits = workload.chance(perMille: 300)
                ? CheckpointLimits(sizeMax: 4096, sectionsMax: 16, sectionSizeMax: 512)
                : CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 512, sectionSizeMax: 8192)
            return CheckpointUpdate(checkpoint: name, operations: [.create(limits)])
        }
        let roll = workload.uniform(0...99)
        if roll < 2 { return CheckpointUpdate(checkpoint: name, operations: [.remove]) }
        let count = roll < 80 ? 1 : workload.uniform(2...5)
        let keys = checkpoint.keys
        var operations: [CheckpointUpdate.Operation] = []
        for _ in 0..<count {
            operations.append(randomOperation(checkpoint, keys: keys))
        }
        return CheckpointUpdate(checkpoint: name, operations: operations)
    }

    /// Mostly valid: writes of small values, deletes of existing keys; sometimes over a limit
    /// or deleting a key that is not there (refused, and the store must not change).
    private mutating func randomOperation(_ checkpoint: Checkpoint, keys: [SectionKey]) -> CheckpointUpdate.Operation {
        let key = SectionKey("k\(workload.uniform(0..<Self.keysMax))")
        let roll = workload.uniform(0...99)
        if roll < 20 {
            return .delete(keys.isEmpty || roll < 2 ? key : workload.pick(keys))
        }
        var length = roll < 23
            ? checkpoint.limits.sectionSizeMax + workload.uniform(0...10)
            : workload.uniform(0...min(300, checkpoint.limits.sectionSizeMax))
        if roll >= 23, profile.largeSectionsPerMille > 0, checkpoint.limits.sectionSizeMax >= 1_500,
            workload.chance(perMille: profile.largeSectionsPerMille)
        {
            length = workload.uniform(1_500...min(8_192, checkpoint.limits.sectionSizeMax))
        }
        return .write(key, bytes(length))
    }

    private mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var word: UInt64 = 0
        for index in 0..<count {
            if index % 8 == 0 { word = workload.next() }
            result[index] = UInt8(truncatingIfNeeded: word >> ((index % 8) * 8))
        }
        return result
    }

    /// Up to two crash episodes, each in its own part of the run: the active dies (the standby
    /// takes over, the dead board comes back as a new standby), or the standby restarts.
    mutating func planEpisodes(_ random: inout SplitMix64) -> [Episode] {
        guard profile.crashes else { return [] }
        var episodes: [Episode] = []
        for fraction: UInt64 in [15, 60] {
            let kind = random.uniform(0...2)
            guard kind > 0 else { continue }
            let from = start + profile.duration * fraction / 100
            let crash = from + random.uniform(.zero...(profile.duration / 10))
            let detect = crash + random.uniform(.milliseconds(2)...(.milliseconds(20)))
            let restart = detect + random.uniform(.milliseconds(10)...(.milliseconds(150)))
            episodes.append(Episode(at: crash, step: .crash(active: kind == 1)))
            episodes.append(Episode(at: detect, step: .detect))
            episodes.append(Episode(at: restart, step: .restart))
        }
        return episodes
    }
}
