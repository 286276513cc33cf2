import CDuplexShims
import DuplexCore
import Glibc
import Logging
import SystemPackage

/// One connected process.
struct SessionClient {
    let fd: CInt
    /// Bytes received and not yet decoded: `input[inputStart...]`.
    var input: [UInt8] = []
    var inputStart = 0
    /// Bytes to send: `output[outputStart...]`.
    var output: [UInt8] = []
    var outputStart = 0
    /// Whether EPOLLOUT is registered (the socket was full).
    var waitsForRoom = false
    /// Whether EPOLLIN is removed (too much output waits: the client must read first).
    var readingPaused = false
    /// The session's shared rings, once the process moved it there (`sharedRings`).
    var rings: SessionRingMapping?
    /// Descriptors the process passed (`SCM_RIGHTS`) for its `sharedRings` request, at most four.
    var passedDescriptors: [CInt] = []

    var pendingOutput: Int { output.count - outputStart }
    var pendingInput: Int { input.count - inputStart }
}

/// A write refused because the window to the mate was full, to be taken again.
struct StalledWrite {
    var request: UInt64
    var update: CheckpointUpdate
    var sync: Bool
}

extension CheckpointService {
    /// Bytes of answers a client may leave unread before the service stops reading its requests.
    static let clientOutputMax = 1 << 20
    /// Frames decoded from one client per wake-up, so that one busy client cannot starve others.
    static let framesPerWakeMax = 4096
    /// Connected processes.
    static let clientsMax = 64
    /// Requests taken from a client's ring and not yet served, at most (more wait in the ring).
    static let ringInputMax = 256 * 1024

