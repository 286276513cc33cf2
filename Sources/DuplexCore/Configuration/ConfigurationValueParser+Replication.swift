extension ConfigurationValueParser where Value == Configuration.Link.Replication {
    /// The checkpoint replication endpoints of a dedicated link: `LOCAL -> PEER`, two unicast
    /// endpoints of one family with different addresses, e.g.
    /// `192.0.2.1:7410 -> 192.0.2.2:7410` or `[2001:db8:2::1]:7410 -> [2001:db8:2::2]:7410`.
    static var replication: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Configuration.Link.Replication in
            let parts = text.split(separator: "->", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw ConfigurationValueProblem("\"\(text)\" is not \"LOCAL -> PEER\" "
                    + "(use e.g. 192.0.2.1:7410 -> 192.0.2.2:7410)")
            }
            let local = try ConfigurationValueParser<IPEndpoint>.endpoint.parse(trimmed(parts[0]))
            let peer = try ConfigurationValueParser<IPEndpoint>.endpoint.parse(trimmed(parts[1]))
            guard local.address.isIPv4 == peer.address.isIPv4 else {
                throw ConfigurationValueProblem("\(local) and \(peer) are of different address families")
            }
            guard local.address != peer.address else {
                throw ConfigurationValueProblem("the mate's address \(peer.address) is the local address too")
            }
            return Configuration.Link.Replication(local: local, peer: peer)
        }
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
