import CNetlink
import Glibc

extension AddressActuator {
    /// A parsed `nl_addr` (one reference, released by the caller with `nl_addr_put`).
    struct ParsedAddress {
        let pointer: OpaquePointer

        /// The corresponding libnl function is `nl_addr_parse`.
        init(_ text: String) throws(NetlinkError) {
            guard text.contains(":") || text.contains(".") else {
                throw NetlinkError(.invalidInput, function: "nl_addr_parse")
            }
            var parsed: OpaquePointer?
            let result = nl_addr_parse(text, AF_UNSPEC, &parsed)
            guard result >= 0, let parsed else { throw NetlinkError(code: result, function: "nl_addr_parse") }
            let family = nl_addr_get_family(parsed)
            guard family == AF_INET || family == AF_INET6 else {
                nl_addr_put(parsed)
                throw NetlinkError(.invalidInput, function: "nl_addr_parse")
            }
            pointer = parsed
        }
    }

    /// The index of `name` as the socket's network namespace sees it.
    ///
    /// The corresponding libnl function is `rtnl_link_get_kernel`.
    func interfaceIndex(_ name: String) throws(NetlinkError) -> Int32 {
        var link: OpaquePointer?
        let result = rtnl_link_get_kernel(routeSocket, 0, name, &link)
        guard result >= 0, let link else { throw NetlinkError(code: result, function: "rtnl_link_get_kernel") }
        defer { rtnl_link_put(link) }
        let index = rtnl_link_get_ifindex(link)
        precondition(index > 0, "the kernel returned a link without an index")
        return index
    }

    /// Builds an `rtnl_addr` for `address` on `interface` and passes it to `body`.
    ///
    /// The corresponding libnl functions are `rtnl_addr_alloc`, `rtnl_addr_set_ifindex`,
    /// `rtnl_addr_set_local` and, for IPv6, `rtnl_addr_set_flags(IFA_F_NODAD)`.
    func withAddressObject(
        _ address: String, interface: String, _ body: (OpaquePointer) throws(NetlinkError) -> Void
    ) throws(NetlinkError) {
        let parsed = try ParsedAddress(address)
        defer { nl_addr_put(parsed.pointer) }
        // The index is looked up once per interface (an RTM_GETLINK round trip, as long as the
        // change itself); when the kernel no longer knows it (the interface was re-created),
        // it is looked up again and the change tried once more.
        let cached = indexes[interface]
        do throws(NetlinkError) {
            let index: Int32
            if let cached { index = cached } else { index = try lookUp(interface) }
            try withAddressObject(parsed, index: index, body)
        } catch where cached != nil && error.code == .noDevice {
            indexes[interface] = nil
            let index = try lookUp(interface)
            try withAddressObject(parsed, index: index, body)
        }
    }

    /// The interface's index from the kernel, remembered for the next change.
    private func lookUp(_ interface: String) throws(NetlinkError) -> Int32 {
        let index = try interfaceIndex(interface)
        indexes[interface] = index
        return index
    }

    private func withAddressObject(
        _ parsed: ParsedAddress, index: Int32, _ body: (OpaquePointer) throws(NetlinkError) -> Void
    ) throws(NetlinkError) {
        guard let object = rtnl_addr_alloc() else { throw NetlinkError(.outOfMemory, function: "rtnl_addr_alloc") }
        defer { rtnl_addr_put(object) }
        rtnl_addr_set_ifindex(object, index)
        let result = rtnl_addr_set_local(object, parsed.pointer)
        guard result >= 0 else { throw NetlinkError(code: result, function: "rtnl_addr_set_local") }
        if nl_addr_get_family(parsed.pointer) == AF_INET6 {
            rtnl_addr_set_flags(object, UInt32(IFA_F_NODAD))
        }
        try body(object)
    }

    static func sameAddress(_ a: OpaquePointer, _ b: OpaquePointer) -> Bool {
        guard nl_addr_get_family(a) == nl_addr_get_family(b), nl_addr_get_len(a) == nl_addr_get_len(b) else {
            return false
        }
        return memcmp(nl_addr_get_binary_addr(a), nl_addr_get_binary_addr(b), Int(nl_addr_get_len(a))) == 0
    }
}
