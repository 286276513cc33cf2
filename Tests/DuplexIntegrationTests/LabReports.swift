import Foundation

/// The part of `duplexctl status --json` the tests look at.
struct BoardStatus: Decodable {
    struct Board: Decodable {
        let id: Int
        let name: String
    }

    struct Path: Decodable {
        let name: String
        let up: Bool
        let carrier: Bool
    }

    struct Address: Decodable {
        let name: String
        let address: String
        let held: Bool
    }

    struct RoleChange: Decodable {
        let from: String
        let to: String
        let reason: String
    }

    let board: Board
    let role: String
    let epoch: UInt64
    let paths: [Path]
    let addresses: [Address]
    let lastRoleChange: RoleChange?

    /// Whether the path named `name` is up; nil when there is no such path.
    func pathUp(_ name: String) -> Bool? { paths.first { $0.name == name }?.up }

    var summary: String {
        let paths = paths.map { "\($0.name)=\($0.up ? "up" : "down")" }.joined(separator: ",")
        let held = addresses.contains { $0.held } ? "held" : "not held"
        return "\(board.name) \(role) epoch \(epoch) paths \(paths) addresses \(held)"
            + (lastRoleChange.map { " (last: \($0.from) -> \($0.to): \($0.reason))" } ?? "")
    }
}

/// One entry of `duplexctl events --json`.
struct EventEntry: Decodable {
    let kind: String
    let epoch: UInt64
    let message: String
}

/// The one JSON line of `duplex-probe client`.
struct ProbeReport: Decodable {
    let sent: Int
    let answered: Int
    let answers: [String: Int]

    /// How many probes `name` answered.
    func count(_ name: String) -> Int { answers[name, default: 0] }
}

/// Which logical addresses a board's service interface carries (`ip addr show lan0`).
struct HeldAddresses: Equatable, CustomStringConvertible {
    var v4: Bool
    var v6: Bool

    var all: Bool { v4 && v6 }
    var none: Bool { !v4 && !v6 }
    var description: String { "v4 \(v4 ? "held" : "-") v6 \(v6 ? "held" : "-")" }
}

extension JSONDecoder {
    /// A decoder for duplexctl's snake_case keys.
    static let snakeCase: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
