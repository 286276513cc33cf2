// The allocator's arena setting (malloc.h is not in the Glibc module).
#include "CDuplexShims.h"

#include <malloc.h>

int CDuplexShims_malloc_single_arena(void) {
    return mallopt(M_ARENA_MAX, 1);
}
