@testable import DuplexLinux
import DuplexCore
import Testing

@Suite("Announcement frames")
struct AnnouncementFrameTests {
    @Test func neighborAdvertisementChecksumVerifies() throws {
        let address = try #require(AnyIPAddress(parsing: "2001:db8::10"))
        let mac = try #require(EthernetAddress(parsing: "02:00:00:00:00:0a"))
        var frame = [UInt8](repeating: 0xAA, count: AnnouncementFrame.bufferSize)
        let length = frame.withUnsafeMutableBytes {
            AnnouncementFrame.neighborAdvertisement(into: $0, mac: mac, address: address)
        }
        #expect(length == 86)
        #expect(Array(frame[0..<6]) == [0x33, 0x33, 0, 0, 0, 1])
        #expect(verifiesICMPv6Checksum(Array(frame[14..<length])))
    }

    @Test func gratuitousARPIsPaddedToTheMinimum() throws {
        let address = try #require(AnyIPAddress(parsing: "198.51.100.10"))
        let mac = try #require(EthernetAddress(parsing: "02:00:00:00:00:0a"))
        var frame = [UInt8](repeating: 0xAA, count: AnnouncementFrame.bufferSize)
        let length = frame.withUnsafeMutableBytes {
            AnnouncementFrame.gratuitousARP(into: $0, mac: mac, address: address)
        }
        #expect(length == 60)
        #expect(Array(frame[12..<14]) == [0x08, 0x06])
        #expect(frame[42..<60].allSatisfy { $0 == 0 })
    }
}

/// Verifies an IPv6 packet's ICMPv6 checksum independently of the code under test: the sum of
/// the pseudo-header and the message, checksum included, must be 0xFFFF.
func verifiesICMPv6Checksum(_ packet: [UInt8]) -> Bool {
    guard packet.count >= 40 else { return false }
    let payloadLength = Int(packet[4]) << 8 | Int(packet[5])
    guard packet.count >= 40 + payloadLength else { return false }
    var words: [UInt8] = Array(packet[8..<40])  // source and destination
    words += [0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xFF), 0, 0, 0, packet[6]]
    words += packet[40..<(40 + payloadLength)]
    if words.count % 2 == 1 { words.append(0) }
    var sum = 0
    for index in stride(from: 0, to: words.count, by: 2) {
        sum += Int(words[index]) << 8 | Int(words[index + 1])
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return sum == 0xFFFF
}
