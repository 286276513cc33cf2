// The receive ring of a packet socket (PACKET_RX_RING, TPACKET_V2). See packet_mmap.rst in the
// kernel documentation: each slot starts with a tpacket2_hdr whose tp_status the kernel sets to
// TP_STATUS_USER when it filled the slot, and the reader hands it back with TP_STATUS_KERNEL.
#include "CDuplexShims.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

enum { ring_block_size = 4096, ring_read_max = 16, address_slot = 128 };

int CDuplexShims_packet_ring_open(int fd, unsigned frame_size, unsigned frame_count, CDuplexShims_packet_ring *ring) {
    memset(ring, 0, sizeof *ring);
    if (frame_size < TPACKET_ALIGN(TPACKET2_HDRLEN) + 64 || frame_size % TPACKET_ALIGNMENT != 0
        || ring_block_size % frame_size != 0 || frame_count == 0 || frame_count % (ring_block_size / frame_size) != 0) {
        errno = EINVAL;
        return -1;
    }
    int version = TPACKET_V2;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) return -1;
    struct tpacket_req request = {
        .tp_block_size = ring_block_size,
        .tp_block_nr = frame_count / (ring_block_size / frame_size),
        .tp_frame_size = frame_size,
        .tp_frame_nr = frame_count,
    };
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) != 0) return -1;
    size_t size = (size_t)request.tp_block_size * request.tp_block_nr;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int error = errno;
        struct tpacket_req none = {0};
        (void)setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof none);  // back to the plain queue
        errno = error;
        return -1;
    }
    ring->map = map;
    ring->map_size = size;
    ring->frame_size = frame_size;
    ring->frame_count = frame_count;
    ring->next = 0;
    return 0;
}

int CDuplexShims_packet_ring_read(CDuplexShims_packet_ring *ring, void *arena, size_t slot_size, int count,
                                  uint32_t *lengths, uint64_t *stamps, void *addresses) {
    if (ring->map == NULL || count <= 0 || count > ring_read_max) { errno = EINVAL; return -1; }
    int taken = 0;
    while (taken < count) {
        struct tpacket2_hdr *header = (struct tpacket2_hdr *)((char *)ring->map + (size_t)ring->next * ring->frame_size);
        uint32_t status = __atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE);
        if (!(status & TP_STATUS_USER)) break;
        uint32_t length = header->tp_len;
        uint32_t captured = header->tp_snaplen;
        // A slot holds tp_snaplen bytes from tp_mac; trust neither beyond the slot.
        if (header->tp_mac >= ring->frame_size || captured > ring->frame_size - header->tp_mac) captured = 0;
        size_t copied = captured < slot_size ? captured : slot_size;
        memcpy((char *)arena + (size_t)taken * slot_size, (char *)header + header->tp_mac, copied);
        lengths[taken] = (captured < length || length > slot_size) ? (uint32_t)slot_size + 1 : length;
        stamps[taken] = (uint64_t)header->tp_sec * 1000000000u + header->tp_nsec;
        char *address = (char *)addresses + (size_t)taken * address_slot;
        memset(address, 0, address_slot);
        memcpy(address, (char *)header + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)), sizeof(struct sockaddr_ll));
        __atomic_store_n(&header->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        ring->next = (ring->next + 1) % ring->frame_count;
        taken += 1;
    }
    return taken;
}

// One ring of CDuplexShims_packet_rings_open, opened on its own thread.
struct ring_job {
    int fd;
    unsigned frame_size;
    unsigned frame_count;
    CDuplexShims_packet_ring *ring;
    int error;
};

static void *ring_job_run(void *argument) {
    struct ring_job *job = argument;
    job->error = CDuplexShims_packet_ring_open(job->fd, job->frame_size, job->frame_count, job->ring) == 0 ? 0 : errno;
    return NULL;
}

void CDuplexShims_packet_rings_open(int count, const int *fds, unsigned frame_size, unsigned frame_count,
                                    CDuplexShims_packet_ring *rings, int *errors) {
    enum { jobs_max = 8 };
    struct ring_job jobs[jobs_max];
    pthread_t threads[jobs_max];
    int started[jobs_max];
    if (count > jobs_max) count = jobs_max;
    for (int index = 0; index < count; index += 1) {
        jobs[index] = (struct ring_job){fds[index], frame_size, frame_count, &rings[index], 0};
        // The last one, and any whose thread cannot start, runs here.
        started[index] = index + 1 < count && pthread_create(&threads[index], NULL, ring_job_run, &jobs[index]) == 0;
        if (!started[index]) ring_job_run(&jobs[index]);
    }
    for (int index = 0; index < count; index += 1) {
        if (started[index]) (void)pthread_join(threads[index], NULL);
        errors[index] = jobs[index].error;
    }
}

long long CDuplexShims_packet_ring_drops(int fd) {
    struct tpacket_stats statistics;
    socklen_t size = sizeof statistics;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &statistics, &size) != 0) return -1;
    return statistics.tp_drops;
}

void CDuplexShims_packet_ring_close(CDuplexShims_packet_ring *ring) {
    if (ring->map != NULL) munmap(ring->map, ring->map_size);
    memset(ring, 0, sizeof *ring);
}
