/// What a cron schedule does with a matching wall time that a DST change skips (a spring-forward
/// gap such as 02:30 on a night when clocks go from 02:00 to 03:00).
public enum GapPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    /// The cronie/Debian rule: `.fireAtGapEnd` for fixed-time expressions, `.skip` for wildcard
    /// ones (whose minute, hour or seconds field begins with `*`).
    case auto
    /// Fire once at the first instant after the gap; all matches in one gap coalesce.
    case fireAtGapEnd
    /// Fire at the wall time read with the offset from before the gap (RFC 5545 §3.3.5):
    /// 02:30 in a 02:00→03:00 gap fires at 03:30.
    case shiftByGap
    /// Do not fire for wall times inside the gap.
    case skip
}

/// What a cron schedule does with a matching wall time that occurs twice (a fall-back fold such
/// as 01:30 on a night when clocks go from 02:00 back to 01:00).
public enum FoldPolicy: String, Hashable, Sendable, Codable, CaseIterable {
    /// The cronie/Debian rule: `.first` for fixed-time expressions, `.both` for wildcard ones.
    case auto
    /// Fire at the first occurrence only.
    case first
    /// Fire at both occurrences.
    case both
    /// Fire at the second occurrence only.
    case last
}
