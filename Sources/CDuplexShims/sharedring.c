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

long CDuplexShims_ring_write(CDuplexShims_ring_control *control, unsigned char *data, uint64_t capacity,
                             uint64_t *written, const void *bytes, uint64_t count) {
    long room = CDuplexShims_ring_writable(control, capacity, *written);
    if (room < 0) return -1;
    uint64_t n = count < (uint64_t)room ? count : (uint64_t)room;
    if (n == 0) return 0;
    uint64_t at = *written & (capacity - 1);
    uint64_t first = capacity - at < n ? capacity - at : n;
    memcpy(data + at, bytes, first);
    memcpy(data, (const unsigned char *)bytes + first, n - first);
    *written += n;
    __atomic_store_n(&control->written, *written, __ATOMIC_RELEASE);
    return (long)n;
}

long CDuplexShims_ring_read(CDuplexShims_ring_control *control, const unsigned char *data, uint64_t capacity,
                            uint64_t *read, void *bytes, uint64_t count) {
    long waiting = CDuplexShims_ring_readable(control, capacity, *read);
    if (waiting < 0) return -1;
    uint64_t n = count < (uint64_t)waiting ? count : (uint64_t)waiting;
    if (n == 0) return 0;
    uint64_t at = *read & (capacity - 1);
    uint64_t first = capacity - at < n ? capacity - at : n;
    memcpy(bytes, data + at, first);
    memcpy((unsigned char *)bytes + first, data, n - first);
    *read += n;
    __atomic_store_n(&control->read, *read, __ATOMIC_RELEASE);
    return (long)n;
}

void CDuplexShims_ring_set_consumer_sleeping(CDuplexShims_ring_control *control, uint32_t sleeping) {
    __atomic_store_n(&control->consumer_sleeping, sleeping, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int CDuplexShims_ring_consumer_sleeps(CDuplexShims_ring_control *control) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&control->consumer_sleeping, __ATOMIC_ACQUIRE) != 0;
}

void CDuplexShims_ring_set_producer_waiting(CDuplexShims_ring_control *control, uint32_t waiting) {
    __atomic_store_n(&control->producer_waiting, waiting, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int CDuplexShims_ring_producer_waits(CDuplexShims_ring_control *control) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&control->producer_waiting, __ATOMIC_ACQUIRE) != 0;
}
