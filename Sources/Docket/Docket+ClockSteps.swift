/// What the engine does when the wall clock steps back.
///
/// Due times are wall-clock times, so after a step back what is pending waits longer by the
/// size of the step. For a task with a time of its own that is right (it runs when the clock
/// shows that time). For what the engine computed from the time it read — a schedule's next
/// fire, an attempt's timeout — it is not: a machine that booted with its clock a year ahead
/// and was then corrected would leave every schedule silent for that year. So when the clock
/// reads more than `clockStepBackTolerance` earlier than the latest time the engine has seen
/// (this process's reads, and at open the last journal record's time), the engine:
///
/// - moves each active schedule's next fire back to its first fire after now (a fixed-delay
///   schedule's back by the step: the delay runs from its last completion, which happened the
///   step's length earlier by the new clock), journaled like a resume. Fires between now and
///   the old time whose occurrences exist already (run in the old timeline and not purged) are
///   not made again (`fire` passes over existing occurrence ids);
/// - moves the timeouts of running attempts back by the step (their time run so far is what
///   it was).
///
/// The step's size is measured from the engine's last look at the clock: on the system clock
/// exactly (the time elapsed since is measured on `ContinuousClock`); on other clocks the
/// time between that look and the step is not known and not counted, so a timeout can end
/// that much later than it should.
///
/// Tasks keep their run times (a retry or snooze computed before the step waits it out;
/// `reschedule` moves them), as do workflow stage deadlines. The timer thread wakes on any
/// clock step (`TFD_TIMER_CANCEL_ON_SET`), so the step is seen at once, not at the next due time.
extension Docket {
    /// A clock read this much earlier than the latest seen is a step back. Smaller ones are
    /// left alone: schedules wait them out (at most this long).
    static let clockStepBackTolerance: Micros = 1_000_000

    /// Called by the timer loop with the time it read: handles a step back, keeps the latest
    /// time seen.
    ///
    /// How far the clock stepped: from the time read at the last look, moved on by the time
    /// elapsed since (on the system clock, measured by `ContinuousClock`, which steps do not
    /// move; other clocks have no such measure, so the step counts from the last look).
    func noteWallClock(_ now: Micros) throws(DocketError) {
        let elapsed: Micros
        let mono = configuration.clock is SystemClock ? ContinuousClock.now : nil
        if let mono, let last = lastLookMono {
            let d = last.duration(to: mono).components
            elapsed = max(0, Micros(clamping: d.seconds) &* 1_000_000 &+ Micros(d.attoseconds / 1_000_000_000_000))
        } else {
            elapsed = 0
        }
        lastLookMono = mono
        let expected = Time.add(wallHighWater, elapsed)
        if now < Time.add(expected, -Self.clockStepBackTolerance) {
            wallHighWater = now
            try clockSteppedBack(by: expected - now, now: now)
        } else if now > wallHighWater {
            wallHighWater = now
        }
    }

    private func clockSteppedBack(by step: Micros, now: Micros) throws(DocketError) {
        clockStepsBack += 1
        for id in state.schedules.keys.sorted() {
            guard let s = state.schedules[id], s.status == .active, let next = s.nextFire else { continue }
            let earlier: Micros?
            if s.isFixedDelay {
                earlier = Time.add(next, -step)
            } else {
                earlier = s.schedule.next(after: Time.date(now)).map(Time.micros)
            }
            guard let earlier, earlier < next else { continue }
            try commit(.setScheduleStatus(id: id, status: .active, nextFire: earlier, at: now))
        }
        if !leaseDeadlines.isEmpty {
            var shifted = BinaryHeap<LeaseDeadline>()
            for d in leaseDeadlines.elements {
                var moved = d
                moved.at = Time.add(d.at, -step)
                shifted.push(moved)
            }
            leaseDeadlines = shifted
        }
    }
}
