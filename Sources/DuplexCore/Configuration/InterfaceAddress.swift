/// An address with its prefix length, as assigned to an interface: `198.51.100.10/24`.
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: AnyIPAddress
    public var prefixLength: UInt8

    /// - Important: Traps if `prefixLength` exceeds the family's bit width.
    public init(address: AnyIPAddress, prefixLength: UInt8) {
        precondition(Int(prefixLength) <= address.bitWidth, "prefix length beyond the address width")
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LENGTH`. Returns nil for anything else, including a length beyond the
    /// family's width.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = AnyIPAddress(parsing: parts[0]),
              parts[1].utf8.count <= 3, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let length = UInt8(parts[1]), Int(length) <= address.bitWidth else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
