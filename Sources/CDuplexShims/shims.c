#define _GNU_SOURCE
#include "CDuplexShims.h"

#include <errno.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/watchdog.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

_Static_assert(ETH_P_ALL == 0x0003 && ETH_P_ARP == 0x0806 && ETH_P_IPV6 == 0x86DD, "ETH_P_*");
_Static_assert(ETH_HLEN == 14 && ETH_ZLEN == 60 && ETH_ALEN == 6, "ETH lengths");
_Static_assert(PACKET_OUTGOING == 4 && PACKET_HOST == 0, "PACKET_*");
_Static_assert(CLONE_NEWNET == 0x40000000, "CLONE_NEWNET");
_Static_assert(NETLINK_ROUTE == 0, "NETLINK_ROUTE");

// MARK: epoll

int CDuplexShims_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int CDuplexShims_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &event);
}

int CDuplexShims_epoll_wait(int epfd, CDuplexShims_EpollEvent *out, int max_events, int timeout_ms) {
    struct epoll_event events[64];
    if (max_events > CDuplexShims_EPOLL_EVENTS_MAX) max_events = CDuplexShims_EPOLL_EVENTS_MAX;
    if (max_events < 1) { errno = EINVAL; return -1; }
    int count = epoll_wait(epfd, events, max_events, timeout_ms);
    for (int i = 0; i < count; i++) {
        out[i].token = events[i].data.u64;
        out[i].events = events[i].events;
    }
    return count;
}

// MARK: timerfd

int CDuplexShims_timerfd_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

int CDuplexShims_timerfd_arm_absolute(int fd, uint64_t deadline_ns, uint64_t interval_ns) {
    if (deadline_ns == 0) deadline_ns = 1;
    struct itimerspec spec;
    spec.it_value.tv_sec = (time_t)(deadline_ns / 1000000000u);
    spec.it_value.tv_nsec = (long)(deadline_ns % 1000000000u);
    spec.it_interval.tv_sec = (time_t)(interval_ns / 1000000000u);
    spec.it_interval.tv_nsec = (long)(interval_ns % 1000000000u);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

int CDuplexShims_timerfd_disarm(int fd) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    return timerfd_settime(fd, 0, &spec, NULL);
}

static int read_u64(int fd, uint64_t *value) {
    ssize_t n = read(fd, value, sizeof *value);
    if (n == (ssize_t)sizeof *value) return 0;
    if (n >= 0) errno = EIO;
    return -1;
}

int CDuplexShims_timerfd_read(int fd, uint64_t *expirations) { return read_u64(fd, expirations); }

// MARK: eventfd

int CDuplexShims_eventfd_create(unsigned int initial) {
    return eventfd(initial, EFD_NONBLOCK | EFD_CLOEXEC);
}

int CDuplexShims_eventfd_write(int fd, uint64_t value) {
    ssize_t n = write(fd, &value, sizeof value);
    if (n == (ssize_t)sizeof value) return 0;
    if (n >= 0) errno = EIO;
    return -1;
}

int CDuplexShims_eventfd_read(int fd, uint64_t *value) { return read_u64(fd, value); }

// MARK: AF_PACKET

int CDuplexShims_packet_socket(int ifindex, uint16_t ethertype, int nonblocking) {
    int type = SOCK_RAW | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
    // Protocol 0 here and the EtherType at bind: a socket opened with a protocol is hooked
    // into every device at once, and bind then unhooks it with synchronize_net(), an RCU grace
    // period (15-25 ms each on a loaded two-core machine, four of them at duplexd's start).
    // Opened with 0 it receives nothing until bind hooks it to the one device.
    int fd = socket(AF_PACKET, type, 0);
    if (fd < 0) return -1;
    int one = 1;
    // Best effort: older kernels lack it, and receive() also drops PACKET_OUTGOING.
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ethertype);
    address.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

ssize_t CDuplexShims_packet_send(int fd, int ifindex, uint16_t ethertype, const uint8_t *mac,
                                 const void *frame, size_t length) {
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ethertype);
    address.sll_ifindex = ifindex;
    address.sll_halen = ETH_ALEN;
    memcpy(address.sll_addr, mac, ETH_ALEN);
    return sendto(fd, frame, length, MSG_DONTWAIT, (struct sockaddr *)&address, sizeof address);
}

