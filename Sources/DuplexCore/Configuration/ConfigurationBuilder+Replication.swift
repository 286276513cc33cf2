extension ConfigurationBuilder {
    /// Refuses a `replication` endpoint that an earlier link already binds: two replication
    /// sockets cannot share a local address and port.
    func checkReplicationUnique(
        _ link: Configuration.Link, against links: [Configuration.Link], _ reader: ConfigurationSectionReader
    ) throws(ConfigurationError) {
        guard let replication = link.replication else { return }
        for other in links where other.replication?.local == replication.local {
            throw reader.error(.inconsistent, key: "replication",
                               "\(replication.local) is already the replication endpoint of [link \(other.name)]")
        }
    }
}
