import DuplexCore
import DuplexLinux
import Glibc
import Logging
import SystemPackage

// duplexd: the board's redundancy daemon. Composition root only: read the configuration,
// build the pair, actuator and control services, start their threads, serve until stopped.

// Before any thread starts: one allocator arena (see Allocator.useSingleArena).
Allocator.useSingleArena()
let arguments = Array(CommandLine.arguments.dropFirst())
let options: DaemonOptions
do {
    options = try DaemonOptions.parse(arguments)
} catch {
    fail(2, "\(error)\n\(DaemonOptions.usage)")
}
if options.help {
    print(DaemonOptions.usage)
    exit(0)
}
let (configuration, authentication) = loadConfiguration(path: options.configurationPath)
if options.checkOnly {
    print("\(options.configurationPath): configuration is valid")
    exit(0)
}
// Still before any thread starts: with `[checkpoint] huge-pages`, room at the heap's top in
// huge pages for checkpoints and replicas (see Allocator.reserve).
let heapRoom = Allocator.startRoom
var heapRoomError: Errno?
if configuration.checkpoint.hugePages, heapRoom.bytes >= 2 << 20 {
    do throws(Errno) {
        try Allocator.reserve(bytes: heapRoom.bytes, nursery: heapRoom.nursery)
    } catch {
        heapRoomError = error
    }
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = Logger.Level(rawValue: configuration.log.level.rawValue) ?? .info
    return handler
}
var logger = Logger(label: "duplexd")
logger[metadataKey: "duplex.board"] = "\(configuration.board.name)"
if let heapRoomError {
    logger.notice("no room in huge pages for checkpoints: the heap grows in small pages", metadata: [
        "duplex.bytes": "\(heapRoom.bytes)", "duplex.error": "\(heapRoomError)",
    ])
}

do {
    try runDaemon(configuration: configuration, authentication: authentication, logger: logger)
    exit(0)
} catch {
    logger.critical("duplexd cannot run", metadata: ["duplex.error": "\(error)"])
    exit(1)
}
