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
            if case .streamResumed = trace { outcome.streamsResumed += 1 }
            if case .resyncStarted(.streamRefused, _, _) = trace { outcome.refusedStreamResyncs += 1 }
        case .readinessChanged, .windowOpened, .prepareReplica:
            record(board, .action(action))
        }
    }

    /// Puts a message on the channel, as one datagram or (`segmentsLargeMessages`) as the
    /// segments of one that does not fit the link's MTU.
    private mutating func transmit(_ message: ReplicationMessage, from board: Int) {
        outcome.messages += 1
        let bytes = message.encoded()
        guard profile.segmentsLargeMessages, let mtu = profile.linkMTU,
            let segments = ReplicationSegment.datagrams(
                message: boards[board].nextSegmented, encoded: bytes, datagramSize: mtu - Self.ipv4UDPHeaderSize)
        else { return transmit(datagram: bytes, from: board) }
        outcome.segmentedMessages += 1
        boards[board].nextSegmented &+= 1
        for segment in segments {
            transmit(datagram: segment, from: board)
        }
    }

    /// Puts one datagram on the channel: lost, duplicated, corrupted and delayed while faults
    /// last (`outcome.lost` and the others count datagrams).
    private mutating func transmit(datagram bytes: [UInt8], from board: Int) {
        guard flights.count < Self.flightsMax else {
            outcome.lost += 1
            return
        }
        let fragments = fragmentCount(bytes.count)
        guard faulty else {
            send(bytes, to: 1 - board, after: profile.delay.lowerBound, fragments: fragments)
            return
        }
        if network.chance(perMille: profile.lossPerMille) {
            outcome.lost += 1
            if fragments > 1 {
                // The first fragment is lost; the others arrive, and wait for it in vain.
                send([], to: 1 - board, after: network.uniform(profile.delay), fragments: fragments, tailOnly: true)
            }
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
            send(sent, to: 1 - board, after: network.uniform(profile.delay), fragments: fragments)
        }
    }

    private mutating func send(_ bytes: [UInt8], to board: Int, after delay: Duration, fragments: Int, tailOnly: Bool = false) {
        serial += 1
        flights.append(
            Flight(at: now + delay, serial: serial, to: board, bytes: bytes, fragments: fragments, tailOnly: tailOnly))
    }

    static let ipv4UDPHeaderSize = 28
    /// What the kernel charges a held fragment beyond its bytes (lab, MTU 1,500: 54
    /// incomplete 32 KiB datagrams held 2,639,984 bytes, 2,222 per fragment).
    static let fragmentOverhead = 742

    /// The IPv4 fragments of a UDP datagram carrying `size` bytes over `profile.linkMTU`.
    private func fragmentCount(_ size: Int) -> Int {
        guard let mtu = profile.linkMTU, size + Self.ipv4UDPHeaderSize > mtu else { return 1 }
        let perFragment = (mtu - 20) / 8 * 8
        return (size + 8 + perFragment - 1) / perFragment
    }

    /// Whether a fragmented datagram reaching `board` is reassembled: not while that board's
    /// reassembly memory is over its bound; the fragments of one that lost its first are held
    /// until `reassemblyTimeout`.
    private mutating func reassembles(_ flight: Flight) -> Bool {
        guard flight.fragments > 1, let mtu = profile.linkMTU else { return true }
        heldFragments.removeAll { $0.until <= now }
        let held = heldFragments.reduce(0) { $0 + ($1.board == flight.to ? $1.bytes : 0) }
        guard held <= profile.reassemblyMemoryMax else {
            outcome.reassemblyDrops += 1
            return false
        }
        guard flight.tailOnly else { return true }
        let bytes = (flight.fragments - 1) * (mtu + Self.fragmentOverhead)
        heldFragments.append(HeldFragments(board: flight.to, bytes: bytes, until: now + profile.reassemblyTimeout))
        return false
    }

    /// Delivers the earliest message; one for a board that is down is lost.
    mutating func deliverNext() {
        guard let index = flights.indices.min(by: { (flights[$0].at, flights[$0].serial) < (flights[$1].at, flights[$1].serial) })
        else { return }
        let flight = flights.remove(at: index)
        guard boards[flight.to].alive, reassembles(flight) else { return }
        let decoded: Result<ReplicationMessage, ReplicationDecodeError>
        if flight.bytes.withUnsafeBytes(ReplicationSegment.isSegment) {
            guard let message = reassemble(flight) else { return }
            decoded = message
        } else {
            decoded = flight.bytes.withUnsafeBytes { buffer in
                Result { () throws(ReplicationDecodeError) in try ReplicationMessage(decoding: buffer) }
            }
        }
        switch decoded {
        case .success(let message):
            if boards[flight.to].core.progress.phase == .receiving {
                if case .update = message.body { outcome.updatesDuringSnapshot += 1 }
                if case .updates(let updates, _) = message.body { outcome.updatesDuringSnapshot += updates.count }
            }
            if case .updates(let updates, _) = message.body {
                outcome.batches += 1
                outcome.batchedUpdates += updates.count
            }
            handle(flight.to, .messageReceived(message))
        case .failure(let error): handle(flight.to, .messageMalformed(error))
        }
    }

    /// Hands a segment to the receiving board's reassembler: nil while its message is not
    /// complete, else the message (or why the segment or the message did not decode).
    private mutating func reassemble(_ flight: Flight) -> Result<ReplicationMessage, ReplicationDecodeError>? {
        let accepted = flight.bytes.withUnsafeBytes { buffer in
            Result { () throws(ReplicationDecodeError) in
                try boards[flight.to].reassembler.accept(try ReplicationSegment(decoding: buffer))
            }
        }
        switch accepted {
        case .failure(let error): return .failure(error)
        case .success(.complete(let slot)):
            outcome.reassembledMessages += 1
            return boards[flight.to].reassembler.withMessage(in: slot) { bytes in
                Result { () throws(ReplicationDecodeError) in try ReplicationMessage(decoding: bytes) }
            }
        case .success: return nil
        }
    }
}
