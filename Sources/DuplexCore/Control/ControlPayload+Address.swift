extension ControlPayloadWriter {
    /// An interface address: UInt8 family (4 or 6), the address bytes, UInt8 prefix length.
    public mutating func write(_ value: InterfaceAddress) {
        switch value.address {
        case .v4(let address):
            write(UInt8(4))
            write(address.value)
        case .v6(let address):
            write(UInt8(6))
            write(address.high)
            write(address.low)
        }
        write(value.prefixLength)
    }
}

extension ControlPayloadReader {
    /// An interface address; an unknown family or a prefix beyond the width is `malformed`.
    public mutating func read(_: InterfaceAddress.Type) throws(ControlProtocolError) -> InterfaceAddress {
        let address: AnyIPAddress
        switch try read(UInt8.self) {
        case 4: address = .v4(IPv4Address(value: try read(UInt32.self)))
        case 6: address = .v6(IPv6Address(high: try read(UInt64.self), low: try read(UInt64.self)))
        case let family: throw ControlProtocolError(.malformed, "address family \(family)")
        }
        let prefixLength = try read(UInt8.self)
        guard Int(prefixLength) <= address.bitWidth else {
            throw ControlProtocolError(.malformed, "prefix length \(prefixLength) for \(address)")
        }
        return InterfaceAddress(address: address, prefixLength: prefixLength)
    }
}