int CDuplexShims_packet_bypass_qdisc(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
}

ssize_t CDuplexShims_packet_receive(int fd, void *payload, size_t capacity, uint8_t *source_mac,
                                    uint16_t *ethertype, uint8_t *pkttype) {
    return CDuplexShims_packet_receive_stamped(fd, payload, capacity, source_mac, ethertype, pkttype, NULL);
}

/// The SCM_TIMESTAMPNS of a received message, in ns, or 0.
static uint64_t message_timestamp(struct msghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != NULL; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
            if (stamp.tv_sec < 0) return 0;
            return (uint64_t)stamp.tv_sec * 1000000000u + (uint64_t)stamp.tv_nsec;
        }
    }
    return 0;
}

ssize_t CDuplexShims_packet_receive_stamped(int fd, void *payload, size_t capacity, uint8_t *source_mac,
                                            uint16_t *ethertype, uint8_t *pkttype, uint64_t *realtime_ns) {
    uint8_t header[ETH_HLEN];
    struct iovec parts[2] = {
        { .iov_base = header, .iov_len = sizeof header },
        { .iov_base = payload, .iov_len = capacity },
    };
    struct sockaddr_ll from;
    memset(&from, 0, sizeof from);
    union { char buffer[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    if (realtime_ns != NULL) {
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof control.buffer;
    }
    ssize_t n = recvmsg(fd, &message, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) return -1;
    if (realtime_ns != NULL) *realtime_ns = message_timestamp(&message);
    *pkttype = from.sll_pkttype;
    if (n < ETH_HLEN) { *ethertype = 0; memset(source_mac, 0, ETH_ALEN); return 0; }
    memcpy(source_mac, header + ETH_ALEN, ETH_ALEN);
    *ethertype = (uint16_t)((header[12] << 8) | header[13]);
    return n - ETH_HLEN;
}

int CDuplexShims_socket_filter_byte(int fd, uint32_t offset, uint8_t value, int equal) {
    // A frame shorter than offset + 1 makes the load fail, which drops it (returns 0).
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, offset),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, equal ? 0 : 1, equal ? 1 : 0),
        BPF_STMT(BPF_RET | BPF_K, 0x40000),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog program = { .len = sizeof code / sizeof code[0], .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
}

int CDuplexShims_socket_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

ssize_t CDuplexShims_datagram_receive_stamped(int fd, void *buffer, size_t capacity, void *from,
                                              uint32_t *from_length, uint64_t *realtime_ns) {
    struct iovec part = { .iov_base = buffer, .iov_len = capacity };
    union { char buffer[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = from;
    message.msg_namelen = *from_length;
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    ssize_t n = recvmsg(fd, &message, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) return -1;
    *from_length = message.msg_namelen;
    *realtime_ns = message_timestamp(&message);
    return n;
}

int CDuplexShims_receive_stamped_batch(int fd, void *arena, size_t slot_size, int count, uint32_t *lengths,
                                       uint64_t *stamps, void *addresses) {
    enum { max = 16 };
    if (count <= 0 || count > max) { errno = EINVAL; return -1; }
    struct mmsghdr messages[max];
    struct iovec parts[max];
    union { char buffer[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } controls[max];
    memset(messages, 0, sizeof messages[0] * (size_t)count);
    for (int i = 0; i < count; i++) {
        parts[i].iov_base = (char *)arena + (size_t)i * slot_size;
        parts[i].iov_len = slot_size;
        messages[i].msg_hdr.msg_iov = &parts[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = (char *)addresses + (size_t)i * 128;
        messages[i].msg_hdr.msg_namelen = 128;
        messages[i].msg_hdr.msg_control = controls[i].buffer;
        messages[i].msg_hdr.msg_controllen = sizeof controls[i].buffer;
    }
    int n = recvmmsg(fd, messages, (unsigned)count, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    for (int i = 0; i < n; i++) {
        // With MSG_TRUNC a packet socket reports the packet's full length; a datagram socket
        // flags truncation in msg_flags only: report one byte more than the slot then.
        uint32_t length = messages[i].msg_len;
        if ((messages[i].msg_hdr.msg_flags & MSG_TRUNC) && length <= slot_size) length = (uint32_t)slot_size + 1;
        lengths[i] = length;
        stamps[i] = message_timestamp(&messages[i].msg_hdr);
    }
    return n;
}

uint64_t CDuplexShims_realtime_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

// MARK: interfaces

static int interface_request(const char *name, unsigned long request, struct ifreq *ifr) {
    if (strlen(name) >= IFNAMSIZ) { errno = ENAMETOOLONG; return -1; }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    memset(ifr, 0, sizeof *ifr);
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(fd, request, ifr);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

int CDuplexShims_interface_index(const char *name) {
    struct ifreq ifr;
    if (interface_request(name, SIOCGIFINDEX, &ifr) != 0) return -1;
    return ifr.ifr_ifindex;
}

int CDuplexShims_interface_mac(const char *name, uint8_t *mac) {
    struct ifreq ifr;
    if (interface_request(name, SIOCGIFHWADDR, &ifr) != 0) return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
    return 0;
}

int CDuplexShims_bind_to_device(int fd, const char *name) {
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name));
}

// MARK: netlink

int CDuplexShims_netlink_route_socket(uint32_t groups, int rcvbuf) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0) return -1;
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
        int saved = errno; close(fd); errno = saved; return -1;
    }
    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    address.nl_groups = groups;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno; close(fd); errno = saved; return -1;
    }
    return fd;
}

// MARK: watchdog

int CDuplexShims_watchdog_keepalive(int fd) { return ioctl(fd, WDIOC_KEEPALIVE, 0); }
int CDuplexShims_watchdog_settimeout(int fd, int *seconds) { return ioctl(fd, WDIOC_SETTIMEOUT, seconds); }
int CDuplexShims_watchdog_gettimeout(int fd, int *seconds) { return ioctl(fd, WDIOC_GETTIMEOUT, seconds); }

// MARK: namespaces, scheduling, threads

int CDuplexShims_setns(int fd, int nstype) { return setns(fd, nstype); }

int CDuplexShims_set_fifo_priority(int priority) {
    struct sched_param param;
    memset(&param, 0, sizeof param);
    param.sched_priority = priority;
    return sched_setscheduler(0, SCHED_FIFO, &param);
}

int CDuplexShims_set_normal_scheduler(void) {
    struct sched_param param;
    memset(&param, 0, sizeof param);
    return sched_setscheduler(0, SCHED_OTHER, &param);
}

int CDuplexShims_is_fifo(void) {
    int policy = sched_getscheduler(0);
    if (policy < 0) return -1;
    return policy == SCHED_FIFO ? 1 : 0;
}

int CDuplexShims_fifo_priority_self(void) {
    int fifo = CDuplexShims_is_fifo();
    if (fifo <= 0) return fifo;
    struct sched_param param;
    if (sched_getparam(0, &param) != 0) return -1;
    return param.sched_priority;
}

int CDuplexShims_fifo_priority_min(void) { return sched_get_priority_min(SCHED_FIFO); }
int CDuplexShims_fifo_priority_max(void) { return sched_get_priority_max(SCHED_FIFO); }
int CDuplexShims_mlockall(void) {
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) return 0;
    if (errno != EINVAL) return -1;
    return mlockall(MCL_CURRENT | MCL_FUTURE);
}
struct trim_state {
    uintptr_t vdso;
    uintptr_t page;
    int trimmed;
    int error;
};

