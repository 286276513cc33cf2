/// A frame of the pair protocol, as carried in the payload of a raw Ethernet frame on a
/// dedicated link or of a UDP datagram on the service LAN.
///
/// Wire format, version 4, big-endian, 80 bytes for every type:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 2 | magic `0x4458` ("DX") |
/// | 2 | 1 | version (4) |
/// | 3 | 1 | type (`PairFrame.Kind`) |
/// | 4 | 4 | cluster id |
/// | 8 | 2 | sender board id |
/// | 10 | 2 | flags (`PairFrame.Flags`) |
/// | 12 | 8 | epoch |
/// | 20 | 8 | sequence number (per sender incarnation, grows by one per frame sent) |
/// | 28 | 4 | sender incarnation (grows with every start of the sender; serial-number order) |
/// | 32 | 1 | sender role (`Role`) |
/// | 33 | 1 | sender priority |
/// | 34 | 1 | path index the frame was sent on |
/// | 35 | 1 | paths up at the sender: bit i set when it hears this board on path i |
/// | 36 | 8 | sent-at (sender's monotonic clock, ns) |
/// | 44 | 8 | echo: the last sent-at received from the mate on this path (0 if none) |
/// | 52 | 4 | echo hold: ns between receiving that echo and sending this frame (saturates) |
/// | 56 | 4 | the mate's incarnation as last heard (0 if none): whom a handover is offered to |
/// | 60 | 8 | persisted sequence: while the sender starts, the sequence of the checkpoint state it loaded from its journals (0: none); 0 after |
/// | 68 | 4 | the sender's heartbeat interval on this path (µs, saturates) |
/// | 72 | 1 | the sender's missed-heartbeat limit on this path |
/// | 73 | 1 | the sender's capabilities (`PairFrame.Capabilities`; bits this build does not know are kept, not refused) |
/// | 74 | 2 | reserved (sent as 0, ignored) |
/// | 76 | 4 | CRC-32C (Castagnoli) of bytes 0..<76 |
/// | 80 | 16 | with `[cluster] key-file` only: the tag, the first 16 bytes of HMAC-SHA-256 of bytes 0..<80 (`PairAuthentication`) |
///
/// A board with a key accepts only frames whose tag its key (or previous key) made; one
/// without a key ignores a tag, as it ignores any trailing bytes.
public struct PairFrame: Sendable, Hashable {
    public static let magic: UInt16 = 0x4458
    public static let version: UInt8 = 4
    public static let size = 80
    /// The tag that follows the frame on an authenticated pair.
    public static let tagSize = 16
    /// A frame with its tag.
    public static let authenticatedSize = size + tagSize
    /// Where the type byte is: kernel filters split frames by it.
    public static let kindOffset = 3
    static let checksummedSize = 76

    /// Frame types.
    public enum Kind: UInt8, Sendable, Hashable {
        /// The periodic heartbeat: the sender's role, epoch and liveness.
        case heartbeat = 1
        /// "I released the logical addresses; take the role at `epoch`." Sent at once by a
        /// board that quiesced for a graceful switchover, or that is failing.
        case handover = 2
        /// "I am leaving (orderly stop) and am not active": the mate need not wait for a timeout.
        case goodbye = 3
    }

