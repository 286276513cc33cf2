import DuplexLinux
import Glibc
import Testing

/// The actuator's macvlan interfaces for virtual MACs, in a namespace of their own.
@Suite("Virtual interfaces in a namespace", .serialized, .tags(.netns), .enabled(if: isRoot))
struct VirtualInterfaceTests {
    static let mac: [UInt8] = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x07]

    /// Created down with the MAC on the parent, brought up and down, left as it is when it
    /// matches (taken down), re-created when its MAC differs, deleted (twice: no error).
    @Test func aVirtualInterfaceIsCreatedMatchedAndReCreated() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let states = try withNetworkNamespace(net.a) { () -> [AddressActuator.VirtualState] in
            let actuator = try AddressActuator()
            let parent = net.interfaceA
            var states = [try actuator.virtualState(name: "dxv0", parent: parent, mac: Self.mac)]
            try actuator.prepareVirtual(name: "dxv0", parent: parent, mac: Self.mac)
            states.append(try actuator.virtualState(name: "dxv0", parent: parent, mac: Self.mac))
            try actuator.setVirtual(name: "dxv0", up: true)
            states.append(try actuator.virtualState(name: "dxv0", parent: parent, mac: Self.mac))
            try actuator.add(address: "198.51.100.10/24", interface: "dxv0")
            // A restart finds it matching and takes it down.
            try actuator.prepareVirtual(name: "dxv0", parent: parent, mac: Self.mac)
            states.append(try actuator.virtualState(name: "dxv0", parent: parent, mac: Self.mac))
            // Another MAC in the configuration: the old interface is replaced.
            let other: [UInt8] = [0x02, 0, 0, 0, 0, 0x09]
            states.append(try actuator.virtualState(name: "dxv0", parent: parent, mac: other))
            try actuator.prepareVirtual(name: "dxv0", parent: parent, mac: other)
            states.append(try actuator.virtualState(name: "dxv0", parent: parent, mac: other))
            try actuator.deleteLink("dxv0")
            try actuator.deleteLink("dxv0")
            states.append(try actuator.virtualState(name: "dxv0", parent: parent, mac: other))
            return states
        }
        #expect(states == [.absent, .matching(up: false), .matching(up: true), .matching(up: false), .different,
                           .matching(up: false), .absent])
    }

    /// A parent that does not exist is an error, and nothing is created.
    @Test func anUnknownParentIsAnError() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let code = try withNetworkNamespace(net.a) { () -> NetlinkError.Code? in
            let actuator = try AddressActuator()
            do throws(NetlinkError) {
                try actuator.prepareVirtual(name: "dxv1", parent: "nosuch0", mac: Self.mac)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code == .noDevice)
        #expect((try? ip("-n", net.a, "link", "show", "dev", "dxv1")) == nil)
    }
}
