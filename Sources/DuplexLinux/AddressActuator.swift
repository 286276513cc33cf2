import CNetlink
import Glibc

/// Adds and removes the logical IP addresses on an interface, through libnl-route.
///
/// Owns one libnl route socket (`nl_socket_alloc` + `nl_connect(NETLINK_ROUTE)`), in the network
/// namespace of the thread that creates it. Every call blocks until the kernel acknowledges, and
/// may wait for `rtnl_lock`: keep it off the pair thread. Actuation is idempotent: adding an
/// address that exists and removing one that is gone both succeed.
///
/// Not `Sendable`: the libnl socket is used by one thread only (the actuator thread). Create it
/// there, or hand it over once (`sending`). libnl types never leave this type.
public final class AddressActuator {
    let routeSocket: OpaquePointer
    /// Interface indexes by name, looked up on first use (see `withAddressObject`).
    var indexes: [String: Int32] = [:]

    /// Allocates and connects the route socket.
    ///
    /// The corresponding libnl functions are `nl_socket_alloc` and `nl_connect`.
    /// - Throws: `NetlinkError` when allocation or connection fails.
    public init() throws(NetlinkError) {
        guard let socket = nl_socket_alloc() else {
            throw NetlinkError(.outOfMemory, function: "nl_socket_alloc")
        }
        let result = nl_connect(socket, NETLINK_ROUTE)
        guard result >= 0 else {
            nl_socket_free(socket)
            throw NetlinkError(code: result, function: "nl_connect")
        }
        self.routeSocket = socket
    }

    deinit { nl_socket_free(routeSocket) }

    /// Adds `address` to `interface`; succeeds when it is already there.
    ///
    /// The corresponding libnl function is `rtnl_addr_add` (with `nl_addr_parse`,
    /// `rtnl_addr_set_local`, `rtnl_addr_set_ifindex`, and `IFA_F_NODAD` for IPv6 so the address
    /// is usable at once). `NLE_EXIST` counts as success.
    /// - Parameters:
    ///   - address: an address with prefix, `198.51.100.10/24` or `2001:db8::10/64`
    ///     (without a prefix: /32 or /128).
    ///   - interface: the interface name.
    /// - Throws: `NetlinkError` (`invalidInput` for an unparsable address, `noDevice` from
    ///   `rtnl_link_get_kernel` for an unknown interface, `notPermitted` without `CAP_NET_ADMIN`).
    public func add(address: String, interface: String) throws(NetlinkError) {
        try withAddressObject(address, interface: interface) { (object) throws(NetlinkError) in
            let result = rtnl_addr_add(routeSocket, object, 0)
            guard result >= 0 || -result == NLE_EXIST else {
                throw NetlinkError(code: result, function: "rtnl_addr_add")
            }
        }
    }

    /// Removes `address` from `interface`; succeeds when it is not there, or when the interface
    /// itself is gone (then so is the address).
    ///
    /// The corresponding libnl function is `rtnl_addr_delete`. `NLE_NOADDR` and
    /// `NLE_OBJ_NOTFOUND` count as success.
    /// - Parameters:
    ///   - address: as for `add`; the prefix length must match the configured one.
    ///   - interface: the interface name.
    /// - Throws: `NetlinkError` for anything else.
    public func remove(address: String, interface: String) throws(NetlinkError) {
        do throws(NetlinkError) {
            try withAddressObject(address, interface: interface) { (object) throws(NetlinkError) in
                let result = rtnl_addr_delete(routeSocket, object, 0)
                guard result >= 0 || -result == NLE_NOADDR || -result == NLE_OBJ_NOTFOUND else {
                    throw NetlinkError(code: result, function: "rtnl_addr_delete")
                }
            }
        } catch where error.function == "rtnl_link_get_kernel" && (error.code == .noDevice || error.code == .objectNotFound) {
            return  // The interface is gone, and the address with it.
        }
    }

    /// Whether `interface` has `address` with the same prefix length. For tests and for start-up
    /// clean-up of an address a crash left behind.
    ///
    /// The corresponding libnl function is `rtnl_addr_alloc_cache` (a fresh dump each call).
    /// - Throws: `NetlinkError` as for `add`.
    public func isPresent(address: String, interface: String) throws(NetlinkError) -> Bool {
        let wanted = try ParsedAddress(address)
        defer { nl_addr_put(wanted.pointer) }
        let index = try interfaceIndex(interface)
        var cache: OpaquePointer?
        let result = rtnl_addr_alloc_cache(routeSocket, &cache)
        guard result >= 0, let cache else { throw NetlinkError(code: result, function: "rtnl_addr_alloc_cache") }
        defer { nl_cache_free(cache) }
        var object = nl_cache_get_first(cache)
        // The cache holds a finite dump; the count bounds the walk.
        for _ in 0..<nl_cache_nitems(cache) {
            guard let current = object else { break }
            let entry = current
            if rtnl_addr_get_ifindex(entry) == index,
                rtnl_addr_get_prefixlen(entry) == Int32(nl_addr_get_prefixlen(wanted.pointer)),
                let local = rtnl_addr_get_local(entry), Self.sameAddress(local, wanted.pointer)
            {
                return true
            }
            object = nl_cache_get_next(current)
        }
        return false
    }
}

/// The libnl socket is used by one thread only (see the type's documentation).
@available(*, unavailable)
extension AddressActuator: Sendable {}
