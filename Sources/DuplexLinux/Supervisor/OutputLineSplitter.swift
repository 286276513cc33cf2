/// Cuts a component's output into lines for the log: at `\n` (a `\r` before it is dropped),
/// and at `lineMax` bytes for a longer line, so that one line never grows without bound.
struct OutputLineSplitter {
    let lineMax: Int
    private var pending: [UInt8] = []

    init(lineMax: Int) {
        precondition(lineMax >= 1, "a line holds at least one byte")
        self.lineMax = lineMax
        pending.reserveCapacity(lineMax)
    }

    /// Appends `bytes` and calls `line` for each line completed (without its newline).
    mutating func append(_ bytes: UnsafeRawBufferPointer, line: (String) -> Void) {
        for byte in bytes {
            if byte == 0x0A {
                emit(line)
                continue
            }
            pending.append(byte)
            if pending.count == lineMax { emit(line) }
        }
    }

    /// Emits what is left of an unfinished last line, if anything.
    mutating func finish(line: (String) -> Void) {
        if !pending.isEmpty { emit(line) }
    }

    private mutating func emit(_ line: (String) -> Void) {
        if pending.last == 0x0D { pending.removeLast() }
        line(String(decoding: pending, as: UTF8.self))
        pending.removeAll(keepingCapacity: true)
    }
}
