#define _GNU_SOURCE
#include "CDuplexShims.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// The child of vfork shares the parent's memory until execve: it may only make system
// calls and write the two report variables. No malloc, no locks, no glibc wrappers that
// act on every thread (setuid & co. do: their raw system calls are used instead).
static void spawn_child(const CDuplexShims_SpawnRequest *request, volatile int *step, volatile int *error) {
    *step = CDuplexShims_SPAWN_STEP_SETSID;
    if (setsid() < 0) goto failed;

    // Handlers are reset by execve anyway; an ignored signal would stay ignored. The raw
    // system call, because glibc's sigaction refuses its internal signals (32 and 33), which
    // may be ignored too. All zero is SIG_DFL, no flags, an empty mask, whatever the layout.
    uint64_t action[4] = {0, 0, 0, 0};
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)syscall(SYS_rt_sigaction, sig, action, NULL, sizeof(uint64_t));
    }

    *step = CDuplexShims_SPAWN_STEP_DUP;
    if (dup2(request->stdin_fd, 0) < 0) goto failed;
    if (dup2(request->output_fd, 1) < 0) goto failed;
    if (dup2(request->output_fd, 2) < 0) goto failed;

    *step = CDuplexShims_SPAWN_STEP_CHDIR;
    if (request->directory != NULL && chdir(request->directory) < 0) goto failed;

    if (request->set_ids) {
        *step = CDuplexShims_SPAWN_STEP_SETGROUPS;
        if (syscall(SYS_setgroups, (size_t)request->group_count, request->groups) < 0) goto failed;
        *step = CDuplexShims_SPAWN_STEP_SETGID;
        if (syscall(SYS_setgid, request->gid) < 0) goto failed;
        *step = CDuplexShims_SPAWN_STEP_SETUID;
        if (syscall(SYS_setuid, request->uid) < 0) goto failed;
    }

    // Every other descriptor closes at execve, whether or not its opener asked for it.
    (void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);  // best effort: Linux >= 5.11

    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);

    *step = CDuplexShims_SPAWN_STEP_EXEC;
    execve(request->path, request->argv, request->envp);
failed:
    *error = errno;
    _exit(127);
}

pid_t CDuplexShims_spawn(const CDuplexShims_SpawnRequest *request, int *failed_step) {
    volatile int step = 0;
    volatile int error = 0;
    sigset_t all, previous;
    sigfillset(&all);
    // Blocked across vfork: no handler of this process may run in the child, which shares
    // its memory. The child unblocks everything just before execve.
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = vfork();
    if (pid == 0) spawn_child(request, &step, &error);
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    *failed_step = 0;
    if (pid < 0) {
        errno = fork_error;
        return -1;
    }
    if (error != 0) {
        // The child reported before _exit(127): reap it, report its step and errno.
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        *failed_step = step;
        errno = error;
        return -1;
    }
    return pid;
}

int CDuplexShims_pidfd_wait(int pidfd, int *code, int *status) {
    siginfo_t info = {0};
    int result = waitid((idtype_t)3 /* P_PIDFD */, (id_t)pidfd, &info, WEXITED | WNOHANG);
    if (result < 0) return -1;
    if (info.si_pid == 0) return 0;
    *code = info.si_code;
    *status = info.si_status;
    return 1;
}

int CDuplexShims_kill_group(pid_t group, int signal) {
    return kill(-group, signal);
}

int CDuplexShims_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int CDuplexShims_spawn_actions_close_from(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}
