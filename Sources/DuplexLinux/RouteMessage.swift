import CDuplexShims

/// The rtnetlink wire format that `LinkMonitor` speaks: constants and a bounds-checked parser.
/// Netlink is in host byte order. Values are from `<linux/netlink.h>`, `<linux/rtnetlink.h>`
/// and `<linux/if_link.h>`.
enum RouteMessage {
    /// `RTMGRP_LINK`: the multicast group bit of `RTNLGRP_LINK` (group 1).
    static let groupLink: UInt32 = 1
    /// `sizeof(struct nlmsghdr)`.
    static let headerLength = 16
    /// `sizeof(struct ifinfomsg)`.
    static let linkInfoLength = 16
    /// `NLMSG_NOOP`, `NLMSG_ERROR`, `NLMSG_DONE`.
    static let noop: UInt16 = 1
    static let error: UInt16 = 2
    static let done: UInt16 = 3
    /// `RTM_NEWLINK`, `RTM_DELLINK`, `RTM_GETLINK`.
    static let newLink: UInt16 = 16
    static let deleteLink: UInt16 = 17
    static let getLink: UInt16 = 18
    /// `NLM_F_REQUEST`, `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
    static let flagRequest: UInt16 = 0x1
    static let flagDump: UInt16 = 0x300
    /// `IFLA_IFNAME`.
    static let attributeName: UInt16 = 3
    /// `AF_BRIDGE`: bridge-port copies of link messages, skipped (the device's own message
    /// carries the same flags).
    static let familyBridge: UInt8 = 7
    /// `IFNAMSIZ`.
    static let nameSizeMax = 16

    /// `NLMSG_ALIGN` / `RTA_ALIGN`.
    static func align(_ length: Int) -> Int { (length + 3) & ~3 }

    /// Parses the messages of one datagram and calls `handler` for each link message.
    /// - Returns: the number of link messages handled.
    static func parse(
        _ datagram: UnsafeRawBufferPointer, _ handler: (CInt, String?, Bool) -> Void
    ) -> Int {
        var offset = 0
        var links = 0
        // Each message is at least a header long, so the count of messages is bounded.
        while offset + headerLength <= datagram.count {
            let length = Int(datagram.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            guard length >= headerLength, offset + length <= datagram.count else { return links }
            let type = datagram.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            if type == newLink || type == deleteLink,
                let link = parseLink(UnsafeRawBufferPointer(rebasing: datagram[offset..<(offset + length)]))
            {
                handler(link.index, link.name, type == newLink && link.carrierUp)
                links += 1
            }
            offset += align(length)
        }
        return links
    }

    /// Reads the `ifinfomsg` and the `IFLA_IFNAME` attribute of one link message.
    static func parseLink(_ message: UnsafeRawBufferPointer) -> (index: CInt, name: String?, carrierUp: Bool)? {
        let body = headerLength
        guard message.count >= body + linkInfoLength else { return nil }
        guard message[body] != familyBridge else { return nil }
        let index = message.loadUnaligned(fromByteOffset: body + 4, as: CInt.self)
        let flags = message.loadUnaligned(fromByteOffset: body + 8, as: UInt32.self)
        let carrier = CDuplexShims_IFF_UP | CDuplexShims_IFF_LOWER_UP
        var name: String?
        var offset = body + linkInfoLength
        while offset + 4 <= message.count {
            let length = Int(message.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = message.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3FFF
            guard length >= 4, offset + length <= message.count else { break }
            if type == attributeName {
                let value = UnsafeRawBufferPointer(rebasing: message[(offset + 4)..<(offset + length)])
                let text = value.prefix { $0 != 0 }.prefix(nameSizeMax - 1)
                name = String(decoding: text, as: UTF8.self)
                break
            }
            offset += align(length)
        }
        return (index, name, flags & carrier == carrier)
    }
}
