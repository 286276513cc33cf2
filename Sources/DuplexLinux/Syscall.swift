public import SystemPackage
import Glibc

/// The one place where a system call's `-1` becomes a thrown `Errno`.
///
/// Modelled on swift-system's internal `valueOrErrno(retryOnInterrupt:_:)`: the call is
/// retried on `EINTR`, and any other failure is thrown as the `Errno` read right after it.
public enum Syscall: Sendable {
    /// Retries after `EINTR` at most this many times, then throws `Errno.interrupted`, so that
    /// a signal storm cannot spin a thread forever.
    public static let interruptRetriesMax = 64

    /// Calls `body` until it returns something other than `-1` with `errno == EINTR`.
    ///
    /// - Parameter body: the system call; it must return `-1` and set `errno` on failure.
    /// - Returns: the call's result (never `-1`).
    /// - Throws: the call's `Errno`, or `Errno.interrupted` after `interruptRetriesMax` retries.
    @inlinable
    public static func retrying<Result: FixedWidthInteger>(
        _ body: () -> Result
    ) throws(Errno) -> Result {
        var retries = 0
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno(rawValue: currentErrno())
            guard error == .interrupted, retries < interruptRetriesMax else { throw error }
            retries += 1
        }
    }

    /// Like `retrying`, but `EAGAIN`/`EWOULDBLOCK` is returned as `nil` instead of thrown:
    /// the shape of every non-blocking read and write. Nothing is thrown on the would-block
    /// path, so a poll of an empty socket costs no error handling at all.
    ///
    /// - Returns: the call's result, or `nil` when it would block.
    /// - Throws: the call's `Errno` for anything but `EINTR` and `EAGAIN`.
    @inlinable
    public static func nonBlocking<Result: FixedWidthInteger>(
        _ body: () -> Result
    ) throws(Errno) -> Result? {
        var retries = 0
        while true {
            let result = body()
            if result != -1 { return result }
            let code = currentErrno()
            if isWouldBlock(code) { return nil }
            guard isInterrupted(code), retries < interruptRetriesMax else { throw Errno(rawValue: code) }
            retries += 1
        }
    }

    /// The calling thread's `errno`.
    @usableFromInline
    static func currentErrno() -> CInt { errno }

    /// `EAGAIN` or `EWOULDBLOCK`.
    @usableFromInline
    static func isWouldBlock(_ code: CInt) -> Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// `EINTR`.
    @usableFromInline
    static func isInterrupted(_ code: CInt) -> Bool { code == EINTR }
}
