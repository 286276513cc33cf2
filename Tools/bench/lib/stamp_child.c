/* The supervised child of Tools/bench/supervisor: appends "PID NANOSECONDS" (CLOCK_MONOTONIC,
 * shared by every process of the machine) to ./stamps as soon as it runs, then waits for a
 * signal. Started directly by duplexd (directory = the service directory) and by runsv
 * (as ./run), so both supervisors exec the same program the same way. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    FILE *stamps = fopen("stamps", "a");
    if (stamps == NULL) return 1;
    fprintf(stamps, "%d %lld\n", (int)getpid(), (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    fclose(stamps);
    for (;;) pause();
}
