import DuplexCore
import DuplexLinux
import Foundation
import Testing

/// The last-role marker: which roles it keeps, and that it survives being written and read.
@Suite struct LastRoleMarkerTests {
    @Test func theActiveIsMarkedWithWhetherItsMateWasInReach() {
        #expect(LastRoleMarker.Role(.active, mateInReach: false) == .active)
        #expect(LastRoleMarker.Role(.active, mateInReach: true) == .activeWithMate)
        #expect(LastRoleMarker.Role(.standby, mateInReach: true) == .standby)
        #expect(LastRoleMarker.Role(.standby, mateInReach: false) == .standby)
        for role in [Role.starting, .separated, .blocked, .failed] {
            #expect(LastRoleMarker.Role(role, mateInReach: true) == nil, "\(role)")
        }
        // Only an active that was alone holds the newest state it knows.
        #expect(!LastRoleMarker.Role.active.mateMayBeAhead)
        #expect(LastRoleMarker.Role.standby.mateMayBeAhead && LastRoleMarker.Role.activeWithMate.mateMayBeAhead)
    }

    @Test func theMarkerIsReadAsWritten() throws {
        let directory = NSTemporaryDirectory() + "duplex-marker-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let marker = LastRoleMarker(directory: directory)
        #expect(marker.read() == nil)
        for role in [LastRoleMarker.Role.activeWithMate, .standby, .active, .activeWithMate] {
            try marker.write(role)
            #expect(marker.read() == role)
        }
        // A value this build does not know reads as no marker (the start is as it always was).
        try "primary\n".write(toFile: marker.path, atomically: true, encoding: .utf8)
        #expect(marker.read() == nil)
    }
}
