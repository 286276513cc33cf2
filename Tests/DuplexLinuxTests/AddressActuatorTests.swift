import DuplexLinux
import Glibc
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

    /// The actuator remembers interface indexes; an interface deleted and created again under
    /// the same name (a new index) must still get the address, and removing from it while it
    /// is gone must still succeed.
    @Test func aReCreatedInterfaceIsLookedUpAgain() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let address = "203.0.113.10/24"
        let name = "dlxre\(getpid() % 100_000)"
        try ip("-n", net.a, "link", "add", name, "type", "veth", "peer", "name", name + "p")
        try ip("-n", net.a, "link", "set", name, "up")
        let present = try withNetworkNamespace(net.a) { () -> [Bool] in
            let actuator = try AddressActuator()
            try actuator.add(address: address, interface: name)
            var present = [try actuator.isPresent(address: address, interface: name)]
            try ip("-n", net.a, "link", "del", name)
            try ip("-n", net.a, "link", "add", name, "type", "veth", "peer", "name", name + "p")
            try ip("-n", net.a, "link", "set", name, "up")
            try actuator.add(address: address, interface: name)  // the remembered index is stale
            present.append(try actuator.isPresent(address: address, interface: name))
            try ip("-n", net.a, "link", "del", name)
            try actuator.remove(address: address, interface: name)  // gone with its interface
            return present
        }
        #expect(present == [true, true])
    }
}
