import CNetlink
import Glibc

extension AddressActuator {
    /// What an existing interface of the virtual interface's name is.
    public enum VirtualState: Sendable, Hashable {
        /// No interface of that name.
        case absent
        /// A macvlan on the parent with the MAC.
        case matching(up: Bool)
        /// Something else of that name (another kind, parent or MAC).
        case different
    }

    /// What the interface named `name` is, against a macvlan on `parent` with `mac`.
    ///
    /// The corresponding libnl functions are `rtnl_link_get_kernel`, `rtnl_link_is_macvlan`,
    /// `rtnl_link_get_link` and `rtnl_link_get_addr`.
    public func virtualState(name: String, parent: String, mac: [UInt8]) throws(NetlinkError) -> VirtualState {
        var link: OpaquePointer?
        let result = rtnl_link_get_kernel(routeSocket, 0, name, &link)
        if -result == NLE_NODEV || -result == NLE_OBJ_NOTFOUND { return .absent }
        guard result >= 0, let link else { throw NetlinkError(code: result, function: "rtnl_link_get_kernel") }
        defer { rtnl_link_put(link) }
        let parentIndex = try interfaceIndex(parent)
        guard rtnl_link_is_macvlan(link) != 0, rtnl_link_get_link(link) == parentIndex,
            let address = rtnl_link_get_addr(link), nl_addr_get_len(address) == 6,
            memcmp(nl_addr_get_binary_addr(address), mac, 6) == 0
        else { return .different }
        return .matching(up: rtnl_link_get_flags(link) & UInt32(IFF_UP) != 0)
    }

    /// Makes `name` a macvlan interface of `parent` with `mac` (mode private), down: created
    /// when absent, re-created when it is something else.
    ///
    /// The corresponding libnl functions are `rtnl_link_macvlan_alloc`,
    /// `rtnl_link_macvlan_set_mode`, `rtnl_link_set_link`, `rtnl_link_set_addr`,
    /// `rtnl_link_add` and `rtnl_link_delete`.
    /// - Throws: `NetlinkError`; `noDevice` for an unknown parent.
    public func prepareVirtual(name: String, parent: String, mac: [UInt8]) throws(NetlinkError) {
        precondition(mac.count == 6, "a MAC has six octets")
        switch try virtualState(name: name, parent: parent, mac: mac) {
        case .matching(let up):
            if up { try setVirtual(name: name, up: false) }
            return
        case .different:
            try deleteLink(name)
        case .absent:
            break
        }
        let parentIndex = try interfaceIndex(parent)
        guard let link = rtnl_link_macvlan_alloc() else { throw NetlinkError(.outOfMemory, function: "rtnl_link_macvlan_alloc") }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        rtnl_link_set_link(link, parentIndex)
        var result = rtnl_link_macvlan_set_mode(link, UInt32(rtnl_link_macvlan_str2mode("private")))
        guard result >= 0 else { throw NetlinkError(code: result, function: "rtnl_link_macvlan_set_mode") }
        guard let address = nl_addr_build(AF_LLC, mac, 6) else { throw NetlinkError(.outOfMemory, function: "nl_addr_build") }
        defer { nl_addr_put(address) }
        rtnl_link_set_addr(link, address)
        result = rtnl_link_add(routeSocket, link, NLM_F_CREATE | NLM_F_EXCL)
        guard result >= 0 else { throw NetlinkError(code: result, function: "rtnl_link_add") }
        indexes[name] = nil
    }

    /// Brings the virtual interface up or down.
    ///
    /// The corresponding libnl functions are `rtnl_link_get_kernel`, `rtnl_link_alloc`,
    /// `rtnl_link_set_flags` / `rtnl_link_unset_flags` and `rtnl_link_change`.
    public func setVirtual(name: String, up: Bool) throws(NetlinkError) {
        var current: OpaquePointer?
        var result = rtnl_link_get_kernel(routeSocket, 0, name, &current)
        guard result >= 0, let current else { throw NetlinkError(code: result, function: "rtnl_link_get_kernel") }
        defer { rtnl_link_put(current) }
        guard let change = rtnl_link_alloc() else { throw NetlinkError(.outOfMemory, function: "rtnl_link_alloc") }
        defer { rtnl_link_put(change) }
        if up {
            rtnl_link_set_flags(change, UInt32(IFF_UP))
        } else {
            rtnl_link_unset_flags(change, UInt32(IFF_UP))
        }
        result = rtnl_link_change(routeSocket, current, change, 0)
        guard result >= 0 else { throw NetlinkError(code: result, function: "rtnl_link_change") }
    }

    /// Deletes the interface `name`; succeeds when it is gone already.
    ///
    /// The corresponding libnl function is `rtnl_link_delete`.
    public func deleteLink(_ name: String) throws(NetlinkError) {
        guard let link = rtnl_link_alloc() else { throw NetlinkError(.outOfMemory, function: "rtnl_link_alloc") }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let result = rtnl_link_delete(routeSocket, link)
        guard result >= 0 || -result == NLE_NODEV || -result == NLE_OBJ_NOTFOUND else {
            throw NetlinkError(code: result, function: "rtnl_link_delete")
        }
        indexes[name] = nil
    }
}
