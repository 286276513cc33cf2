import DuplexCore

extension ReplicationSimulation {
    /// Up to `profile.blipsMax` one-sided faults at random times of the faulty part of the
    /// run: most make one board alone see the mate lost and back (the active more often: that
    /// is the loss the standby cannot notice), some move the active alone to a new epoch. Then
    /// 1 to `profile.resyncsMax` operator resyncs of the standby, if any.
    mutating func planBlips(_ random: inout SplitMix64) -> [Blip] {
        var planned: [Blip] = []
        for _ in 0..<(profile.blipsMax > 0 ? random.uniform(0...profile.blipsMax) : 0) {
            // Early enough that the mate is back before the faults stop.
            let at = start + random.uniform(.zero...(profile.duration * 85 / 100))
            let roll = random.uniform(0...9)
            let gap = random.uniform(.microseconds(200)...(.milliseconds(20)))
            planned.append(Blip(at: at, step: roll < 8 ? .lost(active: roll < 6, gap: gap) : .newEpoch))
        }
        for _ in 0..<(profile.resyncsMax > 0 ? random.uniform(1...profile.resyncsMax) : 0) {
            planned.append(Blip(at: start + random.uniform(.zero...(profile.duration * 85 / 100)), step: .resync))
        }
        planned.sort { $0.at < $1.at }
        return planned
    }

    /// Plays the next one-sided fault; none while a crash episode runs (the mate is really
    /// gone then, and the episode tells both boards).
    mutating func runBlip() {
        let blip = blips.removeFirst()
        switch blip.step {
        case .lost(let active, let gap):
            guard crashed == nil, let board = active ? activeIndex : standbyIndex, boards[board].core.mateReachable
            else { return }
            outcome.blips += 1
            record(board, .note("BLIP: mate lost here only, back after \(gap)"))
            handle(board, .mateReachable(false))
            schedule(Blip(at: now + gap, step: .back(board: board, incarnation: boards[board].incarnation)))
        case .back(let board, let incarnation):
            // A crash episode since then tells both boards when the mate is back.
            guard crashed == nil, boards[board].alive, boards[board].incarnation == incarnation,
                !boards[board].core.mateReachable
            else { return }
            record(board, .note("BLIP: mate back"))
            handle(board, .mateReachable(true))
        case .resync:
            guard crashed == nil, let standby = standbyIndex else { return }
            outcome.operatorResyncs += 1
            record(standby, .note("OPERATOR RESYNC"))
            handle(standby, .resyncRequested)
        case .newEpoch:
            guard crashed == nil, let active = activeIndex else { return }
            outcome.blips += 1
            epoch += 1
            record(active, .note("NEW EPOCH \(epoch) on the active alone"))
            handle(active, .roleChanged(.active, epoch: epoch))
        }
    }

    /// Adds a fault in time order (after those at the same instant).
    private mutating func schedule(_ blip: Blip) {
        let index = blips.firstIndex { $0.at > blip.at } ?? blips.endIndex
        blips.insert(blip, at: index)
    }
}
