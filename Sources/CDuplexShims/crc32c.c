// CRC-32C (Castagnoli) with the CPU's instruction: x86_64 SSE 4.2 `crc32`, eight bytes per
// instruction, three streams at once on long buffers. DuplexCore's CRC32C uses it once
// DuplexLinux installs it (ChecksumAcceleration); its table-driven code stays the definition
// and the fallback.

#include "CDuplexShims.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

int CDuplexShims_crc32c_available(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

// Long buffers run three independent CRCs over three consecutive blocks at once (the
// instruction has a latency of three cycles and a throughput of one per cycle, so a single
// dependent chain uses a third of it), then join them: the CRC of block A followed by block B
// is the CRC of A shifted over len(B) zero bytes, XOR the CRC of B from zero. The shift is a
// linear operator on the 32-bit state, tabulated once per block size (four 256-entry tables),
// as in Mark Adler's crc32c.c (zlib licence, the same method).

#include <pthread.h>

#define CRC32C_POLY 0x82f63b78u
#define CRC32C_LONG 8192
#define CRC32C_SHORT 256

static uint32_t crc32c_long[4][256];
static uint32_t crc32c_short[4][256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

// The product of a 32x32 matrix over GF(2) (columns in mat) and a vector.
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    for (int n = 0; vec != 0 && n < 32; n++, vec >>= 1) {
        if (vec & 1) sum ^= mat[n];
    }
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(mat, mat[n]);
}

// The operator that runs the raw CRC state over len zero bytes (len a power of two, >= 1).
static void crc32c_zeros_operator(uint32_t *even, size_t len) {
    uint32_t odd[32];
    odd[0] = CRC32C_POLY;  // one zero bit
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_square(even, odd);  // two zero bits
    gf2_square(odd, even);  // four zero bits
    // Eight bits (one byte), then doubled until len bytes; the loop halves len each time.
    for (;;) {
        gf2_square(even, odd);
        len >>= 1;
        if (len == 0) return;
        gf2_square(odd, even);
        len >>= 1;
        if (len == 0) break;
    }
    for (int n = 0; n < 32; n++) even[n] = odd[n];
}

static void crc32c_zeros(uint32_t zeros[4][256], size_t len) {
    uint32_t op[32];
    crc32c_zeros_operator(op, len);
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = gf2_times(op, n);
        zeros[1][n] = gf2_times(op, n << 8);
        zeros[2][n] = gf2_times(op, n << 16);
        zeros[3][n] = gf2_times(op, n << 24);
    }
}

static void crc32c_init_tables(void) {
    crc32c_zeros(crc32c_long, CRC32C_LONG);
    crc32c_zeros(crc32c_short, CRC32C_SHORT);
}

static inline uint32_t crc32c_shift(uint32_t zeros[4][256], uint32_t crc) {
    return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^ zeros[3][crc >> 24];
}

// Three blocks of `block` bytes at p, joining into crc (raw state); returns the new state.
__attribute__((target("sse4.2")))
static inline uint64_t crc32c_three(uint64_t crc0, const unsigned char *p, size_t block, uint32_t zeros[4][256]) {
    uint64_t crc1 = 0, crc2 = 0;
    for (size_t i = 0; i < block; i += 8) {
        uint64_t w0, w1, w2;
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p + block + i, 8);
        memcpy(&w2, p + 2 * block + i, 8);
        crc0 = __builtin_ia32_crc32di(crc0, w0);
        crc1 = __builtin_ia32_crc32di(crc1, w1);
        crc2 = __builtin_ia32_crc32di(crc2, w2);
    }
    crc0 = crc32c_shift(zeros, (uint32_t)crc0) ^ (uint32_t)crc1;
    crc0 = crc32c_shift(zeros, (uint32_t)crc0) ^ (uint32_t)crc2;
    return crc0;
}

__attribute__((target("sse4.2")))
uint32_t CDuplexShims_crc32c_update(uint32_t running, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint32_t crc = ~running;
    // Byte steps to an eight-byte boundary, then eight bytes per instruction.
    while (count > 0 && ((uintptr_t)p & 7) != 0) {
        crc = __builtin_ia32_crc32qi(crc, *p++);
        count--;
    }
    uint64_t wide = crc;
    if (count >= 3 * CRC32C_SHORT) {
        pthread_once(&crc32c_once, crc32c_init_tables);
        while (count >= 3 * CRC32C_LONG) {
            wide = crc32c_three(wide, p, CRC32C_LONG, crc32c_long);
            p += 3 * CRC32C_LONG;
            count -= 3 * CRC32C_LONG;
        }
        while (count >= 3 * CRC32C_SHORT) {
            wide = crc32c_three(wide, p, CRC32C_SHORT, crc32c_short);
            p += 3 * CRC32C_SHORT;
            count -= 3 * CRC32C_SHORT;
        }
    }
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        wide = __builtin_ia32_crc32di(wide, word);
        p += 8;
        count -= 8;
    }
    crc = (uint32_t)wide;
    while (count > 0) {
        crc = __builtin_ia32_crc32qi(crc, *p++);
        count--;
    }
    return ~crc;
}

#else

int CDuplexShims_crc32c_available(void) { return 0; }

uint32_t CDuplexShims_crc32c_update(uint32_t running, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return running;  // never called: not available
}

#endif