/// Whether an object's dynamic section asks for text relocations: its read-only segments
/// were then written during loading and hold private changes that must not be dropped.
static int has_text_relocations(struct dl_phdr_info *info) {
    for (int index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_DYNAMIC) continue;
        const ElfW(Dyn) *entry = (const ElfW(Dyn) *)((uintptr_t)info->dlpi_addr + header->p_vaddr);
        for (size_t count = header->p_memsz / sizeof *entry; count > 0 && entry->d_tag != DT_NULL; count--, entry++) {
            if (entry->d_tag == DT_TEXTREL) return 1;
            if (entry->d_tag == DT_FLAGS && (entry->d_un.d_val & DF_TEXTREL) != 0) return 1;
        }
    }
    return 0;
}

static int trim_object(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    struct trim_state *state = context;
    // The vDSO (its program headers follow its ELF header) is the kernel's, not a file mapping.
    if (state->vdso != 0 && (uintptr_t)info->dlpi_phdr - state->vdso < state->page) return 0;
    if (has_text_relocations(info)) return 0;
    for (int index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_LOAD || (header->p_flags & PF_W) != 0 || header->p_memsz == 0) continue;
        uintptr_t start = (uintptr_t)info->dlpi_addr + header->p_vaddr;
        uintptr_t end = start + header->p_memsz;
        start &= ~(state->page - 1);
        end = (end + state->page - 1) & ~(state->page - 1);
        // MADV_RANDOM turns off fault-around for the segment: a later fault maps the one page
        // it needs instead of the 16 around it (best effort: an error only costs memory).
        (void)madvise((void *)start, end - start, MADV_RANDOM);
        if (madvise((void *)start, end - start, MADV_DONTNEED) != 0) {
            if (state->error == 0) state->error = errno;
            continue;
        }
        state->trimmed += 1;
    }
    return 0;
}

