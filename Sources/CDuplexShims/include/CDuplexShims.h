#ifndef CDUPLEXSHIMS_H
#define CDUPLEXSHIMS_H

// What Swift's Glibc module does not import: epoll, timerfd, eventfd, signalfd, sockaddr_ll,
// ETH_P_*, IFF_LOWER_UP, the WDIOC_* ioctls, and the GNU functions (setns, gettid, pidfd).
// Every symbol is prefixed CDuplexShims_. Function-like macros become functions, constant
// macros become static const values.
//
// Do not include <linux/if.h> here: it clashes with glibc's <net/if.h> as soon as Swift
// touches `struct ifreq`. IFF_LOWER_UP is defined by value below instead.

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/epoll.h>

// MARK: epoll

static const uint32_t CDuplexShims_EPOLLIN = EPOLLIN;
static const uint32_t CDuplexShims_EPOLLOUT = EPOLLOUT;
static const uint32_t CDuplexShims_EPOLLPRI = EPOLLPRI;
static const uint32_t CDuplexShims_EPOLLERR = EPOLLERR;
static const uint32_t CDuplexShims_EPOLLHUP = EPOLLHUP;
static const uint32_t CDuplexShims_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CDuplexShims_EPOLLET = EPOLLET;
static const uint32_t CDuplexShims_EPOLLONESHOT = (uint32_t)EPOLLONESHOT;
static const int CDuplexShims_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CDuplexShims_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CDuplexShims_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
/// Largest `max_events` accepted by CDuplexShims_epoll_wait (its kernel buffer is on the stack).
static const int CDuplexShims_EPOLL_EVENTS_MAX = 64;

/// An epoll event without the packed layout of x86_64's `struct epoll_event`.
typedef struct CDuplexShims_EpollEvent {
    uint64_t token;
    uint32_t events;
} CDuplexShims_EpollEvent;

/// `epoll_create1(EPOLL_CLOEXEC)`.
int CDuplexShims_epoll_create(void);
/// `epoll_ctl(epfd, op, fd, {events, .data.u64 = token})`.
int CDuplexShims_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);
/// `epoll_wait`, copying at most min(max_events, CDuplexShims_EPOLL_EVENTS_MAX) events into `out`.
int CDuplexShims_epoll_wait(int epfd, CDuplexShims_EpollEvent *out, int max_events, int timeout_ms);

// MARK: timerfd (CLOCK_MONOTONIC, absolute deadlines)

/// `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`.
int CDuplexShims_timerfd_create(void);
/// `timerfd_settime(fd, TFD_TIMER_ABSTIME, ...)`: first expiry at `deadline_ns` on
/// CLOCK_MONOTONIC, then every `interval_ns` (0: one shot). A deadline of 0 is raised to 1 ns
/// (already passed, fires at once) because a zero it_value would disarm.
int CDuplexShims_timerfd_arm_absolute(int fd, uint64_t deadline_ns, uint64_t interval_ns);
/// `timerfd_settime` with a zero it_value: disarms.
int CDuplexShims_timerfd_disarm(int fd);
/// `read(fd, &u64, 8)`: 0 and the expiration count, or -1 with errno (EAGAIN: none yet).
int CDuplexShims_timerfd_read(int fd, uint64_t *expirations);

// MARK: eventfd

/// `eventfd(initial, EFD_NONBLOCK | EFD_CLOEXEC)`.
int CDuplexShims_eventfd_create(unsigned int initial);
/// `write(fd, &value, 8)`: 0, or -1 with errno (EAGAIN: counter would overflow).
int CDuplexShims_eventfd_write(int fd, uint64_t value);
/// `read(fd, &u64, 8)`: 0 and the counter (reset to 0), or -1 with errno (EAGAIN: zero).
int CDuplexShims_eventfd_read(int fd, uint64_t *value);

// MARK: AF_PACKET (sockaddr_ll) and Ethernet

