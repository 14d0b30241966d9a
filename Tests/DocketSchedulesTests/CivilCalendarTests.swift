import Testing
@testable import DocketSchedules

@Suite struct CivilCalendarTests {
    @Test func dayCountsRoundTripAcrossFourGregorianCycles() {
        var days = CivilCalendar.daysFromCivil(year: 1600, month: 1, day: 1)
        let end = CivilCalendar.daysFromCivil(year: 3200, month: 1, day: 1)
        var expected = (year: 1600, month: 1, day: 1)
        var weekday = CivilCalendar.weekday(ofDays: days)
        while days < end {
            let civil = CivilCalendar.civilFromDays(days)
            #expect(civil == expected)
            #expect(CivilCalendar.weekday(ofDays: days) == weekday)
            days += 1
            weekday = (weekday + 1) % 7
            expected.day += 1
            if expected.day > CivilCalendar.daysInMonth(year: expected.year, month: expected.month) {
                expected.day = 1
                expected.month += 1
                if expected.month > 12 { expected.month = 1; expected.year += 1 }
            }
        }
    }

    @Test func knownDates() {
        #expect(CivilCalendar.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilCalendar.weekday(year: 1970, month: 1, day: 1) == 4)  // Thursday
        #expect(CivilCalendar.weekday(year: 2025, month: 3, day: 9) == 0)  // Sunday
        #expect(CivilCalendar.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilCalendar.isLeapYear(2000) && !CivilCalendar.isLeapYear(1900) && CivilCalendar.isLeapYear(2024))
        let t = LocalDateTime(localSeconds: -1)
        #expect(t == LocalDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(t.localSeconds == -1)
    }
}

@Suite struct ZoneTableWindowTests {
    @Test func tableWindowConstantsAreTheYears1800And2700() {
        #expect(ZoneRules.tableStart == CivilCalendar.daysFromCivil(year: 1800, month: 1, day: 1) * 86_400)
        #expect(ZoneRules.tableEnd == CivilCalendar.daysFromCivil(year: 2700, month: 1, day: 1) * 86_400)
    }
}
