/// An IPv4 or IPv6 address.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family's text form; IPv6 is recognised by its `:`.
    public init?(parsing text: some StringProtocol) {
        if text.contains(":") {
            guard let address = IPv6Address(parsing: text) else { return nil }
            self = .v6(address)
        } else {
            guard let address = IPv4Address(parsing: text) else { return nil }
            self = .v4(address)
        }
    }

    /// 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The bytes in network order (4 or 16).
    public var octets: [UInt8] {
        switch self {
        case .v4(let address): address.octets
        case .v6(let address): address.octets
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let address): address.isUnspecified
        case .v6(let address): address.isUnspecified
        }
    }

    public var isMulticast: Bool {
        switch self {
        case .v4(let address): address.isMulticast
        case .v6(let address): address.isMulticast
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }
}

/// An address with its prefix length, as assigned to an interface: `198.51.100.10/24`.
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: UInt8

    /// - Important: Traps if `prefixLength` exceeds the family's bit width.
    public init(address: IPAddress, prefixLength: UInt8) {
        precondition(Int(prefixLength) <= address.bitWidth, "prefix length beyond the address width")
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LENGTH`. Returns nil for anything else, including a length beyond the
    /// family's width.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(parsing: parts[0]),
              parts[1].utf8.count <= 3, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let length = UInt8(parts[1]), Int(length) <= address.bitWidth else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// An IP address and a UDP or TCP port: `198.51.100.1:7400` or `[2001:db8::1]:7400`.
public struct IPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `A.B.C.D:PORT` or `[IPV6]:PORT` (RFC 3986 §3.2.2 brackets). Port 0 is refused.
    public init?(parsing text: some StringProtocol) {
        let text = Substring(text)
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = UInt16(portText), port > 0 else { return nil }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { return nil }
            host = host.dropFirst().dropLast()
            guard let address = IPv6Address(parsing: host) else { return nil }
            self.init(address: .v6(address), port: port)
        } else {
            guard let address = IPv4Address(parsing: host) else { return nil }
            self.init(address: .v4(address), port: port)
        }
    }

    public var description: String {
        switch address {
        case .v4(let address): "\(address):\(port)"
        case .v6(let address): "[\(address)]:\(port)"
        }
    }
}