static const uint16_t CDuplexShims_ETH_P_ALL = 0x0003;   // <linux/if_ether.h>
static const uint16_t CDuplexShims_ETH_P_IP = 0x0800;
static const uint16_t CDuplexShims_ETH_P_ARP = 0x0806;
static const uint16_t CDuplexShims_ETH_P_IPV6 = 0x86DD;
static const int CDuplexShims_ETH_ALEN = 6;
static const int CDuplexShims_ETH_HLEN = 14;
static const int CDuplexShims_ETH_ZLEN = 60;              // minimum frame without FCS
/// `sll_pkttype` values (<linux/if_packet.h>).
static const uint8_t CDuplexShims_PACKET_HOST = 0;
static const uint8_t CDuplexShims_PACKET_BROADCAST = 1;
static const uint8_t CDuplexShims_PACKET_MULTICAST = 2;
static const uint8_t CDuplexShims_PACKET_OTHERHOST = 3;
static const uint8_t CDuplexShims_PACKET_OUTGOING = 4;

/// `socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC [| SOCK_NONBLOCK], htons(ethertype))` bound with
/// `sockaddr_ll` to `ifindex`. `ethertype` 0 makes a send-only socket (receives nothing).
/// Sets PACKET_IGNORE_OUTGOING where the kernel has it (best effort, Linux >= 4.20).
int CDuplexShims_packet_socket(int ifindex, uint16_t ethertype, int nonblocking);
/// `sendto` of a complete Ethernet frame with a `sockaddr_ll` for `ifindex`/`ethertype`/`mac`.
/// Returns the byte count or -1 with errno.
ssize_t CDuplexShims_packet_send(int fd, int ifindex, uint16_t ethertype, const uint8_t *mac,
                                 const void *frame, size_t length);
/// `setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)`: frames go straight to the driver,
/// skipping the qdisc layer (and with it netdev egress hooks and packet taps on the way out).
int CDuplexShims_packet_bypass_qdisc(int fd);
/// `recvmsg(MSG_TRUNC | MSG_DONTWAIT)` of one frame: the 14-byte Ethernet header into a local
/// buffer, the rest into `payload`. Returns the payload length the frame had (may exceed
/// `capacity`: truncated), or -1 with errno. Fills `source_mac` (6 bytes), `ethertype`
/// (host order) and `pkttype` (sll_pkttype).
ssize_t CDuplexShims_packet_receive(int fd, void *payload, size_t capacity, uint8_t *source_mac,
                                    uint16_t *ethertype, uint8_t *pkttype);
/// `CDuplexShims_packet_receive`, also returning the kernel's receive time (CLOCK_REALTIME, ns;
/// 0 if the frame carries none) when `SO_TIMESTAMPNS` is on (`CDuplexShims_socket_timestamps`).
ssize_t CDuplexShims_packet_receive_stamped(int fd, void *payload, size_t capacity, uint8_t *source_mac,
                                            uint16_t *ethertype, uint8_t *pkttype, uint64_t *realtime_ns);
/// Attaches a classic BPF socket filter (`SO_ATTACH_FILTER`) that keeps a frame only when the
/// byte at `offset` of the frame (from its first byte as the socket sees it) equals `value`
/// (`equal` != 0) or differs from it (`equal` == 0). Frames too short to have that byte are
/// dropped. 0 or -1 with errno.
int CDuplexShims_socket_filter_byte(int fd, uint32_t offset, uint8_t value, int equal);
/// `setsockopt(SOL_SOCKET, SO_TIMESTAMPNS, 1)`: the kernel stamps each received packet.
int CDuplexShims_socket_timestamps(int fd);
/// `recvmsg(MSG_TRUNC | MSG_DONTWAIT)` of one datagram into `buffer`, its source into `from`
/// (`*from_length` bytes of room, set to the address length) and its kernel receive time
/// (CLOCK_REALTIME, ns; 0 if none). Returns the datagram length (may exceed `capacity`), or -1
/// with errno.
ssize_t CDuplexShims_datagram_receive_stamped(int fd, void *buffer, size_t capacity, void *from,
                                              uint32_t *from_length, uint64_t *realtime_ns);
