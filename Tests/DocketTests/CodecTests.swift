import Testing
@testable import Docket

@Suite struct CodecTests {
    @Test func varintsRoundTrip() throws {
        var w = BinaryWriter()
        let values: [Int64] = [0, 1, -1, 63, -64, 1 << 40, Int64.max, Int64.min]
        for v in values { w.int(v) }
        var r = BinaryReader(w.bytes)
        for v in values { #expect(try r.int() == v) }
        #expect(r.isAtEnd)
    }
}
