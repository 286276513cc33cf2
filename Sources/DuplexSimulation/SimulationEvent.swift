/// What the event queue holds.
enum SimulationEvent {
    case start(board: Int, token: UInt64)
    case recover(board: Int, token: UInt64)
    case tick(board: Int, token: UInt64)
    case arrival(board: Int, path: Int, frame: WireFrame, generation: UInt64)
    /// A netlink carrier event reaches the board (it reads the current state, as the adapter
    /// does after an event).
    case carrier(board: Int, path: Int)
    case actuated(board: Int, generation: UInt64, incarnation: UInt32, claim: Bool, ok: Bool)
    case fault(Int)
    case injected(Fault)
    case episodeEnds(Int)
    /// The operator unlocks a board whose lock outlived the lock fault.
    case unlock(board: Int)
    case heal
}

/// A handover offer seen on the wire, for the acceptance checker.
struct HandoverOffer {
    var board: Int
    var incarnation: UInt32
    var epoch: UInt64
    var accepted = false
}
