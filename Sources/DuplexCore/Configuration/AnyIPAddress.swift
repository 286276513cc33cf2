/// An IPv4 or IPv6 address: either family, as a configuration holds it.
public enum AnyIPAddress: Sendable, Hashable, CustomStringConvertible {
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
