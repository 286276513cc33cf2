/// SHA-256 (FIPS 180-4), for HMAC-SHA-256 (`HMACSHA256`), which authenticates pair frames on
/// links that are not physically private. Pure Swift; hashing a message allocates nothing (the
/// state is eight words, the last blocks and the message schedule live on the stack), so the
/// pair thread can tag and check its frames on its hot path.
public enum SHA256 {
    /// The chaining state.
    public struct Words: Sendable, Hashable {
        var a, b, c, d, e, f, g, h: UInt32
    }

    public static let digestSize = 32
    static let blockSize = 64

    static let initial = Words(
        a: 0x6a09_e667, b: 0xbb67_ae85, c: 0x3c6e_f372, d: 0xa54f_f53a, e: 0x510e_527f, f: 0x9b05_688c,
        g: 0x1f83_d9ab, h: 0x5be0_cd19)

    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestSize)
        bytes.withUnsafeBytes { message in
            digest.withUnsafeMutableBytes { finish(initial, absorbed: 0, message, into: $0) }
        }
        return digest
    }

    /// Writes the digest of a message into `digest` (32 bytes): `state` has absorbed
    /// `absorbed` bytes (whole blocks) of it, `message` is the rest.
    static func finish(_ state: Words, absorbed: Int, _ message: UnsafeRawBufferPointer, into digest: UnsafeMutableRawBufferPointer) {
        precondition(absorbed % blockSize == 0 && digest.count >= digestSize, "whole blocks absorbed, room for the digest")
        var state = state
        let whole = message.count / blockSize * blockSize
        var offset = 0
        while offset < whole {
            compress(&state, UnsafeRawBufferPointer(rebasing: message[offset..<(offset + blockSize)]))
            offset += blockSize
        }
        // The rest, the 0x80 byte, zeros and the length in bits: one block or two.
        withUnsafeTemporaryAllocation(byteCount: 2 * blockSize, alignment: 8) { tail in
            let rest = message.count - whole
            let blocks = rest + 1 + 8 <= blockSize ? 1 : 2
            tail.initializeMemory(as: UInt8.self, repeating: 0)
            if rest > 0 { tail.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[whole...])) }
            tail[rest] = 0x80
            let bits = UInt64(absorbed + message.count) &* 8
            tail.storeBytes(of: bits.bigEndian, toByteOffset: blocks * blockSize - 8, as: UInt64.self)
            for block in 0..<blocks {
                compress(&state, UnsafeRawBufferPointer(rebasing: tail[(block * blockSize)..<((block + 1) * blockSize)]))
            }
        }
        digest.storeBytes(of: state.a.bigEndian, toByteOffset: 0, as: UInt32.self)
        digest.storeBytes(of: state.b.bigEndian, toByteOffset: 4, as: UInt32.self)
        digest.storeBytes(of: state.c.bigEndian, toByteOffset: 8, as: UInt32.self)
        digest.storeBytes(of: state.d.bigEndian, toByteOffset: 12, as: UInt32.self)
        digest.storeBytes(of: state.e.bigEndian, toByteOffset: 16, as: UInt32.self)
        digest.storeBytes(of: state.f.bigEndian, toByteOffset: 20, as: UInt32.self)
        digest.storeBytes(of: state.g.bigEndian, toByteOffset: 24, as: UInt32.self)
        digest.storeBytes(of: state.h.bigEndian, toByteOffset: 28, as: UInt32.self)
    }

    /// The compression function over one 64-byte block.
    static func compress(_ state: inout Words, _ block: UnsafeRawBufferPointer) {
        precondition(block.count == blockSize, "one block")
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for index in 0..<16 {
                w[index] = block.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self).bigEndian
            }
            for index in 16..<64 {
                let s0 = w[index - 15].rotatedRight(7) ^ w[index - 15].rotatedRight(18) ^ (w[index - 15] >> 3)
                let s1 = w[index - 2].rotatedRight(17) ^ w[index - 2].rotatedRight(19) ^ (w[index - 2] >> 10)
                w[index] = w[index - 16] &+ s0 &+ w[index - 7] &+ s1
            }
            var a = state.a, b = state.b, c = state.c, d = state.d
            var e = state.e, f = state.f, g = state.g, h = state.h
            roundConstants.withUnsafeBufferPointer { k in
                for index in 0..<64 {
                    let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let choice = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ choice &+ k[index] &+ w[index]
                    let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    h = g
                    g = f
                    f = e
                    e = d &+ t1
                    d = c
                    c = b
                    b = a
                    a = t1 &+ s0 &+ majority
                }
            }
            state.a &+= a
            state.b &+= b
            state.c &+= c
            state.d &+= d
            state.e &+= e
            state.f &+= f
            state.g &+= g
            state.h &+= h
        }
    }
}

/// HMAC-SHA-256 (RFC 2104) with a fixed key: the key's inner and outer blocks are absorbed
/// once, so a message costs its own blocks and three more at most (an 80-byte pair frame:
/// three compressions). Authenticating allocates nothing.
public struct HMACSHA256: Sendable, Hashable {
    private let inner: SHA256.Words
    private let outer: SHA256.Words

    /// A key longer than a block is hashed first (RFC 2104).
    public init(key: [UInt8]) {
        var block = key.count > SHA256.blockSize ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: SHA256.blockSize - block.count)
        var inner = SHA256.initial
        var outer = SHA256.initial
        block.map { $0 ^ 0x36 }.withUnsafeBytes { SHA256.compress(&inner, $0) }
        block.map { $0 ^ 0x5c }.withUnsafeBytes { SHA256.compress(&outer, $0) }
        self.inner = inner
        self.outer = outer
    }

    /// Writes the 32-byte authentication code of `message` into `code`.
    public func authenticate(_ message: UnsafeRawBufferPointer, into code: UnsafeMutableRawBufferPointer) {
        withUnsafeTemporaryAllocation(byteCount: SHA256.digestSize, alignment: 8) { innerDigest in
            SHA256.finish(inner, absorbed: SHA256.blockSize, message, into: innerDigest)
            SHA256.finish(outer, absorbed: SHA256.blockSize, UnsafeRawBufferPointer(innerDigest), into: code)
        }
    }

    /// The 32-byte authentication code of `message`.
    public func authenticationCode(_ message: [UInt8]) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: SHA256.digestSize)
        message.withUnsafeBytes { bytes in code.withUnsafeMutableBytes { authenticate(bytes, into: $0) } }
        return code
    }
}

extension UInt32 {
    @inlinable
    func rotatedRight(_ count: UInt32) -> UInt32 {
        (self >> count) | (self << (32 - count))
    }
}
