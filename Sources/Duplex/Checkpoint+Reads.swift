extension Checkpoint {
    /// Sections fetched per request when iterating.
    public static let sectionsPageMax = 1024

    /// The bytes of one section, or nil when it does not exist. Served from the board's store
    /// (active) or replica (standby).
    /// - Throws: `invalid` (the checkpoint no longer exists), `timeout`, `connectionLost`.
    public func read(_ key: SectionKey) throws(CheckpointClientError) -> [UInt8]? {
        let id = try connection.enqueue(immediately: true, waiter: .blocked, checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try SessionRequest.read(name: name, key: key).encode(request: id, into: &buffer)
        }
        return try section(connection.wait(for: id, timeout: timeout, checkpoint: name))
    }

    /// Up to `countMax` sections in key order after `after` (nil: from the first), and
    /// whether more follow. Each page is consistent; pages may straddle writes.
    public func sections(after: SectionKey? = nil, countMax: Int = Checkpoint.sectionsPageMax) throws(CheckpointClientError)
        -> (sections: [SessionSection], more: Bool)
    {
        let request = SessionRequest.sections(name: name, after: after, countMax: countMax)
        let id = try connection.enqueue(immediately: true, waiter: .blocked, checkpoint: name) { id, buffer throws(ReplicationDecodeError) in
            try request.encode(request: id, into: &buffer)
        }
        return try page(connection.wait(for: id, timeout: timeout, checkpoint: name))
    }

    /// Calls `body` for every section in key order, page by page (at most
    /// `Limits.sectionsMax` sections).
    public func forEachSection(_ body: (SectionKey, [UInt8]) -> Void) throws(CheckpointClientError) {
        var after: SectionKey?
        for _ in 0...Limits.sectionsMax {
            let (sections, more) = try self.sections(after: after)
            for section in sections { body(section.key, section.bytes) }
            guard more, let last = sections.last else { return }
            after = last.key
        }
    }

    /// Every section in key order.
    public func allSections() throws(CheckpointClientError) -> [SessionSection] {
        var result: [SessionSection] = []
        try forEachSection { result.append(SessionSection(key: $0, bytes: $1)) }
        return result
    }

    func section(_ completion: CheckpointConnection.Completion) throws(CheckpointClientError) -> [UInt8]? {
        switch completion {
        case .success(.section(let bytes)): return bytes
        case .success(.failed(let error)): throw CheckpointClientError(error, checkpoint: name)
        case .success(let other): throw Self.unexpected(other, name: name)
        case .failure(let error): throw error
        }
    }

    func page(_ completion: CheckpointConnection.Completion) throws(CheckpointClientError) -> (sections: [SessionSection], more: Bool) {
        switch completion {
        case .success(.sections(let sections, let more)): return (sections, more)
        case .success(.failed(let error)): throw CheckpointClientError(error, checkpoint: name)
        case .success(let other): throw Self.unexpected(other, name: name)
        case .failure(let error): throw error
        }
    }
}
