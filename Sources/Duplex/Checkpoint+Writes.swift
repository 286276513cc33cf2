extension Checkpoint {
    /// Writes (creates or overwrites) one section.
    ///
    /// `.sync` returns once the mate's replica holds the write; `.async` returns as soon as the
    /// request is buffered (several are sent in one system call) and reports a failure at the
    /// next ``flush()``.
    /// - Returns: for `.sync`, the write's sequence and whether the mate holds it; for
    ///   `.async`, nil.
    /// - Throws: `overLimit` (key, section, checkpoint or store size, section count; nothing is
    ///   written), `invalid`, `notActive`, `mateNotHot`, `unconfirmed`, `busy`, `timeout`,
    ///   `connectionLost`.
    @discardableResult
    public func write(_ key: SectionKey, _ bytes: [UInt8], mode: WriteMode = .sync) throws(CheckpointClientError) -> WriteResult? {
        try checkSection(key, count: bytes.count)
        let sync = mode == .sync
        let id = try connection.enqueue(immediately: sync, waiter: sync ? .blocked : nil, checkpoint: name) {
            id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.encodeWrite(request: id, name: name, key: key, bytes: bytes, sync: sync, into: &buffer)
        }
        guard sync else { return nil }
        return try written(connection.wait(for: id, timeout: timeout, checkpoint: name))
    }

    /// Deletes one section (`invalid` when it does not exist).
    @discardableResult
    public func delete(_ key: SectionKey, mode: WriteMode = .sync) throws(CheckpointClientError) -> WriteResult? {
        var batch = CheckpointBatch()
        batch.delete(key)
        return try apply(batch, mode: mode)
    }

    /// Applies several writes and deletes as one atomic update: all or none.
    /// - Throws: as ``write(_:_:mode:)``; `overLimit` with `tooManyOperations` beyond
    ///   `Limits.checkpointOperationsMax` operations.
    @discardableResult
    public func apply(_ batch: CheckpointBatch, mode: WriteMode = .sync) throws(CheckpointClientError) -> WriteResult? {
        try checkBatch(batch)
        let sync = mode == .sync
        let request = SessionRequest.write(name: name, operations: batch.operations, sync: sync)
        let id = try connection.enqueue(immediately: sync, waiter: sync ? .blocked : nil, checkpoint: name) {
            id, buffer throws(ReplicationDecodeError) in
            try request.encode(request: id, into: &buffer)
        }
        guard sync else { return nil }
        return try written(connection.wait(for: id, timeout: timeout, checkpoint: name))
    }

    /// Waits until every earlier write of the board is on the mate's replica.
    /// - Returns: the sequence of the last write, and whether the mate holds it (false without
    ///   a mate: nothing to wait for).
    /// - Throws: `asyncWriteFailed` when asynchronous writes of this checkpoint failed since
    ///   the last flush (the error lists them); `notActive`, `timeout`, `connectionLost`.
    @discardableResult
    public func flush() throws(CheckpointClientError) -> WriteResult {
        let id = try connection.enqueue(immediately: true, waiter: .blocked, checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.flush.encode(request: id, into: &buffer)
        }
        let completion = connection.wait(for: id, timeout: timeout, checkpoint: name)
        if let failures = connection.takeAsyncFailures(checkpoint: name) { throw failures }
        return try flushed(completion)
    }

    /// Removes the checkpoint and every section from the board and its mate.
    public func remove() throws(CheckpointClientError) {
        let id = try connection.enqueue(immediately: true, waiter: .blocked, checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.remove(name: name).encode(request: id, into: &buffer)
        }
        switch connection.wait(for: id, timeout: timeout, checkpoint: name) {
        case .success(.removed): return
        case .success(.failed(let error)): throw CheckpointClientError(error, checkpoint: name)
        case .success(let other): throw Self.unexpected(other, name: name)
        case .failure(let error): throw error
        }
    }

    /// Buffers an asynchronous single-section write (sent with the next blocking call, or
    /// when the buffer is full).
    func bufferWrite(_ key: SectionKey, _ bytes: [UInt8]) throws(CheckpointClientError) {
        _ = try connection.enqueue(immediately: false, waiter: nil, checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.encodeWrite(request: id, name: name, key: key, bytes: bytes, sync: false, into: &buffer)
        }
    }

    /// Buffers an asynchronous batch.
    func bufferBatch(_ batch: CheckpointBatch) throws(CheckpointClientError) {
        let request = SessionRequest.write(name: name, operations: batch.operations, sync: false)
        _ = try connection.enqueue(immediately: false, waiter: nil, checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try request.encode(request: id, into: &buffer)
        }
    }

    // MARK: - Checks and answers

    /// Refuses locally what the daemon would refuse, without a round trip.
    func checkSection(_ key: SectionKey, count: Int) throws(CheckpointClientError) {
        if key.count > Limits.sectionKeySizeMax {
            throw overLimit(CheckpointError(
                .keyTooLarge, checkpoint: name, value: UInt64(key.count), limit: UInt64(Limits.sectionKeySizeMax)))
        }
        if count > limits.sectionSizeMax {
            throw overLimit(CheckpointError(
                .sectionTooLarge, checkpoint: name, key: key, value: UInt64(count), limit: UInt64(limits.sectionSizeMax)))
        }
    }

    func checkBatch(_ batch: CheckpointBatch) throws(CheckpointClientError) {
        guard !batch.isEmpty, batch.count <= Limits.checkpointOperationsMax else {
            throw overLimit(CheckpointError(
                .tooManyOperations, checkpoint: name, value: UInt64(batch.count), limit: UInt64(Limits.checkpointOperationsMax)))
        }
        for operation in batch.operations {
            switch operation {
            case .write(let key, let bytes): try checkSection(key, count: bytes.count)
            case .delete(let key): try checkSection(key, count: 0)
            case .create, .remove: preconditionFailure("a batch holds writes and deletes only")
            }
        }
    }

    private func overLimit(_ error: CheckpointError) -> CheckpointClientError {
        CheckpointClientError(.overLimit, checkpoint: name, message: "\(error)", checkpointError: error)
    }

    func written(_ completion: CheckpointConnection.Completion) throws(CheckpointClientError) -> WriteResult {
        switch completion {
        case .success(.written(let sequence, let replicated)): return WriteResult(sequence: sequence, isReplicated: replicated)
        case .success(.failed(let error)): throw CheckpointClientError(error, checkpoint: name)
        case .success(let other): throw Self.unexpected(other, name: name)
        case .failure(let error): throw error
        }
    }

    func flushed(_ completion: CheckpointConnection.Completion) throws(CheckpointClientError) -> WriteResult {
        switch completion {
        case .success(.flushed(let sequence, let replicated)): return WriteResult(sequence: sequence, isReplicated: replicated)
        case .success(.failed(let error)): throw CheckpointClientError(error, checkpoint: name)
        case .success(let other): throw Self.unexpected(other, name: name)
        case .failure(let error): throw error
        }
    }
}
