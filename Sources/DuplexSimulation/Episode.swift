/// A fault that lasts: it ends by itself, or at the heal.
struct Episode {
    var id: Int
    var kind: EpisodeKind
}

enum EpisodeKind: Equatable, CustomStringConvertible {
    case impairment(path: Int)
    case linkDown(path: Int)
    case partition
    case freeze(board: Int)
    case actuatorFailsAll(board: Int)
    case actuatorSlow(board: Int)
    case isolation(board: Int)
    case lock(board: Int)
    case notHot(board: Int)

    var description: String {
        switch self {
        case .impairment(let path): "impairment of path\(path)"
        case .linkDown(let path): "path\(path) carrier down"
        case .partition: "partition"
        case .freeze(let board): "freeze of board\(board + 1)"
        case .actuatorFailsAll(let board): "actuator failure of board\(board + 1)"
        case .actuatorSlow(let board): "actuator slowness of board\(board + 1)"
        case .isolation(let board): "service LAN loss of board\(board + 1)"
        case .lock(let board): "operator lock of board\(board + 1)"
        case .notHot(let board): "replica of board\(board + 1) not hot"
        }
    }
}
