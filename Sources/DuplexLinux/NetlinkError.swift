import CNetlink

/// A failed netlink operation: libnl's error code, its message (`nl_geterror`) and the libnl
/// function that returned it.
public struct NetlinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A libnl error code (`NLE_*`, positive). The common ones have names; any other code
    /// from libnl is kept as is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The positive `NLE_*` value.
        public let rawValue: Int32

        public init(rawValue: Int32) {
            precondition(rawValue >= 0, "NLE codes are positive here")
            self.rawValue = rawValue
        }

        /// `NLE_FAILURE`: unspecific failure.
        public static let failure = Code(rawValue: NLE_FAILURE)
        /// `NLE_NOMEM`.
        public static let outOfMemory = Code(rawValue: NLE_NOMEM)
        /// `NLE_EXIST`: the object exists (an address that is already there).
        public static let exists = Code(rawValue: NLE_EXIST)
        /// `NLE_INVAL`: invalid input, such as an address that does not parse.
        public static let invalidInput = Code(rawValue: NLE_INVAL)
        /// `NLE_OBJ_NOTFOUND`: no such object (the kernel's `ENODEV`, `ENOENT`).
        public static let objectNotFound = Code(rawValue: NLE_OBJ_NOTFOUND)
        /// `NLE_NOADDR`: no such address (the kernel's `EADDRNOTAVAIL`).
        public static let noAddress = Code(rawValue: NLE_NOADDR)
        /// `NLE_PERM`: operation not permitted (needs `CAP_NET_ADMIN`).
        public static let notPermitted = Code(rawValue: NLE_PERM)
        /// `NLE_NODEV`: no such device.
        public static let noDevice = Code(rawValue: NLE_NODEV)
        /// `NLE_AF_NOSUPPORT`: address family not supported (IPv6 disabled).
        public static let familyNotSupported = Code(rawValue: NLE_AF_NOSUPPORT)

        /// libnl's message for the code.
        ///
        /// The corresponding libnl function is `nl_geterror`.
        public var description: String { String(cString: nl_geterror(rawValue)) }
    }

    public let code: Code
    /// The libnl function that failed, for the log.
    public let function: String

    /// - Parameters:
    ///   - code: the `NLE_*` code; a negative libnl return value is negated.
    ///   - function: the libnl function that returned it.
    public init(code: Int32, function: String) {
        self.code = Code(rawValue: code < 0 ? -code : code)
        self.function = function
    }

    public init(_ code: Code, function: String) {
        self.code = code
        self.function = function
    }

    /// libnl's message (`nl_geterror`).
    public var message: String { code.description }

    public var description: String { "\(function): \(message) (NLE \(code.rawValue))" }
}