/// `clock_gettime(CLOCK_REALTIME)` in ns since the epoch.
uint64_t CDuplexShims_realtime_ns(void);
/// Largest `count` of CDuplexShims_receive_stamped_batch (its arrays live on the stack).
static const int CDuplexShims_STAMPED_BATCH_MAX = 16;
/// Size of each source-address slot of CDuplexShims_receive_stamped_batch (a sockaddr_storage).
static const int CDuplexShims_ADDRESS_SLOT_SIZE = 128;
/// `recvmmsg(MSG_DONTWAIT)` of up to `count` (<= 16) packets in one system call: packet i goes to
/// the `slot_size` bytes at `arena + i * slot_size`, its length (as sent: may exceed the slot,
/// then it is truncated) to `lengths[i]`, its kernel receive time (CLOCK_REALTIME ns, 0 without
/// `SO_TIMESTAMPNS`) to `stamps[i]`, and its source address to the 128-byte slot
/// `addresses + i * 128` (a `sockaddr_ll` on a packet socket). Returns how many packets were
/// read (0 when none was pending), or -1 with errno.
int CDuplexShims_receive_stamped_batch(int fd, void *arena, size_t slot_size, int count, uint32_t *lengths,
                                       uint64_t *stamps, void *addresses);

/// A memory-mapped receive ring of a packet socket (`PACKET_RX_RING`, `TPACKET_V2`): frames
/// land in shared memory, so finding them costs no system call. Owned by one thread.
typedef struct {
    void *map;
    size_t map_size;
    unsigned frame_size;
    unsigned frame_count;
    unsigned next;
} CDuplexShims_packet_ring;
/// Sets `fd` (an AF_PACKET socket) to `TPACKET_V2`, gives it a receive ring of `frame_count`
/// slots of `frame_size` bytes (a multiple of 16 dividing 4096; `frame_count` a multiple of
/// 4096 / `frame_size`) and maps it into `ring`. Returns 0, or -1 with errno (EINVAL for bad
/// sizes; the socket then keeps its plain receive queue).
int CDuplexShims_packet_ring_open(int fd, unsigned frame_size, unsigned frame_count, CDuplexShims_packet_ring *ring);
/// Opens the rings of `count` (<= 8) sockets at once, each as CDuplexShims_packet_ring_open on a
/// thread of its own: setting up a ring waits for an RCU grace period (`synchronize_net` in
/// `packet_set_ring`, 6-16 ms each on a small VM), and waits that run together end together.
/// `errors[i]` is 0 when `rings[i]` is open, else the errno of its failure.
void CDuplexShims_packet_rings_open(int count, const int *fds, unsigned frame_size, unsigned frame_count,
                                    CDuplexShims_packet_ring *rings, int *errors);
/// Takes up to `count` (<= 16) frames from the ring in arrival order, into the same arrays as
/// CDuplexShims_receive_stamped_batch: bytes from the Ethernet header on, the frame's length
/// (`slot_size + 1` when the ring or the slot cut it), its kernel receive time (CLOCK_REALTIME
/// ns) and its `sockaddr_ll`; each slot goes back to the kernel at once. Returns the count taken.
int CDuplexShims_packet_ring_read(CDuplexShims_packet_ring *ring, void *arena, size_t slot_size, int count,
                                  uint32_t *lengths, uint64_t *stamps, void *addresses);
/// Frames the kernel dropped since the last call because the ring was full (`PACKET_STATISTICS`),
/// or -1 with errno.
long long CDuplexShims_packet_ring_drops(int fd);
/// Unmaps the ring (the socket must be closed after or with it).
void CDuplexShims_packet_ring_close(CDuplexShims_packet_ring *ring);

// MARK: interfaces

/// Interface flag bits (<linux/if.h>, defined by value; see the note at the top).
static const uint32_t CDuplexShims_IFF_UP = 0x1;
static const uint32_t CDuplexShims_IFF_RUNNING = 0x40;
static const uint32_t CDuplexShims_IFF_LOWER_UP = 0x10000;
/// `ioctl(SIOCGIFINDEX)` on a datagram socket: the index, or -1 with errno.
int CDuplexShims_interface_index(const char *name);
/// `ioctl(SIOCGIFHWADDR)`: copies 6 bytes into `mac`; 0 or -1 with errno.
int CDuplexShims_interface_mac(const char *name, uint8_t *mac);
/// `setsockopt(SO_BINDTODEVICE)`.
int CDuplexShims_bind_to_device(int fd, const char *name);

// MARK: netlink (route)

