public import DuplexCore
public import SystemPackage
import CDuplexShims
import Glibc

/// An epoll instance: the pair thread's single wait point.
///
/// Each registered file descriptor carries a caller-chosen `UInt64` token that comes back in
/// its events, so the loop can dispatch without a table lookup. Registration may happen on any
/// thread (the kernel serialises it); `wait` belongs to one thread.
public final class Epoll: Sendable {
    /// What a descriptor is ready for, as `EPOLLIN`, `EPOLLOUT` and friends.
    public struct Events: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `EPOLLIN`.
        public static let readable = Events(rawValue: CDuplexShims_EPOLLIN)
        /// `EPOLLOUT`.
        public static let writable = Events(rawValue: CDuplexShims_EPOLLOUT)
        /// `EPOLLPRI`.
        public static let priority = Events(rawValue: CDuplexShims_EPOLLPRI)
        /// `EPOLLERR` (always reported, need not be requested).
        public static let error = Events(rawValue: CDuplexShims_EPOLLERR)
        /// `EPOLLHUP` (always reported, need not be requested).
        public static let hangUp = Events(rawValue: CDuplexShims_EPOLLHUP)
        /// `EPOLLRDHUP`.
        public static let readHangUp = Events(rawValue: CDuplexShims_EPOLLRDHUP)
        /// `EPOLLET`: edge-triggered.
        public static let edgeTriggered = Events(rawValue: CDuplexShims_EPOLLET)
    }

    /// One ready descriptor: the token it was registered with and what it is ready for.
    public struct Event: Sendable, Hashable {
        public var token: UInt64
        public var events: Events

        public init(token: UInt64, events: Events) {
            self.token = token
            self.events = events
        }
    }

    /// A buffer for `wait`, allocated once and reused on every wake-up. It belongs to the
    /// thread that waits.
    public final class EventBuffer {
        /// How many events one `wait` can return.
        public let capacity: Int
        let storage: UnsafeMutablePointer<CDuplexShims_EpollEvent>

        /// - Parameter capacity: 1 through `Epoll.eventsMax`.
        /// - Important: traps when `capacity` is out of range.
        public init(capacity: Int) {
            precondition(capacity >= 1 && capacity <= Epoll.eventsMax, "epoll buffer capacity")
            self.capacity = capacity
            storage = .allocate(capacity: capacity)
            storage.initialize(repeating: CDuplexShims_EpollEvent(token: 0, events: 0), count: capacity)
        }

        deinit { storage.deallocate() }

        /// The `index`-th event of the last `wait`.
        /// - Important: traps when `index` is outside the buffer.
        public subscript(index: Int) -> Event {
            precondition(index >= 0 && index < capacity, "epoll event index")
            let raw = storage[index]
            return Event(token: raw.token, events: Events(rawValue: raw.events))
        }
    }

    /// The largest `EventBuffer`; `epoll_wait` copies through a stack array of this size.
    public static let eventsMax = Int(CDuplexShims_EPOLL_EVENTS_MAX)

    /// The epoll descriptor.
    public let fileDescriptor: CInt

    /// Creates an epoll instance.
    ///
    /// The corresponding C function is `epoll_create1(EPOLL_CLOEXEC)`.
    /// - Throws: `Errno` from `epoll_create1` (`EMFILE`, `ENOMEM`).
    public init() throws(Errno) {
        fileDescriptor = try Syscall.retrying { CDuplexShims_epoll_create() }
    }

    deinit { close(fileDescriptor) }

    /// Registers `descriptor` with `token`.
    ///
    /// The corresponding C function is `epoll_ctl(EPOLL_CTL_ADD)`.
    /// - Throws: `Errno` (`EEXIST` when already registered).
    public func add(_ descriptor: CInt, token: UInt64, events: Events = .readable) throws(Errno) {
        _ = try Syscall.retrying {
            CDuplexShims_epoll_ctl(fileDescriptor, CDuplexShims_EPOLL_CTL_ADD, descriptor, events.rawValue, token)
        }
    }

    /// Changes the events or token of a registered descriptor (`EPOLL_CTL_MOD`).
    public func modify(_ descriptor: CInt, token: UInt64, events: Events) throws(Errno) {
        _ = try Syscall.retrying {
            CDuplexShims_epoll_ctl(fileDescriptor, CDuplexShims_EPOLL_CTL_MOD, descriptor, events.rawValue, token)
        }
    }

    /// Unregisters a descriptor (`EPOLL_CTL_DEL`).
    public func remove(_ descriptor: CInt) throws(Errno) {
        _ = try Syscall.retrying {
            CDuplexShims_epoll_ctl(fileDescriptor, CDuplexShims_EPOLL_CTL_DEL, descriptor, 0, 0)
        }
    }

    /// Waits for events and writes them into `buffer`; allocation-free.
    ///
    /// The corresponding C function is `epoll_wait`. A signal that interrupts the wait returns
    /// 0 events rather than restarting with the full timeout.
    /// - Parameters:
    ///   - buffer: where the events go; read them with `buffer[0..<count]`.
    ///   - timeout: `nil` waits forever; otherwise rounded up to whole milliseconds.
    /// - Returns: the number of events written, 0 on timeout or interruption.
    /// - Throws: `Errno` other than `EINTR`.
    public func wait(into buffer: EventBuffer, timeout: DuplexCore.Duration?) throws(Errno) -> Int {
        let milliseconds = Self.milliseconds(timeout)
        let count = CDuplexShims_epoll_wait(fileDescriptor, buffer.storage, CInt(buffer.capacity), milliseconds)
        if count >= 0 { return Int(count) }
        let error = Errno(rawValue: errno)
        if error == .interrupted { return 0 }
        throw error
    }

    static func milliseconds(_ timeout: DuplexCore.Duration?) -> CInt {
        guard let timeout else { return -1 }
        let rounded = (timeout.nanoseconds / 1_000_000) + (timeout.nanoseconds % 1_000_000 == 0 ? 0 : 1)
        return CInt(clamping: rounded)
    }
}

/// The buffer belongs to the thread that waits.
@available(*, unavailable)
extension Epoll.EventBuffer: Sendable {}
