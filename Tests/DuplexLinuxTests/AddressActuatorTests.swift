import DuplexLinux
import Testing

@Suite("AddressActuator in a namespace", .serialized, .tags(.netns), .enabled(if: isRoot))
struct AddressActuatorTests {
    @Test(arguments: ["198.51.100.10/24", "2001:db8::10/64"])
    func addAndRemoveAreIdempotent(address: String) throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let steps = try withNetworkNamespace(net.a) { () -> [Bool] in
            let actuator = try AddressActuator()
            let interface = net.interfaceA
            var steps: [Bool] = []
            steps.append(try actuator.isPresent(address: address, interface: interface))
            try actuator.add(address: address, interface: interface)
            try actuator.add(address: address, interface: interface)
            steps.append(try actuator.isPresent(address: address, interface: interface))
            return steps
        }
        #expect(steps == [false, true])
        let shown = try ip("-n", net.a, "addr", "show", "dev", net.interfaceA)
        #expect(shown.contains(address))
        let line = shown.split(separator: "\n").first { $0.contains(address) }
        #expect(line?.contains("tentative") == false)

        let after = try withNetworkNamespace(net.a) { () -> Bool in
            let actuator = try AddressActuator()
            try actuator.remove(address: address, interface: net.interfaceA)
            try actuator.remove(address: address, interface: net.interfaceA)
            return try actuator.isPresent(address: address, interface: net.interfaceA)
        }
        #expect(!after)
        #expect(!(try ip("-n", net.a, "addr", "show", "dev", net.interfaceA)).contains(address))
    }

    @Test func badInputIsAnError() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let codes = try withNetworkNamespace(net.a) { () -> [NetlinkError.Code?] in
            let actuator = try AddressActuator()
            var codes: [NetlinkError.Code?] = []
            for (address, interface) in [("not-an-address", net.interfaceA), ("198.51.100.10/24", "nosuch0")] {
                do throws(NetlinkError) {
                    try actuator.add(address: address, interface: interface)
                    codes.append(nil)
                } catch {
                    codes.append(error.code)
                }
            }
            // Removing from a missing interface succeeds: the address is gone with it.
            try actuator.remove(address: "198.51.100.10/24", interface: "nosuch0")
            return codes
        }
        #expect(codes.count == 2)
        #expect(codes.allSatisfy { $0 != nil })
        #expect(codes[1] == .noDevice)
    }
}