static const int CDuplexShims_NETLINK_ROUTE = 0;
/// `socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)` bound to the
/// multicast `groups` bit mask (RTMGRP_LINK = 1), with a receive buffer of `rcvbuf` bytes.
int CDuplexShims_netlink_route_socket(uint32_t groups, int rcvbuf);

// MARK: watchdog

/// `ioctl(fd, WDIOC_KEEPALIVE, 0)`.
int CDuplexShims_watchdog_keepalive(int fd);
/// `ioctl(fd, WDIOC_SETTIMEOUT, &seconds)`; the driver writes back the timeout it chose.
int CDuplexShims_watchdog_settimeout(int fd, int *seconds);
/// `ioctl(fd, WDIOC_GETTIMEOUT, &seconds)`.
int CDuplexShims_watchdog_gettimeout(int fd, int *seconds);

// MARK: namespaces, scheduling, threads

static const int CDuplexShims_CLONE_NEWNET = 0x40000000;
/// `setns(fd, nstype)` (GNU).
int CDuplexShims_setns(int fd, int nstype);
/// `sched_setscheduler(0, SCHED_FIFO, {priority})`: the calling thread only.
int CDuplexShims_set_fifo_priority(int priority);
/// `sched_setscheduler(0, SCHED_OTHER, {0})`: the calling thread back to the normal scheduler.
int CDuplexShims_set_normal_scheduler(void);
/// `sched_getscheduler(0) == SCHED_FIFO`: 1, 0, or -1 with errno.
int CDuplexShims_is_fifo(void);
/// The calling thread's `SCHED_FIFO` priority (`sched_getparam`), 0 when it runs under
/// another policy, -1 with errno.
int CDuplexShims_fifo_priority_self(void);
/// `sched_get_priority_min(SCHED_FIFO)` / `sched_get_priority_max(SCHED_FIFO)`.
int CDuplexShims_fifo_priority_min(void);
int CDuplexShims_fifo_priority_max(void);
/// `mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)` (pages are locked as they are first
/// touched, so only the pages in use count); without MCL_ONFAULT when the kernel refuses it
/// with EINVAL (before Linux 4.4).
int CDuplexShims_mlockall(void);
/// Drops from this process's page tables every page of the loaded objects' read-only
/// segments (`PT_LOAD` without `PF_W`: code and constants of the program and its shared
/// libraries; never the vDSO, nor an object with text relocations) with
/// `madvise(MADV_DONTNEED)`. Such pages are clean copies of
/// the file, so nothing is lost: the next access maps them again from the page cache. Call
/// it after start-up and before `CDuplexShims_mlockall`, so that only pages used from then
/// on stay resident (locked pages cannot be dropped). Returns the number of segments
/// trimmed, or -1 with errno from the first `madvise` that failed.
int CDuplexShims_trim_read_only_segments(void);
/// `gettid()`.
pid_t CDuplexShims_gettid(void);
/// `pthread_setname_np(pthread_self(), name)` (GNU); names are cut to 15 bytes.
int CDuplexShims_set_thread_name(const char *name);
/// `memfd_create(name, MFD_CLOEXEC)` (GNU): anonymous memory with a descriptor, to share.
int CDuplexShims_memfd_create(const char *name);

/// `sendmsg` of `count` bytes with `descriptors` (`fd_count`, at most 8) in one `SCM_RIGHTS`
/// message, `MSG_NOSIGNAL`; returns the bytes sent or -1 with errno.
ssize_t CDuplexShims_send_descriptors(int socket, const void *bytes, size_t count, const int *descriptors, int fd_count);
/// `recvmsg` into `bytes` (`MSG_DONTWAIT | MSG_CMSG_CLOEXEC` and `flags`), the descriptors of
/// an `SCM_RIGHTS` message into `descriptors` (at most `capacity`; more are closed, as are
/// those of a truncated control message) with their number in `*fd_count`; returns the bytes
/// received (0: the peer closed) or -1 with errno.
ssize_t CDuplexShims_receive_descriptors(int socket, void *bytes, size_t count, int *descriptors, int capacity,
                                         int *fd_count, int flags);

/// The CPUs this process may run on (`sched_getaffinity`), in `cpus`, at most `capacity`;
/// returns how many, or -1 with errno.
int CDuplexShims_allowed_cpus(int *cpus, int capacity);
/// Binds the calling thread to `cpu` (`pthread_setaffinity_np`, GNU); 0 or an errno value.
int CDuplexShims_pin_current_thread(int cpu);

