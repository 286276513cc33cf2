// The allocator's settings (malloc.h is not in the Glibc module).
#include "CDuplexShims.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

int CDuplexShims_malloc_single_arena(void) {
    return mallopt(M_ARENA_MAX, 1);
}

/// The transparent huge page size of x86-64 and of arm64 with 4 KiB pages.
#define HUGE_PAGE ((uintptr_t)2 << 20)

/// The trim threshold this file set last (0: glibc's own, dynamic).
static size_t trim_threshold;

int CDuplexShims_malloc_reserve(size_t nursery, size_t bytes) {
    if (bytes < HUGE_PAGE || bytes > (size_t)INT_MAX / 2 || nursery > (size_t)INT_MAX / 4) {
        errno = EINVAL;
        return -1;
    }
    // Keep a free top of the heap this large instead of returning it to the kernel: it is about
    // to be used. (Setting it also fixes glibc's mmap threshold where it stands.)
    size_t keep = nursery + bytes + bytes / 2;
    if (trim_threshold < keep) {
        if (mallopt(M_TRIM_THRESHOLD, (int)keep) != 1) {
            errno = EINVAL;
            return -1;
        }
        trim_threshold = keep;
    }
    // Blocks from the heap itself (not mappings of their own, which free would unmap), one
    // after the other at its top: the nursery, then the room.
    if (mallopt(M_MMAP_MAX, 0) != 1) {
        errno = EINVAL;
        return -1;
    }
    char *low = nursery > 0 ? malloc(nursery) : NULL;
    char *block = nursery == 0 || low != NULL ? malloc(bytes) : NULL;
    int saved = errno;
    mallopt(M_MMAP_MAX, 65536);  // glibc's default
    int result = -1;
    if (block != NULL) {
        uintptr_t start = ((uintptr_t)block + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t end = ((uintptr_t)block + bytes) & ~(HUGE_PAGE - 1);
        result = 0;
        if (end > start) result = madvise((void *)start, end - start, MADV_HUGEPAGE);
        saved = errno;
    }
    // Back to the heap's top, which stays (see the trim threshold above), in the order taken.
    free(block);
    free(low);
    errno = saved;
    return result;
}
