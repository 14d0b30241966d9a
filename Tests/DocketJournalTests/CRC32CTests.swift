import DocketTestSupport
import Testing
@testable import DocketJournal

@Suite struct CRC32CTests {
    @Test func standardCheckValue() {
        let bytes = Array("123456789".utf8)
        #expect(CRC32C.checksum(bytes) == 0xE306_9283)
        #expect(bytes.withUnsafeBytes { CRC32C.software($0) } == 0xE306_9283)
    }

    @Test func hardwareEqualsSoftwareOnRandomInputs() {
        let seed: UInt64 = 0x5EED_C4C3
        print("CRC32C random-input seed: \(seed)")
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let count = Int(rng.next() % 5000)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let split = count == 0 ? 0 : Int(rng.next() % UInt64(count))
            let whole = CRC32C.checksum(bytes)
            let chained = CRC32C.checksum(Array(bytes[split...]), continuing: CRC32C.checksum(Array(bytes[..<split])))
            let software = bytes.withUnsafeBytes { CRC32C.software($0) }
            #expect(whole == software)
            #expect(chained == whole)
        }
    }

    @Test func maskRoundTrips() {
        for value: UInt32 in [0, 1, 0xE306_9283, .max, 0x8000_0000] {
            #expect(CRC32C.unmask(CRC32C.mask(value)) == value)
            #expect(CRC32C.mask(value) != value || value == 0xFFFF_FFFF)
        }
    }
}

