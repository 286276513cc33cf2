extension CheckpointConnection {
    /// Sends a request and suspends until its answer; the reader thread resumes it.
    func exchange(
        checkpoint: String, _ encode: @escaping (UInt32, inout [UInt8]) throws(ReplicationDecodeError) -> Void
    ) async -> Completion {
        await withCheckedContinuation { (continuation: CheckedContinuation<Completion, Never>) in
            do throws(CheckpointClientError) {
                _ = try enqueue(immediately: true, waiter: .continuation(continuation), checkpoint: checkpoint, encode)
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
}

/// The `async` variants: the same calls, suspending instead of blocking a thread.
extension Checkpoint {
    /// ``write(_:_:mode:)`` without blocking. An `.async` write never suspends for long: it
    /// only buffers (and sends a full buffer).
    @discardableResult
    public func write(_ key: SectionKey, _ bytes: [UInt8], mode: WriteMode = .sync) async throws(CheckpointClientError) -> WriteResult? {
        try checkSection(key, count: bytes.count)
        guard mode == .sync else {
            try bufferWrite(key, bytes)
            return nil
        }
        let name = self.name
        let completion = await connection.exchange(checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.encodeWrite(request: id, name: name, key: key, bytes: bytes, sync: true, into: &buffer)
        }
        return try written(completion)
    }

    /// ``delete(_:mode:)`` without blocking.
    @discardableResult
    public func delete(_ key: SectionKey, mode: WriteMode = .sync) async throws(CheckpointClientError) -> WriteResult? {
        var batch = CheckpointBatch()
        batch.delete(key)
        return try await apply(batch, mode: mode)
    }

    /// ``apply(_:mode:)`` without blocking.
    @discardableResult
    public func apply(_ batch: CheckpointBatch, mode: WriteMode = .sync) async throws(CheckpointClientError) -> WriteResult? {
        try checkBatch(batch)
        guard mode == .sync else {
            try bufferBatch(batch)
            return nil
        }
        let request = SessionRequest.write(name: name, operations: batch.operations, sync: true)
        let completion = await connection.exchange(checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try request.encode(request: id, into: &buffer)
        }
        return try written(completion)
    }

    /// ``flush()`` without blocking.
    @discardableResult
    public func flush() async throws(CheckpointClientError) -> WriteResult {
        let completion = await connection.exchange(checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.flush.encode(request: id, into: &buffer)
        }
        if let failures = connection.takeAsyncFailures(checkpoint: name) { throw failures }
        return try flushed(completion)
    }

    /// ``read(_:)`` without blocking.
    public func read(_ key: SectionKey) async throws(CheckpointClientError) -> [UInt8]? {
        let request = SessionRequest.read(name: name, key: key)
        let completion = await connection.exchange(checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try request.encode(request: id, into: &buffer)
        }
        return try section(completion)
    }

    /// ``sections(after:countMax:)`` without blocking.
    public func sections(after: SectionKey? = nil, countMax: Int = Checkpoint.sectionsPageMax) async throws(CheckpointClientError)
        -> (sections: [SessionSection], more: Bool)
    {
        let request = SessionRequest.sections(name: name, after: after, countMax: countMax)
        let completion = await connection.exchange(checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try request.encode(request: id, into: &buffer)
        }
        return try page(completion)
    }

    /// ``allSections()`` without blocking.
    public func allSections() async throws(CheckpointClientError) -> [SessionSection] {
        var result: [SessionSection] = []
        var after: SectionKey?
        for _ in 0...Limits.sectionsMax {
            let (sections, more) = try await self.sections(after: after)
            result.append(contentsOf: sections)
            guard more, let last = sections.last else { break }
            after = last.key
        }
        return result
    }
}