// MARK: time and randomness

/// `clock_gettime(CLOCK_MONOTONIC)` as nanoseconds.
uint64_t CDuplexShims_monotonic_ns(void);
/// `getrandom(buffer, length, flags)`.
ssize_t CDuplexShims_getrandom(void *buffer, size_t length, unsigned int flags);

// MARK: processes and signals

/// `syscall(SYS_pidfd_open, pid, flags)`.
int CDuplexShims_pidfd_open(pid_t pid, unsigned int flags);
/// `syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0)`.
int CDuplexShims_pidfd_send_signal(int pidfd, int signal);
/// `pthread_sigmask(SIG_BLOCK, {signals})` for the calling thread (threads created later
/// inherit the mask: call it before starting any thread).
int CDuplexShims_block_signals(const int *signals, int count);
/// `pthread_sigmask(SIG_UNBLOCK, {signals})`.
int CDuplexShims_unblock_signals(const int *signals, int count);
/// `signalfd(-1, {signals}, SFD_NONBLOCK | SFD_CLOEXEC)`. Block the signals first.
int CDuplexShims_signalfd_create(const int *signals, int count);
/// `read(fd, &signalfd_siginfo, sizeof)`: 0 and the signal number, or -1 with errno.
int CDuplexShims_signalfd_read(int fd, int *signal);

// MARK: spawning supervised processes (spawn.c)

/// What `CDuplexShims_spawn` runs. Arrays are NULL-terminated; descriptors must be >= 3.
typedef struct CDuplexShims_SpawnRequest {
    const char *path;
    char *const *argv;
    char *const *envp;
    /// The working directory, or NULL to keep the parent's.
    const char *directory;
    /// Becomes the child's standard input.
    int stdin_fd;
    /// Becomes the child's standard output and standard error.
    int output_fd;
    /// When non-zero: setgroups(groups), setgid(gid), setuid(uid), in that order.
    int set_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int group_count;
} CDuplexShims_SpawnRequest;

/// Steps of the child, reported when one fails.
static const int CDuplexShims_SPAWN_STEP_SETSID = 1;
static const int CDuplexShims_SPAWN_STEP_DUP = 2;
static const int CDuplexShims_SPAWN_STEP_CHDIR = 3;
static const int CDuplexShims_SPAWN_STEP_SETGROUPS = 4;
static const int CDuplexShims_SPAWN_STEP_SETGID = 5;
static const int CDuplexShims_SPAWN_STEP_SETUID = 6;
static const int CDuplexShims_SPAWN_STEP_EXEC = 7;

/// `vfork` then, in the child: `setsid` (its own session and process group), every signal
/// disposition back to SIG_DFL, standard descriptors from the request, `chdir`, the ids,
/// close-on-exec for every other descriptor (`close_range`), an empty signal mask, `execve`.
/// vfork (as glibc's posix_spawn uses) copies no page tables, so a real-time thread of the
/// parent takes no copy-on-write faults. Returns the child's pid once it has exec'd, or -1
/// with errno; then `*failed_step` is the child step that failed (0: vfork itself) and the
/// child has been reaped.
pid_t CDuplexShims_spawn(const CDuplexShims_SpawnRequest *request, int *failed_step);

/// `posix_spawn_file_actions_addclosefrom_np(actions, from)` (glibc >= 2.34), which Glibc does
/// not import: the spawned program gets no descriptor from `from` up. `actions` is a
/// `posix_spawn_file_actions_t *`. Returns 0 or an errno value.
int CDuplexShims_spawn_actions_close_from(void *actions, int from);
/// `waitid(P_PIDFD, pidfd, WEXITED | WNOHANG)`: 1 and the child's `si_code` (CLD_EXITED,
/// CLD_KILLED, CLD_DUMPED) and `si_status` once it ended and is reaped, 0 while it runs,
/// -1 with errno.
int CDuplexShims_pidfd_wait(int pidfd, int *code, int *status);
/// `pipe2(fds, O_CLOEXEC)`.
int CDuplexShims_pipe(int fds[2]);
/// `kill(-group, signal)`: the whole process group.
int CDuplexShims_kill_group(pid_t group, int signal);
/// `CLD_EXITED`, `CLD_KILLED`, `CLD_DUMPED` (<signal.h> si_code values for SIGCHLD).
static const int CDuplexShims_CLD_EXITED = 1;
static const int CDuplexShims_CLD_KILLED = 2;
static const int CDuplexShims_CLD_DUMPED = 3;

