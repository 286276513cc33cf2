extension ConfigurationBuilder {
    /// The `[link NAME]` sections in file order, 1...``Limits/linksMax`` of them.
    func links(pair: Configuration.Pair) throws(ConfigurationError) -> [Configuration.Link] {
        let readers = sections.filter { $0.kind == "link" }.map { ConfigurationSectionReader(section: $0, file: file) }
        guard !readers.isEmpty else {
            throw ConfigurationError(code: .missingSection, file: file, line: 0, section: "link NAME",
                                     message: "at least one [link NAME] section is required")
        }
        var links: [Configuration.Link] = []
        for reader in readers {
            guard links.count < Limits.linksMax else {
                throw reader.error(.tooMany, "too many links (at most \(Limits.linksMax))")
            }
            let link = try self.link(reader, pair: pair)
            try checkUnique(link, against: links, reader)
            try checkReplicationUnique(link, against: links, reader)
            links.append(link)
        }
        return links
    }

    private func link(_ reader: ConfigurationSectionReader, pair: Configuration.Pair) throws(ConfigurationError) -> Configuration.Link {
        let types: [(String, Bool)] = [("ethernet", true), ("udp", false)]
        let isEthernet = try reader.required("type", .choice(types, what: "a link type"))
        let common = ["type", "interval", "missed-max"]
        let transport: Configuration.Link.Transport
        if isEthernet {
            try reader.checkKeys(common + ["interface", "ethertype", "destination", "replication"], context: "an ethernet link")
            transport = .ethernet(try ethernet(reader))
        } else {
            try reader.checkKeys(common + ["local", "peer", "interface"], context: "a udp link")
            transport = .udp(try udp(reader))
        }
        return Configuration.Link(
            name: reader.section.name ?? "",
            transport: transport,
            interval: try reader.value("interval", default: pair.interval, Self.intervalParser),
            missedMax: try reader.value("missed-max", default: pair.missedMax, Self.missedMaxParser),
            replication: isEthernet ? try reader.optional("replication", .replication) : nil
        )
    }

    private func ethernet(_ reader: ConfigurationSectionReader) throws(ConfigurationError) -> Configuration.Link.Ethernet {
        let defaults = Configuration.Link.Ethernet(interface: "")
        return Configuration.Link.Ethernet(
            interface: try reader.required("interface", .interface),
            // Ethernet II frames start at 0x0600; smaller values are 802.3 lengths (IEEE 802.3 §3.2.6).
            etherType: try reader.value("ethertype", default: defaults.etherType, .integer(in: 0x0600...0xFFFF, hexadecimal: true)),
            destination: try reader.value("destination", default: defaults.destination, .macAddress)
        )
    }

    private func udp(_ reader: ConfigurationSectionReader) throws(ConfigurationError) -> Configuration.Link.UDP {
        let local = try reader.required("local", .endpoint)
        let peer = try reader.required("peer", .endpoint)
        guard local.address.isIPv4 == peer.address.isIPv4 else {
            throw reader.error(.inconsistent, key: "peer", "\(peer) and local \(local) are of different address families")
        }
        guard local != peer else {
            throw reader.error(.inconsistent, key: "peer", "\(peer) is the local endpoint too")
        }
        return Configuration.Link.UDP(local: local, peer: peer, interface: try reader.optional("interface", .interface))
    }

    /// Two Ethernet links on one interface would receive each other's frames.
    private func checkUnique(
        _ link: Configuration.Link, against links: [Configuration.Link], _ reader: ConfigurationSectionReader
    ) throws(ConfigurationError) {
        guard case .ethernet(let ethernet) = link.transport else { return }
        for other in links {
            if case .ethernet(let used) = other.transport, used.interface == ethernet.interface {
                throw reader.error(.inconsistent, key: "interface",
                                   "interface \(ethernet.interface) is already used by [link \(other.name)]")
            }
        }
    }

    /// The `[address NAME]` sections in file order, 0...``Limits/addressesMax`` of them.
    func addresses() throws(ConfigurationError) -> [Configuration.LogicalAddress] {
        var addresses: [Configuration.LogicalAddress] = []
        for section in sections where section.kind == "address" {
            let reader = ConfigurationSectionReader(section: section, file: file)
            guard addresses.count < Limits.addressesMax else {
                throw reader.error(.tooMany, "too many addresses (at most \(Limits.addressesMax))")
            }
            try reader.checkKeys(["address", "interface", "virtual-mac", "virtual-interface"], context: "[address NAME]")
            var address = Configuration.LogicalAddress(
                name: section.name ?? "",
                address: try reader.required("address", .interfaceAddress),
                interface: try reader.required("interface", .interface)
            )
            address.virtual = try virtualInterface(reader, address: address, others: addresses)
            if let other = addresses.first(where: { $0.address.address == address.address.address }) {
                throw reader.error(.inconsistent, key: "address",
                                   "\(address.address.address) is already [address \(other.name)]")
            }
            addresses.append(address)
        }
        return addresses
    }

    /// `virtual-mac` and `virtual-interface` of an address: a unicast MAC; a name that is not
    /// the parent's; one interface name per MAC and parent, and one MAC and parent per name.
    private func virtualInterface(
        _ reader: ConfigurationSectionReader, address: Configuration.LogicalAddress, others: [Configuration.LogicalAddress]
    ) throws(ConfigurationError) -> Configuration.VirtualInterface? {
        let mac = try reader.optional("virtual-mac", .macAddress)
        let name = try reader.optional("virtual-interface", .interface)
        guard let mac else {
            guard name == nil else {
                throw reader.error(.inconsistent, key: "virtual-interface", "a virtual interface needs a virtual-mac")
            }
            return nil
        }
        guard !mac.isGroup else {
            throw reader.error(.invalidValue, key: "virtual-mac", "\(mac) is a multicast MAC; a virtual MAC is unicast")
        }
        let virtual = Configuration.VirtualInterface(name: name ?? Configuration.VirtualInterface.defaultName(for: mac), mac: mac)
        guard virtual.name != address.interface else {
            throw reader.error(.inconsistent, key: name == nil ? "virtual-mac" : "virtual-interface",
                               "the virtual interface cannot be \(address.interface) itself")
        }
        for other in others {
            guard let theirs = other.virtual else { continue }
            if theirs.name == virtual.name, theirs.mac != virtual.mac || other.interface != address.interface {
                throw reader.error(.inconsistent, key: name == nil ? "virtual-mac" : "virtual-interface",
                                   "\(virtual.name) is already the virtual interface of [address \(other.name)] with \(theirs.mac) on \(other.interface)")
            }
            if theirs.mac == virtual.mac, other.interface == address.interface, theirs.name != virtual.name {
                throw reader.error(.inconsistent, key: "virtual-mac",
                                   "\(virtual.mac) on \(address.interface) is already [address \(other.name)]'s virtual interface \(theirs.name)")
            }
        }
        return virtual
    }
}
