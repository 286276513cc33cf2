import DuplexCore

extension Simulation {
    /// Puts a frame on the wire: encoded to bytes, then lost, corrupted, delayed, reordered
    /// or duplicated according to the path's faults.
    mutating func send(_ frame: PairFrame, from index: Int, path: Int) {
        statistics.framesSent += 1
        mix(frame.sequence << 8 | UInt64(path))
        if frame.flags.contains(.handoverOffered) { noteOffer(frame, from: index) }
        guard network.paths[path].carrierUp, !network.blocked(path: path, from: index) else {
            statistics.framesDropped += 1
            return
        }
        var wire = WireFrame(frame)
        let impaired = network.impairment(path: path, from: index)
        let impairment = impaired?.impairment
        var delay = plan.pathDelays[path][index] + rng.uniform(.zero...plan.pathJitter)
        var reordered = false
        if let impairment {
            if rng.chance(perMille: impairment.lossPerMille) {
                statistics.framesDropped += 1
                return
            }
            if rng.chance(perMille: impairment.corruptPerMille) {
                wire.flipBit(rng.uniform(0..<(PairFrame.size * 8)))
                statistics.framesCorrupted += 1
            }
            delay = delay + impairment.extraDelay + rng.uniform(.zero...impairment.jitter)
            if rng.chance(perMille: impairment.reorderPerMille) {
                delay = delay + rng.uniform(.zero...impairment.reorderSpread)
                reordered = true
            }
        }
        let to = 1 - index
        var at = now + delay.nanoseconds
        if let clogUntil = impaired?.clogUntil, clogUntil > now {
            at = max(at, clogUntil + plan.pathDelays[path][index].nanoseconds)
        }
        if !reordered {
            // A path is a FIFO: jitter and delay changes never reorder it by themselves.
            at = max(at, network.paths[path].lastArrival[index])
            network.paths[path].lastArrival[index] = at
        }
        let generation = network.paths[path].generation
        queue.push(.arrival(board: to, path: path, frame: wire, generation: generation), at: at)
        if let impairment, rng.chance(perMille: impairment.duplicatePerMille) {
            let copyAt = at + rng.uniform(.zero ... .microseconds(200)).nanoseconds
            queue.push(.arrival(board: to, path: path, frame: wire, generation: generation), at: copyAt)
        }
    }

    /// A frame reaches a board: lost if the carrier went down meanwhile, otherwise decoded
    /// (a corrupted frame is `.frameMalformed`) and handed to the board.
    mutating func arrive(_ wire: WireFrame, at index: Int, path: Int, generation: UInt64) {
        guard network.paths[path].generation == generation, network.paths[path].carrierUp else {
            statistics.framesDropped += 1
            return
        }
        switch wire.decode() {
        case .success(let frame):
            deliverOrQueue(index, .frameReceived(frame, path: path))
        case .failure:
            deliverOrQueue(index, .frameMalformed(path: path))
        }
    }

    private mutating func noteOffer(_ frame: PairFrame, from index: Int) {
        let known = offers.contains {
            $0.board == index && $0.incarnation == frame.incarnation && $0.epoch == frame.epoch
        }
        guard !known else { return }
        if offers.count >= 64 { offers.removeFirst() }
        offers.append(HandoverOffer(board: index, incarnation: frame.incarnation, epoch: frame.epoch))
    }
}
