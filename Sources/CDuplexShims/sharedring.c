// Single-producer, single-consumer byte rings in memory shared by two processes (the checkpoint
// session between a process and duplexd). Counts grow without wrapping back (64 bits of bytes);
// the position in the data is the count modulo the capacity, a power of two. Each side trusts
// only its own private count: the peer's published one is read with acquire ordering and
// checked before any byte is copied.

#include "CDuplexShims.h"

#include <string.h>

static int power_of_two(uint64_t capacity) {
    return capacity > 0 && (capacity & (capacity - 1)) == 0;
}

long CDuplexShims_ring_readable(const CDuplexShims_ring_control *control, uint64_t capacity, uint64_t read) {
    if (!power_of_two(capacity)) return -1;
    uint64_t written = __atomic_load_n(&control->written, __ATOMIC_ACQUIRE);
    uint64_t waiting = written - read;
    if (written < read || waiting > capacity) return -1;
    return (long)waiting;
}

long CDuplexShims_ring_writable(const CDuplexShims_ring_control *control, uint64_t capacity, uint64_t written) {
    if (!power_of_two(capacity)) return -1;
    uint64_t read = __atomic_load_n(&control->read, __ATOMIC_ACQUIRE);
    uint64_t used = written - read;
    if (read > written || used > capacity) return -1;
    return (long)(capacity - used);
}

// Moves up to `count` bytes between `bytes` and the ring's data at this side's count
// `*position` (into the ring when `into`), at most `available` (the room or the bytes waiting;
// -1: the peer's count is impossible), then publishes the new count at `published`.
static long ring_move(unsigned char *data, uint64_t capacity, uint64_t *position, uint64_t *published,
                      long available, unsigned char *bytes, uint64_t count, int into) {
    if (available < 0) return -1;
    uint64_t n = count < (uint64_t)available ? count : (uint64_t)available;
    if (n == 0) return 0;
    uint64_t at = *position & (capacity - 1);
    uint64_t first = capacity - at < n ? capacity - at : n;  // to the end of the data, then from its start
    if (into) {
        memcpy(data + at, bytes, first);
        memcpy(data, bytes + first, n - first);
    } else {
        memcpy(bytes, data + at, first);
        memcpy(bytes + first, data, n - first);
    }
    *position += n;
    __atomic_store_n(published, *position, __ATOMIC_RELEASE);
    return (long)n;
}

long CDuplexShims_ring_write(CDuplexShims_ring_control *control, unsigned char *data, uint64_t capacity,
                             uint64_t *written, const void *bytes, uint64_t count) {
    return ring_move(data, capacity, written, &control->written, CDuplexShims_ring_writable(control, capacity, *written),
                     (unsigned char *)bytes, count, 1);
}

long CDuplexShims_ring_read(CDuplexShims_ring_control *control, const unsigned char *data, uint64_t capacity,
                            uint64_t *read, void *bytes, uint64_t count) {
    return ring_move((unsigned char *)data, capacity, read, &control->read, CDuplexShims_ring_readable(control, capacity, *read),
                     (unsigned char *)bytes, count, 0);
}

// A sleep flag set or cleared, then a full fence: the other side, which fences before it reads
// the flag, either sees it or this side sees the other's bytes after the fence.
static void set_flag(uint32_t *flag, uint32_t value) {
    __atomic_store_n(flag, value, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int flag_seen(uint32_t *flag) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

void CDuplexShims_ring_set_consumer_sleeping(CDuplexShims_ring_control *control, uint32_t sleeping) {
    set_flag(&control->consumer_sleeping, sleeping);
}

int CDuplexShims_ring_consumer_sleeps(CDuplexShims_ring_control *control) {
    return flag_seen(&control->consumer_sleeping);
}

void CDuplexShims_ring_set_producer_waiting(CDuplexShims_ring_control *control, uint32_t waiting) {
    set_flag(&control->producer_waiting, waiting);
}

int CDuplexShims_ring_producer_waits(CDuplexShims_ring_control *control) {
    return flag_seen(&control->producer_waiting);
}