int CDuplexShims_trim_read_only_segments(void) {
    struct trim_state state = {
        .vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR), .page = (uintptr_t)sysconf(_SC_PAGESIZE),
        .trimmed = 0, .error = 0,
    };
    (void)dl_iterate_phdr(trim_object, &state);
    if (state.error != 0) { errno = state.error; return -1; }
    return state.trimmed;
}

pid_t CDuplexShims_gettid(void) { return gettid(); }

int CDuplexShims_set_thread_name(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
    int result = pthread_setname_np(pthread_self(), cut);
    if (result != 0) { errno = result; return -1; }
    return 0;
}

// MARK: time and randomness

uint64_t CDuplexShims_monotonic_ns(void) {
    struct timespec now;
    // CLOCK_MONOTONIC cannot fail with a valid pointer.
    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

ssize_t CDuplexShims_getrandom(void *buffer, size_t length, unsigned int flags) {
    return getrandom(buffer, length, flags);
}

// MARK: processes and signals

int CDuplexShims_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int CDuplexShims_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}

static int make_set(sigset_t *set, const int *signals, int count) {
    sigemptyset(set);
    for (int i = 0; i < count; i++) {
        if (sigaddset(set, signals[i]) != 0) return -1;
    }
    return 0;
}

static int change_mask(int how, const int *signals, int count) {
    sigset_t set;
    if (make_set(&set, signals, count) != 0) return -1;
    int result = pthread_sigmask(how, &set, NULL);
    if (result != 0) { errno = result; return -1; }
    return 0;
}

int CDuplexShims_block_signals(const int *signals, int count) { return change_mask(SIG_BLOCK, signals, count); }
int CDuplexShims_unblock_signals(const int *signals, int count) { return change_mask(SIG_UNBLOCK, signals, count); }

int CDuplexShims_signalfd_create(const int *signals, int count) {
    sigset_t set;
    if (make_set(&set, signals, count) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int CDuplexShims_signalfd_read(int fd, int *signal) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n == (ssize_t)sizeof info) { *signal = (int)info.ssi_signo; return 0; }
    if (n >= 0) errno = EIO;
    return -1;
}

// MARK: datagram batches

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103  // linux/udp.h, Linux 4.18
#endif

int CDuplexShims_send_pieces(int fd, const void *const *piece_bases, const size_t *piece_lengths, int piece_count,
                             const size_t *firsts, const size_t *counts, const uint16_t *segment_sizes, int count) {
    if (count < 1 || count > CDuplexShims_DATAGRAM_BATCH_MAX || piece_count < 1 || piece_count > CDuplexShims_PIECES_MAX) {
        errno = EINVAL;
        return -1;
    }
    struct mmsghdr messages[CDuplexShims_DATAGRAM_BATCH_MAX];
    struct iovec parts[CDuplexShims_PIECES_MAX];
    union {
        char bytes[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } controls[CDuplexShims_DATAGRAM_BATCH_MAX];
    for (int j = 0; j < piece_count; j++) {
        parts[j].iov_base = (void *)piece_bases[j];
        parts[j].iov_len = piece_lengths[j];
    }
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        if (counts[i] < 1 || firsts[i] + counts[i] > (size_t)piece_count) { errno = EINVAL; return -1; }
        size_t length = 0;
        for (size_t j = firsts[i]; j < firsts[i] + counts[i]; j++) length += piece_lengths[j];
        messages[i].msg_hdr.msg_iov = &parts[firsts[i]];
        messages[i].msg_hdr.msg_iovlen = counts[i];
        if (segment_sizes == NULL || segment_sizes[i] == 0 || length <= segment_sizes[i]) continue;
        memset(&controls[i], 0, sizeof controls[i]);
        messages[i].msg_hdr.msg_control = controls[i].bytes;
        messages[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
        struct cmsghdr *header = CMSG_FIRSTHDR(&messages[i].msg_hdr);
        header->cmsg_level = SOL_UDP;
        header->cmsg_type = UDP_SEGMENT;
        header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(header), &segment_sizes[i], sizeof(uint16_t));
    }
    return sendmmsg(fd, messages, (unsigned int)count, MSG_DONTWAIT);
}

