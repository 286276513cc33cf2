// The CPU a thread costs on this machine just to wake up periodically: SCHED_FIFO (when
// allowed), epoll on a periodic timerfd, one read per expiry, nothing else. The idle benchmark
// (Tools/bench/idle) compares duplexd's pair thread with this floor at the same interval.
// Usage: wakeup_floor INTERVAL_US SECONDS
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: wakeup_floor INTERVAL_US SECONDS\n"); return 2; }
    long interval = atol(argv[1]), seconds = atol(argv[2]);
    if (interval < 100 || interval > 1000000 || seconds < 1 || seconds > 600) { fprintf(stderr, "wakeup_floor: out of range\n"); return 2; }
    struct sched_param param = { .sched_priority = 50 };
    int fifo = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec period = { { interval / 1000000, (interval % 1000000) * 1000 }, { interval / 1000000, (interval % 1000000) * 1000 } };
    int poller = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = 1 };
    if (timer < 0 || poller < 0 || timerfd_settime(timer, 0, &period, NULL) != 0 || epoll_ctl(poller, EPOLL_CTL_ADD, timer, &event) != 0) {
        perror("wakeup_floor"); return 1;
    }
    long wakes = seconds * 1000000L / interval;
    for (long i = 0; i < wakes; i++) {
        struct epoll_event ready;
        uint64_t expirations;
        if (epoll_wait(poller, &ready, 1, -1) != 1 || read(timer, &expirations, sizeof expirations) != sizeof expirations) { perror("wakeup_floor"); return 1; }
    }
    struct timespec used;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    printf("{\"interval_us\":%ld,\"seconds\":%ld,\"fifo\":%d,\"cpu_percent\":%.3f}\n", interval, seconds, fifo,
           (used.tv_sec + used.tv_nsec / 1e9) / seconds * 100);
    return 0;
}
