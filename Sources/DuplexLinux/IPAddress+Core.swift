public import DuplexCore

extension IPAddress {
    /// The configuration's `AnyIPAddress` as a socket-level `IPAddress` (same family and bytes).
    /// Builds a temporary array: for start-up, not the pair thread.
    public init(_ address: AnyIPAddress) {
        let octets = address.octets
        self = octets.withUnsafeBytes { IPAddress(family: address.isIPv4 ? .v4 : .v6, bytes: $0) }
    }
}
