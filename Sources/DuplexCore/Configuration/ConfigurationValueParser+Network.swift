extension ConfigurationValueParser where Value == EthernetAddress {
    static var macAddress: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> EthernetAddress in
            guard let address = EthernetAddress(parsing: text), address.value != 0 else {
                throw ConfigurationValueProblem("\"\(text)\" is not a MAC address (use e.g. ff:ff:ff:ff:ff:ff)")
            }
            return address
        }
    }
}

extension ConfigurationValueParser where Value == IPEndpoint {
    /// A unicast address and a port: `198.51.100.1:7400` or `[2001:db8::1]:7400`.
    static var endpoint: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> IPEndpoint in
            guard let endpoint = IPEndpoint(parsing: text) else {
                throw ConfigurationValueProblem("\"\(text)\" is not an address and port "
                    + "(use e.g. 198.51.100.1:7400 or [2001:db8::1]:7400)")
            }
            guard !endpoint.address.isUnspecified, !endpoint.address.isMulticast else {
                throw ConfigurationValueProblem("\"\(text)\" is not a unicast address")
            }
            return endpoint
        }
    }
}

extension ConfigurationValueParser where Value == InterfaceAddress {
    /// A unicast address with its prefix length: `198.51.100.10/24` or `2001:db8::10/64`.
    static var interfaceAddress: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> InterfaceAddress in
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw ConfigurationValueProblem("\"\(text)\" is not an address with a prefix length "
                    + "(use e.g. 198.51.100.10/24 or 2001:db8::10/64)")
            }
            let address = try ip(parts[0])
            let family = address.isIPv4 ? "IPv4" : "IPv6"
            guard parts[1].utf8.count <= 3, parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let length = UInt8(parts[1]), (1...address.bitWidth).contains(Int(length)) else {
                throw ConfigurationValueProblem("prefix length \"\(parts[1])\" is out of range for \(family) "
                    + "(1...\(address.bitWidth))")
            }
            return InterfaceAddress(address: address, prefixLength: length)
        }
    }

    private static func ip(_ text: Substring) throws(ConfigurationValueProblem) -> AnyIPAddress {
        guard let address = AnyIPAddress(parsing: text) else {
            let family = text.contains(":") ? "an IPv6" : "an IPv4"
            throw ConfigurationValueProblem("\"\(text)\" is not \(family) address")
        }
        guard !address.isUnspecified, !address.isMulticast else {
            throw ConfigurationValueProblem("\"\(text)\" is not a unicast address")
        }
        if case .v4(let v4) = address, v4.isBroadcast {
            throw ConfigurationValueProblem("\"\(text)\" is not a unicast address")
        }
        return address
    }
}
