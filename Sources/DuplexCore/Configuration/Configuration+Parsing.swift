extension Configuration {
    /// Parses and validates the text of a configuration file.
    ///
    /// The format is INI-like: `# comment` lines and trailing ` # comment`s, `[section]` and
    /// `[section name]` headers, and `key = value` lines. See `Config/board-a.conf` for every key.
    /// - Parameters:
    ///   - text: The whole file.
    ///   - file: The file's name as errors should print it (`board-a.conf`).
    /// - Returns: A configuration in which every value has been checked.
    /// - Throws: The first problem found, naming its line, section and key.
    public static func parse(text: String, file: String) throws(ConfigurationError) -> Configuration {
        let sections = try ConfigurationLexer(file: file).sections(of: text)
        let configuration = try ConfigurationBuilder(file: file, sections: sections).build()
        assert((1...Limits.linksMax).contains(configuration.links.count), "links out of bounds")
        assert(configuration.addresses.count <= Limits.addressesMax, "addresses out of bounds")
        return configuration
    }
}
