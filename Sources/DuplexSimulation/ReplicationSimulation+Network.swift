import DuplexCore

extension ReplicationSimulation {
    /// Handles one event on one board and plays its actions.
    mutating func handle(_ board: Int, _ event: ReplicationEvent) {
        precondition(boards[board].alive, "only a live board handles events")
        if case .tick = event {} else { record(board, .event(event)) }
        let actions = boards[board].core.handle(event, now: now)
        for action in actions {
            play(action, on: board)
        }
    }

    private mutating func play(_ action: ReplicationAction, on board: Int) {
        switch action {
        case .send(let message):
            record(board, .action(action))
            transmit(message, from: board)
        case .complete(let request, let outcome):
            record(board, .action(action))
            completed(request, outcome, on: board)
        case .apply(let update):
            if boards[board].core.role == .active { committed(update) }
        case .replaceReplica:
            record(board, .action(action))
            boards[board].replaced = true
        case .trace(let trace):
            record(board, .action(action))
            if case .stateLost = trace { outcome.lossyTakeovers += 1 }
            if case .snapshotInstalled = trace { outcome.snapshotsInstalled += 1 }
            if case .resyncStarted(.streamRefused, _, _) = trace { outcome.refusedStreamResyncs += 1 }
        case .readinessChanged, .windowOpened:
            record(board, .action(action))
        }
    }

    /// Puts a message on the channel: lost, duplicated, corrupted and delayed while faults last.
    private mutating func transmit(_ message: ReplicationMessage, from board: Int) {
        outcome.messages += 1
        let bytes = message.encoded()
        guard flights.count < Self.flightsMax else {
            outcome.lost += 1
            return
        }
        guard faulty else {
            send(bytes, to: 1 - board, after: profile.delay.lowerBound)
            return
        }
        if network.chance(perMille: profile.lossPerMille) {
            outcome.lost += 1
            return
        }
        var copies = 1
        if network.chance(perMille: profile.duplicatePerMille) {
            copies = 2
            outcome.duplicated += 1
        }
        for _ in 0..<copies {
            var sent = bytes
            if network.chance(perMille: profile.corruptPerMille) {
                let bit = network.uniform(0..<(sent.count * 8))
                sent[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
                outcome.corrupted += 1
            }
            send(sent, to: 1 - board, after: network.uniform(profile.delay))
        }
    }

    private mutating func send(_ bytes: [UInt8], to board: Int, after delay: Duration) {
        serial += 1
        flights.append(Flight(at: now + delay, serial: serial, to: board, bytes: bytes))
    }

    /// Delivers the earliest message; one for a board that is down is lost.
    mutating func deliverNext() {
        guard let index = flights.indices.min(by: { (flights[$0].at, flights[$0].serial) < (flights[$1].at, flights[$1].serial) })
        else { return }
        let flight = flights.remove(at: index)
        guard boards[flight.to].alive else { return }
        let decoded = flight.bytes.withUnsafeBytes { buffer in
            Result { () throws(ReplicationDecodeError) in try ReplicationMessage(decoding: buffer) }
        }
        switch decoded {
        case .success(let message):
            if case .update = message.body, boards[flight.to].core.progress.phase == .receiving {
                outcome.updatesDuringSnapshot += 1
            }
            handle(flight.to, .messageReceived(message))
        case .failure(let error): handle(flight.to, .messageMalformed(error))
        }
    }
}
