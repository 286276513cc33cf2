/// What the client saw: send times and which names answered each sequence number.
struct ProbeTally {
    static let namesMax = 8

    let count: Int
    /// Send time of each probe in nanoseconds since the first send; `UInt64.max` until sent.
    private(set) var sendOffsets: [UInt64]
    /// One bit per known name for each sequence number.
    private(set) var answerMasks: [UInt8]
    private(set) var names: [[UInt8]] = []
    private(set) var sent = 0
    private(set) var sendErrors = 0
    private(set) var duplicates = 0
    private(set) var strays = 0
    private(set) var namesOverflow = 0
    private(set) var lateMax: UInt64 = 0

    init(count: Int) {
        precondition(count >= 1 && count <= ClientOptions.countMax, "count out of range")
        self.count = count
        sendOffsets = Array(repeating: UInt64.max, count: count)
        answerMasks = Array(repeating: 0, count: count)
    }

    mutating func recordSend(sequence: Int, offset: UInt64, lateness: UInt64, accepted: Bool) {
        precondition(sequence == sent && sequence < count, "probes are sent in order")
        sendOffsets[sequence] = offset
        sent += 1
        lateMax = max(lateMax, lateness)
        if !accepted { sendErrors += 1 }
    }

    /// Records an answer; answers to unsent or unknown sequences count as strays.
    mutating func recordAnswer(sequence: UInt64, name: UnsafeRawBufferPointer) {
        guard sequence < UInt64(sent) else {
            strays += 1
            return
        }
        guard let index = nameIndex(name) else {
            namesOverflow += 1
            return
        }
        let bit = UInt8(1) << UInt8(index)
        let slot = Int(sequence)
        if answerMasks[slot] & bit != 0 {
            duplicates += 1
        } else {
            answerMasks[slot] |= bit
        }
    }

    mutating func recordStray() { strays += 1 }

    /// The index of `name`, adding it if there is room; nil when `namesMax` names are known.
    private mutating func nameIndex(_ name: UnsafeRawBufferPointer) -> Int? {
        if let index = names.firstIndex(where: { $0.elementsEqual(name) }) { return index }
        guard names.count < Self.namesMax else { return nil }
        names.append(Array(name))
        return names.count - 1
    }

    /// Names in `mask`, joined with `+`.
    func label(_ mask: UInt8) -> String {
        var parts: [String] = []
        for index in 0..<names.count where mask & (UInt8(1) << UInt8(index)) != 0 {
            parts.append(String(decoding: names[index], as: UTF8.self))
        }
        return parts.joined(separator: "+")
    }
}
