public import DuplexCore

extension MACAddress {
    /// The configuration's `EthernetAddress` as a socket-level `MACAddress` (same 48 bits).
    public init(_ address: EthernetAddress) {
        self.init(rawValue: address.value)
    }
}