    func acceptClients() throws(Errno) {
        for _ in 0..<Self.clientsMax {
            guard let fd = try listener.accept() else { return }
            guard clients.count < Self.clientsMax else {
                logger.warning("too many checkpoint clients; connection refused")
                close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let serial = nextSerial
            nextSerial = nextSerial == RequestTag.serialMax ? 1 : nextSerial + 1
            do throws(Errno) {
                try epoll.add(fd, token: Self.clientTokenBase + UInt64(serial))
            } catch {
                close(fd)
                throw error
            }
            clients[serial] = SessionClient(fd: fd)
        }
    }

    func drop(_ serial: UInt32) {
        guard let client = clients.removeValue(forKey: serial) else { return }
        try? epoll.remove(client.fd)  // closing the descriptor removes it anyway
        if let rings = client.rings { try? epoll.remove(rings.daemonDoorbell) }  // closed with the mapping
        for fd in client.passedDescriptors { close(fd) }
        close(client.fd)
        dirty.remove(serial)
        resumeLater.remove(serial)
    }

    /// Reads what the client sent on its socket and serves its complete frames. Descriptors
    /// passed with the bytes are kept for a `sharedRings` request (four at most; more are
    /// closed). Once the session is in shared rings, the socket only tells that the process
    /// went away: anything read on it ends the session.
    func readIn(_ serial: UInt32) {
        guard let client = clients[serial] else { return }
        var passed: (CInt, CInt, CInt, CInt, CInt) = (-1, -1, -1, -1, -1)
        var passedCount: CInt = 0
        let count = withUnsafeMutableBytes(of: &passed) { raw in
            CDuplexShims_receive_descriptors(
                client.fd, receiveBuffer.baseAddress, receiveBuffer.count, raw.baseAddress!.assumingMemoryBound(to: CInt.self),
                5, &passedCount, 0)
        }
        let descriptors = withUnsafeBytes(of: &passed) { Array($0.bindMemory(to: CInt.self).prefix(Int(passedCount))) }
        for fd in descriptors {
            if clients[serial]!.passedDescriptors.count < 4 { clients[serial]!.passedDescriptors.append(fd) } else { close(fd) }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            return drop(serial)
        }
        if count == 0 || client.rings != nil { return drop(serial) }
        clients[serial]!.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count]))
        serveFrames(serial)
    }

    /// The process rang the daemon's doorbell: requests wait in its ring, or it read answers
    /// while more waited for room.
    func ringRang(_ serial: UInt32) {
        guard let rings = clients[serial]?.rings else { return }
        rings.drainDoorbell()
        if clients[serial]!.pendingOutput > 0 { writeOut(serial) }
        pullRequests(serial)
        serveFrames(serial)
    }

    /// Takes requests from the client's ring into its input, up to `ringInputMax` not yet
    /// served, unless its answers back up (`readingPaused`); tells a process waiting for room.
    private func pullRequests(_ serial: UInt32) {
        guard let rings = clients[serial]?.rings, !clients[serial]!.readingPaused else { return }
        var took = false
        for _ in 0..<(Self.ringInputMax / receiveBuffer.count + 1) {
            let room = Self.ringInputMax - clients[serial]!.pendingInput
            guard room > 0 else { break }
            guard let count = rings.readRequests(into: UnsafeMutableRawBufferPointer(rebasing: receiveBuffer[0..<min(room, receiveBuffer.count)])) else {
                logger.info("a checkpoint client's shared ring holds an impossible count; connection closed")
                return drop(serial)
            }
            guard count > 0 else { break }
            took = true
            clients[serial]!.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count]))
        }
        if took { rings.wakeWriterIfWaiting() }
    }

    /// Moves the session of `serial` into the shared rings its process offers: maps them,
    /// watches the doorbell, answers `ringsReady` on the socket (the last frame there), and
    /// from then on reads requests from the ring and writes answers to the other one.
    func attachRings(_ serial: UInt32, id: UInt32, capacity: Int) {
        guard let client = clients[serial] else { return }
        let descriptors = client.passedDescriptors
        clients[serial]!.passedDescriptors = []
        func refuse(_ message: String) {
            for fd in descriptors { close(fd) }
            respond(serial, id, .failed(SessionError(.badRequest, message: message)))
        }
        guard sharedMemorySessions else { return refuse("this duplexd keeps checkpoint sessions on the socket") }
        guard client.rings == nil, client.pendingOutput == 0 else { return refuse("shared rings only as the session's first request") }
        let rings: SessionRingMapping
        do throws(SessionRingMapping.Refusal) {
            rings = try SessionRingMapping(capacity: capacity, descriptors: descriptors)
        } catch {
            respond(serial, id, .failed(SessionError(.badRequest, message: error.message)))
            return
        }
        do throws(Errno) {
            try epoll.add(rings.daemonDoorbell, token: Self.ringTokenBase + UInt64(serial))
        } catch {
            respond(serial, id, .failed(SessionError(.badRequest, message: "cannot watch the doorbell: \(error)")))
            return
        }
        var ready: [UInt8] = []
        SessionResponse.ringsReady.encode(request: id, into: &ready)
        let sent = ready.withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        clients[serial]!.rings = rings
        guard sent == ready.count else { return drop(serial) }  // a fresh socket takes 12 bytes, or the process is gone
    }

    /// Decodes and serves the frames buffered for one client, until none is complete, the
    /// window to the mate is full, or the per-wake bound.
    func serveFrames(_ serial: UInt32) {
        let end: Int
        let framingError: ReplicationDecodeError?
        do {
            // Scoped: no copy of the input is left when `compactInput` changes it.
            guard let client = clients[serial] else { return }
            (end, framingError) = serve(client.input, from: client.inputStart, of: serial)
        }
        if let framingError {
            logger.info("bad checkpoint session frame; connection closed", metadata: ["duplex.error": "\(framingError)"])
            return drop(serial)
        }
        clients[serial]!.inputStart = end
        compactInput(serial)
        if stalled == nil, let client = clients[serial], client.input.count > client.inputStart,
            (try? Self.hasWholeFrame(client)) == true  // a framing error shows on the next read
        {
            // More whole frames than one wake-up serves: go on at the next one.
            resumeLater.insert(serial)
        } else if let client = clients[serial], let rings = client.rings, !client.readingPaused,
            client.pendingInput < Self.ringInputMax, (rings.requestsWaiting ?? 1) > 0
        {
            // Requests left in the ring (the input was full): take them at the next wake-up.
            resumeLater.insert(serial)
        }
    }

    /// Serves the whole frames of `input` from `start` (at most `framesPerWakeMax`, none once a
    /// write stalls), without looking the client up again for each.
    /// - Returns: where the frames served end, and the framing error that ends the connection.
    private func serve(
        _ input: [UInt8], from start: Int, of serial: UInt32
    ) -> (end: Int, error: ReplicationDecodeError?) {
        var offset = start
        var failure: ReplicationDecodeError?
        defer { servingNow = nil }
        input.withUnsafeBytes { raw in
            for index in 0..<Self.framesPerWakeMax {
                guard stalled == nil else { return }
                // One clock reading per `servingClockFrames` frames (it was 3 % of the
                // active's thread under a stream of small asynchronous writes).
                if index % Self.servingClockFrames == 0 { servingNow = MonotonicClock.now() }
                // The header, then the request decoded in place (a tuple of both, optional,
                // cost 5 % of the thread in copies under small asynchronous writes).
                let bytes = UnsafeRawBufferPointer(rebasing: raw[offset...])
                let header: SessionHeader
                do throws(ReplicationDecodeError) {
                    guard let parsed = try SessionHeader.parse(bytes), bytes.count >= parsed.length else { return }
                    header = parsed
                } catch {
                    failure = error
                    return
                }
                offset += header.length
                assert(offset <= raw.count, "within the buffer")
                let payload = UnsafeRawBufferPointer(rebasing: bytes[SessionHeader.size..<header.length])
                do throws(ReplicationDecodeError) {
                    let request = try SessionRequest(type: header.type, payload: payload, knownName: lastName)
                    if case .write(let name, _, _) = request, name != lastName { lastName = name }
                    handle(request, id: header.request, from: serial)
                } catch {
                    respond(serial, header.request, .failed(SessionError(.badRequest, message: "\(error)")))
                }
            }
        }
        return (offset, failure)
    }

    static func hasWholeFrame(_ client: SessionClient) throws(ReplicationDecodeError) -> Bool {
        let result = client.input.withUnsafeBytes { raw in
            Result { () throws(ReplicationDecodeError) in
                try SessionHeader.parse(UnsafeRawBufferPointer(rebasing: raw[client.inputStart...]))
            }
        }
        guard let header = try result.get() else { return false }
        return client.input.count - client.inputStart >= header.length
    }

    private func compactInput(_ serial: UInt32) {
        guard let client = clients[serial], client.inputStart > 0 else { return }
        if client.inputStart == client.input.count {
            clients[serial]!.input.removeAll(keepingCapacity: true)
            clients[serial]!.inputStart = 0
        } else if client.inputStart >= 64 * 1024 {
            clients[serial]!.input.removeSubrange(0..<client.inputStart)
            clients[serial]!.inputStart = 0
        }
    }

    /// Appends an answer to the client's output, sent at the end of the wake-up.
    func respond(_ serial: UInt32, _ request: UInt32, _ response: SessionResponse) {
        guard clients[serial] != nil else { return }
        response.encode(request: request, into: &clients[serial]!.output)
        dirty.insert(serial)
    }

    /// Sends every client's pending answers; stops reading from clients that do not read theirs.
    func flushClients() {
        for serial in dirty {
            writeOut(serial)
        }
        dirty.removeAll(keepingCapacity: true)
    }

    func writeOut(_ serial: UInt32) {
        guard let client = clients[serial] else { return }
        var start = client.outputStart
        let end = client.output.count
        if let rings = client.rings {
            // Into the answers' ring; what does not fit waits for the process to read (it
            // rings the doorbell then).
            var wrote = false
            for _ in 0..<3 where start < end {
                guard let count = client.output.withUnsafeBytes({ rings.writeAnswers(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }) else {
                    logger.info("a checkpoint client's shared ring holds an impossible count; connection closed")
                    return drop(serial)
                }
                start += count
                wrote = wrote || count > 0
                if start < end, !rings.waitForAnswerRoom() { break }
            }
            if start == end { rings.answerRoomFound() }
            if wrote { rings.wakeReaderIfSleeping() }
        }
        while client.rings == nil, start < end {
            let sent = client.output.withUnsafeBytes { raw in
                send(client.fd, raw.baseAddress! + start, end - start, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if sent > 0 {
                start += sent
                continue
            }
            if sent < 0, errno == EINTR { continue }
            if sent < 0, errno == EAGAIN { break }
            return drop(serial)
        }
        if start == end {
            clients[serial]!.output.removeAll(keepingCapacity: true)
            clients[serial]!.outputStart = 0
        } else {
            clients[serial]!.outputStart = start
        }
        updateInterest(serial)
    }

    /// EPOLLOUT while output waits; EPOLLIN only while the output is under its bound. With
    /// shared rings the socket stays watched for the end only, and the bound stops taking
    /// requests from the ring instead.
    private func updateInterest(_ serial: UInt32) {
        guard let client = clients[serial] else { return }
        if client.rings != nil {
            let pause = client.pendingOutput > Self.clientOutputMax
            if client.readingPaused, !pause { resumeLater.insert(serial) }  // requests may wait in the ring
            clients[serial]!.readingPaused = pause
            return
        }
        let waits = client.pendingOutput > 0
        let pause = client.pendingOutput > Self.clientOutputMax
        guard waits != client.waitsForRoom || pause != client.readingPaused else { return }
        var interest: Epoll.Events = []
        if !pause { interest.insert(.readable) }
        if waits { interest.insert(.writable) }
        do throws(Errno) {
            try epoll.modify(client.fd, token: Self.clientTokenBase + UInt64(serial), events: interest)
        } catch {
            return drop(serial)
        }
        clients[serial]!.waitsForRoom = waits
        clients[serial]!.readingPaused = pause
    }
}
