import Foundation
import Testing

/// `duplexctl noise`: runs here without duplexd, one probe per CPU this process may use.
@Suite struct NoiseCommandTests {
    /// The CPUs of `Cpus_allowed_list` in /proc/self/status ("0-1", "0,2-3").
    static func allowedCPUs() throws -> [Int] {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        var cpus: [Int] = []
        for part in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 2 { cpus += Array(ends[0]...ends[1]) } else if let cpu = ends.first { cpus.append(cpu) }
        }
        return cpus
    }

    @Test func probesEveryAllowedCPUAndReportsJSON() throws {
        let binaries = try Binaries.locate()
        let result = try Command.run(binaries.duplexctl, ["noise", "--seconds", "0.2", "--threshold-us", "5", "--json"]).checked()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["threshold_us"] as? Int == 5)
        #expect(object["seconds"] as? Double == 0.2)
        let cpus = try #require(object["cpus"] as? [[String: Any]])
        #expect(cpus.compactMap { $0["cpu"] as? Int } == (try Self.allowedCPUs()))
        for cpu in cpus {
            #expect(cpu["pinned"] as? Bool == true, "\(cpu)")
            let share = try #require(cpu["lost_percent"] as? Double)
            #expect(share >= 0 && share <= 100, "\(cpu)")
            let gaps = try #require(cpu["gaps"] as? Int)
            let longest = try #require(cpu["gap_max_us"] as? Double)
            // Every counted gap is at least the threshold; none is longer than the run.
            #expect(gaps == 0 ? longest == 0 : longest >= 5 && longest <= 200_000 + 5, "\(cpu)")
            if gaps > 0 {
                let median = try #require(cpu["gap_median_us"] as? Double)
                #expect(median >= 5 && median <= longest, "\(cpu)")
            }
        }
    }

    @Test func theHumanViewHasARowPerCPU() throws {
        let binaries = try Binaries.locate()
        let result = try Command.run(binaries.duplexctl, ["noise", "--seconds", "0.1"]).checked()
        let lines = result.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("CPU  PINNED  GAPS/S") == true, "\(result.output)")
        #expect(lines.count == (try Self.allowedCPUs()).count + 3, "\(result.output)")
    }

    @Test func outOfRangeArgumentsAreRefused() throws {
        let binaries = try Binaries.locate()
        for arguments in [["--seconds", "0"], ["--seconds", "61"], ["--threshold-us", "0"]] {
            let result = try Command.run(binaries.duplexctl, ["noise"] + arguments)
            #expect(!result.succeeded, "\(arguments)")
            #expect(result.errorOutput.contains(arguments[0]), "\(arguments): \(result.errorOutput)")
        }
    }
}