#ifndef UDP_GRO
#define UDP_GRO 104  // linux/udp.h, Linux 5.0
#endif

int CDuplexShims_receive_datagrams(int fd, void *buffer, size_t capacity, int count, size_t *lengths,
                                   uint16_t *segment_sizes) {
    if (count < 1 || count > CDuplexShims_DATAGRAM_BATCH_MAX) { errno = EINVAL; return -1; }
    struct mmsghdr messages[CDuplexShims_DATAGRAM_BATCH_MAX];
    struct iovec parts[CDuplexShims_DATAGRAM_BATCH_MAX];
    union {
        char bytes[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } controls[CDuplexShims_DATAGRAM_BATCH_MAX];
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        parts[i].iov_base = (char *)buffer + (size_t)i * capacity;
        parts[i].iov_len = capacity;
        messages[i].msg_hdr.msg_iov = &parts[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        if (segment_sizes != NULL) {
            messages[i].msg_hdr.msg_control = controls[i].bytes;
            messages[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
        }
    }
    int n = recvmmsg(fd, messages, (unsigned int)count, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
        lengths[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? capacity + 1 : messages[i].msg_len;
        if (segment_sizes == NULL) continue;
        segment_sizes[i] = 0;
        for (struct cmsghdr *header = CMSG_FIRSTHDR(&messages[i].msg_hdr); header != NULL;
             header = CMSG_NXTHDR(&messages[i].msg_hdr, header)) {
            if (header->cmsg_level != SOL_UDP || header->cmsg_type != UDP_GRO) continue;
            int size = 0;
            memcpy(&size, CMSG_DATA(header), sizeof size);
            segment_sizes[i] = size > 0 && size <= 65535 ? (uint16_t)size : 0;
        }
    }
    return n;
}

int CDuplexShims_udp_receive_coalesced(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on);
}

int CDuplexShims_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
    }
    return count;
}

int CDuplexShims_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int CDuplexShims_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

ssize_t CDuplexShims_send_descriptors(int socket, const void *bytes, size_t count, const int *descriptors, int fd_count) {
    if (fd_count < 0 || fd_count > 8) {
        errno = EINVAL;
        return -1;
    }
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(8 * sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec vector = { .iov_base = (void *)bytes, .iov_len = count };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (fd_count > 0) {
        message.msg_control = control.space;
        message.msg_controllen = CMSG_SPACE((size_t)fd_count * sizeof(int));
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN((size_t)fd_count * sizeof(int));
        memcpy(CMSG_DATA(header), descriptors, (size_t)fd_count * sizeof(int));
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL);
}

ssize_t CDuplexShims_receive_descriptors(int socket, void *bytes, size_t count, int *descriptors, int capacity,
                                         int *fd_count, int flags) {
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(16 * sizeof(int))];
    } control;
    struct iovec vector = { .iov_base = bytes, .iov_len = count };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.space,
                              .msg_controllen = sizeof control.space };
    *fd_count = 0;
    ssize_t received = recvmsg(socket, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | flags);
    if (received < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *passed = (int *)CMSG_DATA(header);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, passed + i, sizeof fd);
            if ((message.msg_flags & MSG_CTRUNC) == 0 && *fd_count < capacity) {
                descriptors[(*fd_count)++] = fd;
            } else {
                close(fd);
            }
        }
    }
    if (message.msg_flags & MSG_CTRUNC) {
        for (int i = 0; i < *fd_count; i++) close(descriptors[i]);
        *fd_count = 0;
    }
    return received;
}
