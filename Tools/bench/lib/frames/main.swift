import DuplexCore
import DuplexBenchSupport
import Glibc

// duplex-frame-bench RUNS COUNT: nanoseconds per pair frame to encode and to decode, without a
// key and with one (`[cluster] key-file`: HMAC-SHA-256 tag), each run timing COUNT frames of
// each kind; prints one JSON line per run.

let (runs, count) = runsAndCount(program: "duplex-frame-bench", counts: 1_000...10_000_000)
let authentication = PairAuthentication(key: PairFrameKey(bytes: (0..<32).map { UInt8($0) &* 37 })!)
var frame = PairFrame(
    kind: .heartbeat, cluster: 7, sender: 1, flags: [.rotating], epoch: 3, sequence: 0, incarnation: 11,
    role: .active, priority: 200, path: 0, sentAt: Instant(nanoseconds: 1), interval: .milliseconds(4),
    missedHeartbeatsMax: 3, capabilities: .thisBuild)
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: PairFrame.authenticatedSize, alignment: 16)
defer { buffer.deallocate() }
var checksum: UInt64 = 0  // what the loops computed, printed so that none is optimised away

/// Nanoseconds per frame of `body` over `count` frames (the sequence number changes each time).
func timed(_ body: (Int) -> Void) -> Double {
    let start = monotonicNanoseconds()
    for index in 0..<count { body(index) }
    return Double(monotonicNanoseconds() - start) / Double(count)
}

for run in 1...runs {
    var results: [(String, Double)] = []
    for (name, keys) in [("plain", nil), ("authenticated", authentication)] as [(String, PairAuthentication?)] {
        let encode = timed { index in
            frame.sequence = UInt64(index)
            checksum &+= UInt64(frame.encode(into: buffer, authentication: keys))
        }
        let length = frame.encode(into: buffer, authentication: keys)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
        let decode = timed { _ in
            if case .success(let decoded) = PairFrame.decode(bytes, authentication: keys) { checksum &+= decoded.sequence }
        }
        results += [("\(name)_encode_ns", encode), ("\(name)_decode_ns", decode)]
    }
    let fields = results.map { "\"\($0.0)\":\((($0.1 * 10).rounded() / 10))" }.joined(separator: ",")
    print("{\"run\":\(run),\"count\":\(count),\(fields),\"checksum\":\(checksum)}")
}
