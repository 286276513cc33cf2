// The round trip between a writer process and a daemon thread on this machine, two ways, with
// everything else of a checkpoint write left out. `unix`: the writer sends a request on a Unix
// stream socket and polls it for the answer (`MSG_PEEK`, yielding between polls), the daemon
// sleeps in epoll_wait, reads and answers with `send`: what Duplex's session does today.
// `shm`: the writer copies the request into shared memory and rings an eventfd doorbell, then
// polls the shared memory for the answer; the daemon sleeps in epoll_wait on the eventfd, reads
// it, copies the request out and writes the answer into shared memory (no system call).
// The daemon runs under SCHED_FIFO 50 when allowed, as duplexd's checkpoint thread. The writer
// pauses 30 us between round trips (busy), so that every request finds the daemon asleep.
// Usage: ipc_pingpong unix|shm CLIENT_CPU SERVER_CPU SIZE COUNT
// Prints one JSON object: p50 and p99 of the round trip in microseconds.
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

enum { SIZE_MAX_BYTES = 8192, ANSWER_BYTES = 21, WARMUP = 100 };
#define PAUSE_NS 30000u

struct shared {
    _Atomic uint64_t request;  // the writer's latest request number
    _Atomic uint64_t answer;   // the daemon's latest answer number
    char data[SIZE_MAX_BYTES + 64];
};

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

// The daemon: answers `total` requests, each wait bounded by a 2 s epoll timeout.
static int serve(int shm_mode, int socket_fd, int doorbell, struct shared *m, int size, int total) {
    static char buffer[65536];
    int epoll = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLIN, .data.fd = shm_mode ? doorbell : socket_fd };
    if (epoll < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, event.data.fd, &event) != 0) return 1;
    for (int answered = 0, waits = 0; answered < total && waits < 4 * total; waits++) {
        struct epoll_event ready;
        if (epoll_wait(epoll, &ready, 1, 2000) <= 0) return 1;  // the writer is gone
        if (shm_mode) {
            uint64_t rings;
            if (read(doorbell, &rings, sizeof rings) != sizeof rings) continue;
            uint64_t request = atomic_load_explicit(&m->request, memory_order_acquire);
            memcpy(buffer, m->data, (size_t)size);
            memcpy(m->data, buffer, ANSWER_BYTES);
            atomic_store_explicit(&m->answer, request, memory_order_release);
            answered++;
        } else {
            ssize_t got = recv(socket_fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got <= 0) continue;
            if (send(socket_fd, buffer, ANSWER_BYTES, MSG_DONTWAIT) != ANSWER_BYTES) return 1;
            answered++;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: ipc_pingpong unix|shm CLIENT_CPU SERVER_CPU SIZE COUNT\n");
        return 2;
    }
    int shm_mode = strcmp(argv[1], "shm") == 0;
    int client_cpu = atoi(argv[2]), server_cpu = atoi(argv[3]), size = atoi(argv[4]), count = atoi(argv[5]);
    if ((!shm_mode && strcmp(argv[1], "unix") != 0) || size < 1 || size > SIZE_MAX_BYTES || count < 100 || count > 1000000) {
        fprintf(stderr, "ipc_pingpong: bad arguments (SIZE 1...%d, COUNT 100...1000000)\n", SIZE_MAX_BYTES);
        return 2;
    }
    int pair[2];
    int doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct shared *m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0 || doorbell < 0 || m == MAP_FAILED) {
        perror("ipc_pingpong: setup");
        return 1;
    }
    int total = count + WARMUP;
    pid_t child = fork();
    if (child < 0) {
        perror("ipc_pingpong: fork");
        return 1;
    }
    if (child == 0) {
        if (pin(server_cpu) != 0) _exit(1);
        struct sched_param param = { .sched_priority = 50 };
        (void)sched_setscheduler(0, SCHED_FIFO, &param);  // refused: the normal priority
        _exit(serve(shm_mode, pair[1], doorbell, m, size, total));
    }
    if (pin(client_cpu) != 0) {
        perror("ipc_pingpong: sched_setaffinity");
        return 1;
    }
    static char request[SIZE_MAX_BYTES + 64];
    memset(request, 7, sizeof request);
    uint64_t *samples = calloc((size_t)count, sizeof *samples);
    if (samples == NULL) return 1;
    int failed = 0;
    for (int i = 0; i < total && !failed; i++) {
        uint64_t start = now_ns(), deadline = start + 2000000000u;
        if (shm_mode) {
            memcpy(m->data, request, (size_t)size);
            atomic_store_explicit(&m->request, (uint64_t)i + 1, memory_order_release);
            uint64_t one = 1;
            if (write(doorbell, &one, sizeof one) != sizeof one) failed = 1;
            // Polls for the answer, yielding between polls; bounded by the 2 s deadline.
            while (!failed && atomic_load_explicit(&m->answer, memory_order_acquire) != (uint64_t)i + 1) {
                if (now_ns() > deadline) failed = 1;
                sched_yield();
            }
        } else {
            // The request as the session frames it: 41 bytes of header and names, then the value.
            if (send(pair[0], request, (size_t)size + 41, 0) != size + 41) failed = 1;
            char byte;
            while (!failed && recv(pair[0], &byte, 1, MSG_DONTWAIT | MSG_PEEK) <= 0) {
                if (now_ns() > deadline) failed = 1;
                sched_yield();
            }
            char answer[64];
            if (!failed && recv(pair[0], answer, sizeof answer, MSG_DONTWAIT) != ANSWER_BYTES) failed = 1;
        }
        uint64_t end = now_ns();
        if (i >= WARMUP) samples[i - WARMUP] = end - start;
        // A pause between round trips (a writer computing its next value): the daemon is back
        // asleep before the next request comes, as in a real session. Without it, across two
        // CPUs, the next doorbell would often find the daemon not yet asleep.
        while (now_ns() < end + PAUSE_NS) {
        }
    }
    int status = 0;
    if (failed) kill(child, SIGKILL);
    waitpid(child, &status, 0);
    if (failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ipc_pingpong: a round trip failed or timed out\n");
        return 1;
    }
    qsort(samples, (size_t)count, sizeof *samples, compare);
    printf("{\"mode\": \"%s\", \"client_cpu\": %d, \"server_cpu\": %d, \"size\": %d, \"count\": %d, \"p50_us\": %.2f, \"p99_us\": %.2f}\n",
           argv[1], client_cpu, server_cpu, size, count, samples[count / 2] / 1e3, samples[(size_t)count * 99 / 100] / 1e3);
    free(samples);
    return 0;
}
