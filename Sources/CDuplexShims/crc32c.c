// CRC-32C (Castagnoli) with the CPU's instruction: x86_64 SSE 4.2 `crc32`, eight bytes per
// instruction. DuplexCore's CRC32C uses it once DuplexLinux installs it (ChecksumAcceleration);
// its table-driven code stays the definition and the fallback.

#include "CDuplexShims.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

int CDuplexShims_crc32c_available(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
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