    /// What the sender's build can do, for features both boards must have (a rolling upgrade
    /// runs two builds side by side). Byte 73 was reserved and sent as 0 before: a build
    /// without this field ignores it, and its frames say it can do none of these.
    public struct Capabilities: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// It puts segmented replication messages back together (`ReplicationSegment`).
        public static let reassemblesSegments = Capabilities(rawValue: 1 << 0)
        /// It answers a standby's offer to resume its stream (`resumeRequest`).
        public static let resumesStreams = Capabilities(rawValue: 1 << 1)
        /// It assembles snapshots whose sections come in any order, not only in key order.
        public static let takesUnorderedSnapshots = Capabilities(rawValue: 1 << 2)
        /// What this build can do.
        public static let thisBuild: Capabilities = [.reassemblesSegments, .resumesStreams, .takesUnorderedSnapshots]
    }

    /// Flag bits.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// The sender's checkpoint replica is caught up (a hot standby).
        public static let hot = Flags(rawValue: 1 << 0)
        /// The sender's isolation check passes.
        public static let isolationOK = Flags(rawValue: 1 << 1)
        /// The sender offers the active role at `epoch` (graceful switchover in progress).
        public static let handoverOffered = Flags(rawValue: 1 << 2)
        /// The sender, a standby that is preferred and configured to preempt, asks for the role.
        public static let preemptRequested = Flags(rawValue: 1 << 3)
        /// The sender sends one heartbeat per interval, rotating over its paths.
        public static let rotating = Flags(rawValue: 1 << 4)
        /// The sender missed a heartbeat recently and asks for heartbeats on every path.
        public static let everyPathRequested = Flags(rawValue: 1 << 5)
        /// A standby's heartbeat: it sends the next one within its standby interval, not the
        /// interval (see `PairConfiguration.standbyInterval`).
        public static let quiet = Flags(rawValue: 1 << 6)
        /// A starting board whose persisted checkpoint state was refused at start (a damaged
        /// journal, see `PairConfiguration.persistedStateDamaged`): at start-up discovery it
        /// yields to a mate whose state is whole.
        public static let stateDamaged = Flags(rawValue: 1 << 7)
        static let known: Flags = [
            .hot, .isolationOK, .handoverOffered, .preemptRequested, .rotating, .everyPathRequested, .quiet,
            .stateDamaged,
        ]
    }

    public var kind: Kind
    public var cluster: UInt32
    public var sender: UInt16
    public var flags: Flags
    public var epoch: UInt64
    public var sequence: UInt64
    public var incarnation: UInt32
    public var role: Role
    public var priority: UInt8
    public var path: UInt8
    public var sentAt: Instant
    public var echoSentAt: Instant
    public var echoHold: Duration
    /// The longest echo hold the wire carries (about 4.3 s); a longer hold saturates to it.
    public static let echoHoldMax = Duration(nanoseconds: UInt64(UInt32.max))
    /// The incarnation of the mate the sender last heard: a handover offer is valid only for
    /// that incarnation of the mate, never for one that restarted since.
    public var mateIncarnation: UInt32
    /// The paths on which the sender hears this board (bit i: path i), for the rotation.
    public var pathsUp: UInt8
    /// While the sender starts: the sequence of the persistent checkpoint state it loaded at
    /// start (0: none). Start-up discovery prefers the board that persisted more.
    public var persistedSequence: UInt64
    /// The sender's heartbeat timing on this path (`PairConfiguration.Path`): both boards must
    /// configure the same, and a board that hears other timing says so.
    public var interval: Duration
    public var missedHeartbeatsMax: UInt8
    public var capabilities: Capabilities

    public init(
        kind: Kind, cluster: UInt32, sender: UInt16, flags: Flags, epoch: UInt64, sequence: UInt64,
        incarnation: UInt32, role: Role, priority: UInt8, path: UInt8, sentAt: Instant,
        echoSentAt: Instant = .zero, echoHold: Duration = .zero, mateIncarnation: UInt32 = 0,
        pathsUp: UInt8 = 0, persistedSequence: UInt64 = 0, interval: Duration = .zero,
        missedHeartbeatsMax: UInt8 = 0, capabilities: Capabilities = []
    ) {
        self.kind = kind
        self.cluster = cluster
        self.sender = sender
        self.flags = flags
        self.epoch = epoch
        self.sequence = sequence
        self.incarnation = incarnation
        self.role = role
        self.priority = priority
        self.path = path
        self.sentAt = sentAt
        self.echoSentAt = echoSentAt
        self.echoHold = echoHold
        self.mateIncarnation = mateIncarnation
        self.pathsUp = pathsUp
        self.persistedSequence = persistedSequence
        self.interval = interval
        self.missedHeartbeatsMax = missedHeartbeatsMax
        self.capabilities = capabilities
    }

    /// Path bits a frame may carry.
    static let pathBits = UInt8(truncatingIfNeeded: (1 << Limits.linksMax) - 1)

    /// Why a frame was rejected by `decode`.
    public enum DecodeError: UInt8, Error, Sendable, Hashable, CaseIterable {
        case truncated
        case badMagic
        case unsupportedVersion
        case badChecksum
        case unknownKind
        case unknownRole
        case unknownFlags
        case unknownPaths
        /// No tag, or a tag that neither key made (`PairAuthentication`).
        case unauthenticated
    }

    /// Encodes into `buffer`, followed by the tag of `authentication`'s key when given.
    /// - Returns: the number of bytes written (`PairFrame.size`, or `authenticatedSize`).
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer, authentication: PairAuthentication?) -> Int {
        let length = encode(into: buffer)
        guard let authentication else { return length }
        precondition(buffer.count >= PairFrame.authenticatedSize, "frame buffer too small for the tag")
        authentication.key.tag(
            UnsafeRawBufferPointer(rebasing: buffer[0..<PairFrame.size]),
            into: UnsafeMutableRawBufferPointer(rebasing: buffer[PairFrame.size..<PairFrame.authenticatedSize]))
        return PairFrame.authenticatedSize
    }

    /// Encodes into `buffer`, which must hold at least `PairFrame.size` bytes.
    /// - Returns: the number of bytes written (`PairFrame.size`).
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= PairFrame.size, "frame buffer too small")
        precondition(Flags.known.isSuperset(of: flags), "unknown flag bits")
        precondition(pathsUp & ~PairFrame.pathBits == 0, "unknown path bits")
        var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<PairFrame.size]))
        writer.write(PairFrame.magic)
        writer.write(PairFrame.version)
        writer.write(kind.rawValue)
        writer.write(cluster)
        writer.write(sender)
        writer.write(flags.rawValue)
        writer.write(epoch)
        writer.write(sequence)
        writer.write(incarnation)
        writer.write(role.rawValue)
        writer.write(priority)
        writer.write(path)
        writer.write(pathsUp)
        writer.write(sentAt.nanoseconds)
        writer.write(echoSentAt.nanoseconds)
        writer.write(UInt32(clamping: echoHold.nanoseconds))
        writer.write(mateIncarnation)
        writer.write(persistedSequence)
        writer.write(UInt32(clamping: interval.nanoseconds / 1_000))
        writer.write(missedHeartbeatsMax)
        writer.write(capabilities.rawValue)
        writer.write(UInt16(0))
        assert(writer.offset == PairFrame.checksummedSize)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<PairFrame.checksummedSize]))
        writer.write(crc)
        assert(writer.offset == PairFrame.size)
        return PairFrame.size
    }

    /// Decodes untrusted bytes from a pair authenticated with `authentication` (nil: none, and
    /// a tag is ignored like any trailing bytes). A frame that is malformed fails as such; a
    /// well-formed one without its tag, or whose tag neither key made, is `unauthenticated`.
    /// Never traps.
    public static func decode(_ bytes: UnsafeRawBufferPointer, authentication: PairAuthentication?) -> Result<PairFrame, DecodeError> {
        let frame = decode(bytes)
        guard let authentication, case .success = frame else { return frame }
        guard bytes.count >= authenticatedSize,
            authentication.verifies(
                UnsafeRawBufferPointer(rebasing: bytes[0..<size]), tag: UnsafeRawBufferPointer(rebasing: bytes[size..<authenticatedSize]))
        else { return .failure(.unauthenticated) }
        return frame
    }

    /// Decodes untrusted bytes. Never traps; trailing bytes (Ethernet padding) are ignored.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<PairFrame, DecodeError> {
        guard bytes.count >= size else { return .failure(.truncated) }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<size]))
        guard reader.read(UInt16.self) == magic else { return .failure(.badMagic) }
        guard reader.read(UInt8.self) == version else { return .failure(.unsupportedVersion) }
        let crcStored = bytes.loadUnaligned(fromByteOffset: checksummedSize, as: UInt32.self).bigEndian
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<checksummedSize]))
        guard crc == crcStored else { return .failure(.badChecksum) }
        return decodeBody(&reader)
    }

    private static func decodeBody(_ reader: inout ByteReader) -> Result<PairFrame, DecodeError> {
        // Every read below is within the 76 bytes checked above, so the force-unwraps are safe.
        guard let kind = Kind(rawValue: reader.read()!) else { return .failure(.unknownKind) }
        let cluster: UInt32 = reader.read()!
        let sender: UInt16 = reader.read()!
        let flags = Flags(rawValue: reader.read()!)
        guard Flags.known.isSuperset(of: flags) else { return .failure(.unknownFlags) }
        let epoch: UInt64 = reader.read()!
        let sequence: UInt64 = reader.read()!
        let incarnation: UInt32 = reader.read()!
        guard let role = Role(rawValue: reader.read()!) else { return .failure(.unknownRole) }
        let priority: UInt8 = reader.read()!
        let path: UInt8 = reader.read()!
        let pathsUp: UInt8 = reader.read()!
        guard pathsUp & ~pathBits == 0 else { return .failure(.unknownPaths) }
        let sentAt = Instant(nanoseconds: reader.read()!)
        let echoSentAt = Instant(nanoseconds: reader.read()!)
        let echoHold = Duration(nanoseconds: UInt64(reader.read(UInt32.self)!))
        let mateIncarnation: UInt32 = reader.read()!
        let persistedSequence: UInt64 = reader.read()!
        let interval = Duration.microseconds(UInt64(reader.read(UInt32.self)!))
        let missedHeartbeatsMax: UInt8 = reader.read()!
        let capabilities = Capabilities(rawValue: reader.read()!)
        _ = reader.read(UInt16.self)!  // reserved
        assert(reader.offset == checksummedSize)
        return .success(
            PairFrame(
                kind: kind, cluster: cluster, sender: sender, flags: flags, epoch: epoch,
                sequence: sequence, incarnation: incarnation, role: role, priority: priority,
                path: path, sentAt: sentAt, echoSentAt: echoSentAt, echoHold: echoHold,
                mateIncarnation: mateIncarnation, pathsUp: pathsUp, persistedSequence: persistedSequence,
                interval: interval, missedHeartbeatsMax: missedHeartbeatsMax, capabilities: capabilities))
    }
}
