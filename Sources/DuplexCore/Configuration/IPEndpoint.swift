/// An IP address and a UDP or TCP port: `198.51.100.1:7400` or `[2001:db8::1]:7400`.
public struct IPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: AnyIPAddress
    public var port: UInt16

    public init(address: AnyIPAddress, port: UInt16) {
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
