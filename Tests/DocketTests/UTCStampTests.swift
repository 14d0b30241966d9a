import Foundation
import Testing
@testable import Docket

/// Occurrence ids carry `UTCStamp` text: it must tell every microsecond apart, and never change
/// for the times it printed before.
@Suite struct UTCStampTests {
    @Test func everyMicrosecondPrintsApartAlsoCenturiesAhead() {
        #expect(UTCStamp.string(1_800_000_000_000_000) == "2027-01-15T08:00:00Z")
        #expect(UTCStamp.string(1_800_000_000_123_400) == "2027-01-15T08:00:00.1234Z")
        #expect(UTCStamp.string(-1) == "1969-12-31T23:59:59.999999Z")
        #expect(UTCStamp.string(-1_000_000) == "1969-12-31T23:59:59Z")
        // 5000: a Double of seconds since 2001 has ~15 µs steps here (~1 µs from 2200 on).
        let t: Micros = 95_617_584_000_000_000
        let texts = (0..<50).map { UTCStamp.string(t + Micros($0)) }
        #expect(Set(texts).count == 50, "\(texts)")
        #expect(texts[7] == "5000-01-01T00:00:00.000007Z")
        // Reading back gives the same time, to the microsecond, also centuries ahead.
        for m: Micros in [0, 1, -1, 1_800_000_000_654_321, -62_135_596_800_000_000, 253_402_300_799_000_000, t + 7, t + 999_999] {
            #expect(UTCStamp.micros(UTCStamp.string(m)) == m, "\(m)")
        }
        for bad in ["2027-01-15T08:00:00", "2027-01-15T08:00:00.Z", "2027-01-15T08:00:00.1234567Z", "2027-01-15T08:00:00.12a4Z", "soon"] {
            #expect(UTCStamp.micros(bad) == nil, "\(bad)")
        }
    }
}
