// How often each CPU is taken from a running thread, and for how long: one thread per CPU of
// the affinity set, pinned, reads CLOCK_MONOTONIC in a loop for SECONDS and counts every gap
// between two reads of THRESHOLD_US or more (an interrupt, a timer tick, a hypervisor exit,
// another task). The checkpoint benchmark (Tools/bench/checkpoint) prints it with each run: a
// synchronous write that such a gap hits on any thread of its path is that much slower, so the
// gaps' rate and length set how many writes land in the tail.
// Usage: cpu_noise SECONDS THRESHOLD_US
// Prints one JSON object: per CPU, gaps per second, the share of the time they took, their
// median and longest, and the median over the CPUs of the first two.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CPUS_MAX = 256, GAPS_MAX = 1 << 16 };

struct probe {
    int cpu;
    double seconds;
    uint64_t threshold;
    uint64_t count;     // gaps of at least threshold
    uint64_t lost;      // their total, ns
    uint64_t longest;   // ns
    uint32_t *gaps;     // the first GAPS_MAX gaps, ns (for the median)
    int pinned;
};

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *spin(void *argument) {
    struct probe *probe = argument;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(probe->cpu, &set);
    probe->pinned = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
    uint64_t start = now_ns(), end = start + (uint64_t)(probe->seconds * 1e9), previous = start;
    // Bounded by the clock: the loop ends once SECONDS have passed.
    for (;;) {
        uint64_t t = now_ns();
        if (t >= end) break;
        uint64_t gap = t - previous;
        previous = t;
        if (gap < probe->threshold) continue;
        if (probe->count < GAPS_MAX) probe->gaps[probe->count] = gap > UINT32_MAX ? UINT32_MAX : (uint32_t)gap;
        probe->count++;
        probe->lost += gap;
        if (gap > probe->longest) probe->longest = gap;
    }
    return NULL;
}

static int compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare_double);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: cpu_noise SECONDS THRESHOLD_US\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    long threshold = atol(argv[2]);
    if (!(seconds >= 0.1 && seconds <= 60) || threshold < 1 || threshold > 100000) {
        fprintf(stderr, "cpu_noise: SECONDS must be 0.1...60 and THRESHOLD_US 1...100000\n");
        return 2;
    }
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        perror("cpu_noise: sched_getaffinity");
        return 1;
    }
    static struct probe probes[CPUS_MAX];
    static pthread_t threads[CPUS_MAX];
    int count = 0;
    for (int cpu = 0; cpu < CPUS_MAX && cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        probes[count] = (struct probe){ .cpu = cpu, .seconds = seconds, .threshold = (uint64_t)threshold * 1000u };
        probes[count].gaps = calloc(GAPS_MAX, sizeof(uint32_t));
        if (!probes[count].gaps) {
            fprintf(stderr, "cpu_noise: out of memory\n");
            return 1;
        }
        count++;
    }
    for (int i = 0; i < count; i++) {
        if (pthread_create(&threads[i], NULL, spin, &probes[i]) != 0) {
            fprintf(stderr, "cpu_noise: pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
    double rates[CPUS_MAX], shares[CPUS_MAX];
    printf("{\"kind\": \"cpu-noise\", \"seconds\": %.1f, \"threshold_us\": %ld, \"cpus\": [", seconds, threshold);
    for (int i = 0; i < count; i++) {
        struct probe *p = &probes[i];
        size_t kept = p->count < GAPS_MAX ? (size_t)p->count : GAPS_MAX;
        qsort(p->gaps, kept, sizeof *p->gaps, compare_u32);
        double gap_median = kept ? (kept % 2 ? p->gaps[kept / 2] : (p->gaps[kept / 2 - 1] + (double)p->gaps[kept / 2]) / 2) : 0;
        rates[i] = (double)p->count / seconds;
        shares[i] = (double)p->lost / (seconds * 1e9) * 100;
        printf("%s{\"cpu\": %d, \"pinned\": %s, \"gaps_per_s\": %.1f, \"lost_percent\": %.3f, \"gap_median_us\": %.1f, \"gap_max_us\": %.1f}",
               i ? ", " : "", p->cpu, p->pinned ? "true" : "false", rates[i], shares[i], gap_median / 1000, (double)p->longest / 1000);
        free(p->gaps);
    }
    printf("], \"gaps_per_s\": %.1f, \"lost_percent\": %.3f}\n", count ? median(rates, count) : 0, count ? median(shares, count) : 0);
    return 0;
}