// MARK: datagram batches (sendmmsg, recvmmsg)

/// Largest `count` of CDuplexShims_send_pieces and CDuplexShims_receive_datagrams (their
/// `struct mmsghdr` arrays live on the stack).
static const int CDuplexShims_DATAGRAM_BATCH_MAX = 64;

/// Largest `piece_count` of CDuplexShims_send_pieces (its `struct iovec` array lives on the
/// stack).
static const int CDuplexShims_PIECES_MAX = 1024;
/// `sendmmsg(fd, ..., count, MSG_DONTWAIT)` on a connected datagram socket, each datagram
/// gathered from pieces (several `iovec`s per message): piece j is the `piece_lengths[j]`
/// bytes at `piece_bases[j]`, and datagram i is pieces `firsts[i] ..< firsts[i] + counts[i]`
/// in order (1 or more). Returns how many datagrams were sent (the first ones; fewer than
/// `count` when the socket buffer filled or an error stopped the batch), or -1 with errno
/// when the first one failed. `count` is 1...CDuplexShims_DATAGRAM_BATCH_MAX and
/// `piece_count` 1...CDuplexShims_PIECES_MAX.
/// Datagram i with `segment_sizes[i] > 0` and longer than that goes as one UDP segmentation
/// offload send (`cmsg` `SOL_UDP`/`UDP_SEGMENT`, Linux 4.18): the kernel cuts it into
/// datagrams of `segment_sizes[i]` bytes, the last one shorter or equal, each at most the
/// path's MTU payload, at most 64 of them. A kernel or device without it fails that entry (EIO
/// without checksum offload, EINVAL, ENOPROTOOPT on older kernels). `segment_sizes` may be
/// NULL: no entry is segmented.
int CDuplexShims_send_pieces(int fd, const void *const *piece_bases, const size_t *piece_lengths, int piece_count,
                             const size_t *firsts, const size_t *counts, const uint16_t *segment_sizes, int count);
/// `recvmmsg(fd, ..., count, MSG_DONTWAIT, NULL)`: datagram i goes into the `capacity` bytes
/// at `buffer + i * capacity`, its length into `lengths[i]` (`capacity + 1` when it was longer
/// and cut). With `segment_sizes` (may be NULL), `segment_sizes[i]` is the size of the
/// datagrams the kernel coalesced into entry i (`cmsg` `SOL_UDP`/`UDP_GRO`, on a socket set up
/// with CDuplexShims_udp_receive_coalesced: the entry is those datagrams back to back, each of
/// that size but the last, which may be shorter), or 0 for an entry that is one datagram.
/// Returns how many arrived, or -1 with errno (EAGAIN: none). `count` is
/// 1...CDuplexShims_DATAGRAM_BATCH_MAX.
int CDuplexShims_receive_datagrams(int fd, void *buffer, size_t capacity, int count, size_t *lengths,
                                   uint16_t *segment_sizes);
/// `setsockopt(SOL_UDP, UDP_GRO, 1)` (Linux 5.0): the kernel may hand consecutive datagrams of
/// one size to the socket as one entry instead of cutting a segmentation offload train, or
/// merging them, back into datagrams (see CDuplexShims_receive_datagrams). Returns 0, or -1
/// with errno (ENOPROTOOPT on older kernels).
int CDuplexShims_udp_receive_coalesced(int fd);

// MARK: CRC-32C in hardware (crc32c.c)

/// Whether this CPU has a CRC-32C instruction that CDuplexShims_crc32c_update uses (x86_64
/// with SSE 4.2: `cpuid` leaf 1, ECX bit 20). Other architectures: 0.
int CDuplexShims_crc32c_available(void);
/// The CRC-32C of `count` more bytes at `bytes`, continuing `running` (pre- and
/// post-inverted, as `CRC32C.update` in DuplexCore). Only when CDuplexShims_crc32c_available().
uint32_t CDuplexShims_crc32c_update(uint32_t running, const void *bytes, size_t count);

