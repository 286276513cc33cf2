import Glibc

/// Sends `options.count` requests in turn (each retried up to `options.attempts` times 200 ms
/// apart, with the same id) and prints each count.
func query(_ options: Options) {
    let fd = udpSocket(timeoutMilliseconds: 200)
    var target = socketAddress(options.address, options.port)
    var seed = UInt64(UInt32(truncatingIfNeeded: getpid())) << 32 ^ UInt64(time(nil))
    for _ in 0..<options.count {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        let request = bytes(of: seed)
        guard let count = ask(fd, &target, request, attempts: options.attempts) else {
            fail("no answer from \(options.address):\(options.port) after \(options.attempts) attempts")
        }
        print(count)
    }
}

/// One request and its answer (the request id, then a decimal count), retried. Answers to
/// earlier requests (late, or repeated because a retry crossed the first answer) are skipped.
func ask(_ fd: Int32, _ target: inout sockaddr_in, _ request: [UInt8], attempts: Int) -> UInt64? {
    var buffer = [UInt8](repeating: 0, count: 40)
    var stale = 0
    for _ in 0..<max(attempts, 1) {
        _ = request.withUnsafeBytes { raw in
            withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        // Read until this request's answer or a timeout (at most 64 stale answers per attempt).
        for _ in 0..<64 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 8, Array(buffer[0..<8]) == request {
                if let value = UInt64(String(decoding: buffer[8..<count], as: UTF8.self)) { return value }
            }
            if count <= 0 {
                usleep(count < 0 && errno == EAGAIN ? 0 : 200_000)  // a timeout already waited
                break
            }
            stale += 1
        }
    }
    say("duplex-counter: \(stale) stale answers skipped")
    return nil
}