// MARK: Allocator (malloc.c)

/// `mallopt(M_ARENA_MAX, 1)`: every thread allocates from the main arena, which glibc grows
/// with `brk` in steps of its top pad (128 KiB), instead of a heap per thread that it grows
/// with an `mprotect` for every few pages (a 100 MB snapshot of 1 KiB sections made about
/// 25,000 such calls). Call before a second thread allocates. Returns 1 on success.
int CDuplexShims_malloc_single_arena(void);

/// Makes the main arena's free top at least `nursery + bytes` large: first `nursery` bytes
/// in ordinary pages, then `bytes` in memory the kernel backs with transparent huge pages where
/// it allows them (`madvise(MADV_HUGEPAGE)`). The room stays (the trim threshold is raised to
/// hold it): small allocations take the nursery first, large amounts of data then fault 2 MiB
/// pages instead of 4 KiB ones. `bytes` from 2 MiB to INT_MAX / 2, `nursery` up to INT_MAX / 4. Returns 0, or
/// -1 with errno (EINVAL: a size out of range or a kernel without transparent huge pages;
/// ENOMEM).
int CDuplexShims_malloc_reserve(size_t nursery, size_t bytes);

// MARK: byte rings in memory shared between two processes

/// The control block of one single-producer, single-consumer byte ring, in shared memory: the
/// bytes the producer has written and the consumer has read so far (each written by its side
/// only, each on a cache line of its own), and the two sides' sleep flags. The data follow
/// elsewhere in the mapping (`capacity` bytes, a power of two). Each side keeps its own count
/// privately and only publishes it here: what it reads of the peer's it checks, since the
/// peer is another process (a count that cannot be is `-1`: the session must end).
typedef struct {
    uint64_t written;
    uint8_t padding0[56];
    uint64_t read;
    uint8_t padding1[56];
    /// Set by a consumer about to sleep until the producer rings its doorbell.
    uint32_t consumer_sleeping;
    uint8_t padding2[60];
    /// Set by a producer that found the ring full and sleeps until the consumer rings.
    uint32_t producer_waiting;
    uint8_t padding3[60];
} CDuplexShims_ring_control;

/// Copies up to `count` bytes into the ring after the producer's `*written` bytes, publishes the
/// new count, and returns how many went in (0: full), or -1 when the consumer's published count
/// is impossible.
long CDuplexShims_ring_write(CDuplexShims_ring_control *control, unsigned char *data, uint64_t capacity,
                             uint64_t *written, const void *bytes, uint64_t count);
/// Copies up to `count` bytes out of the ring after the consumer's `*read` bytes, publishes the
/// new count, and returns how many came out (0: empty), or -1 when the producer's published
/// count is impossible.
long CDuplexShims_ring_read(CDuplexShims_ring_control *control, const unsigned char *data, uint64_t capacity,
                            uint64_t *read, void *bytes, uint64_t count);
/// Bytes waiting for the consumer whose private count is `read`, or -1 (impossible count).
long CDuplexShims_ring_readable(const CDuplexShims_ring_control *control, uint64_t capacity, uint64_t read);
/// Room for the producer whose private count is `written`, or -1 (impossible count).
long CDuplexShims_ring_writable(const CDuplexShims_ring_control *control, uint64_t capacity, uint64_t written);
/// Sets (1) or clears (0) the consumer's sleep flag; setting it is followed by a full fence,
/// so that the producer either sees the flag or the consumer sees the producer's bytes.
void CDuplexShims_ring_set_consumer_sleeping(CDuplexShims_ring_control *control, uint32_t sleeping);
/// The producer's side of that: a full fence after its bytes were published, then whether the
/// consumer sleeps (then the producer rings the consumer's doorbell).
int CDuplexShims_ring_consumer_sleeps(CDuplexShims_ring_control *control);
/// The same pair for a producer waiting for room.
void CDuplexShims_ring_set_producer_waiting(CDuplexShims_ring_control *control, uint32_t waiting);
int CDuplexShims_ring_producer_waits(CDuplexShims_ring_control *control);

#endif
