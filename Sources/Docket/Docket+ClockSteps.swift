/// What the engine does when the wall clock steps back.
///
/// Due times are wall-clock times, so after a step back what is pending waits longer by the
/// size of the step. For a task with a time of its own that is right (it runs when the clock
/// shows that time). For what the engine computed from the time it read — a schedule's next
/// fire, an attempt's timeout — it is not: a clock corrected back by a year would leave every
/// schedule silent for that year. So when the timer loop reads the clock more than
/// `clockStepBackTolerance` earlier than it should (`noteWallClock`), the engine:
///
/// - moves each active or paused schedule's next fire back to its first fire after now (for a
///   fixed delay, one delay from now), journaled like a resume. Fires between now and the old time
///   whose occurrences exist already (run before the step and not purged) are not made again;
/// - moves the timeouts of running attempts back by the step (their time run so far is what
///   it was);
/// - moves back by the step the run times of scheduled and paused tasks that were computed
///   from the clock and lie ahead: a `delay`, a retry's wait, a workflow step's or a
///   `retryNow`'s "now" (journaled, so a restart keeps them). A time someone gave
///   (`TaskOptions.runAt`, `reschedule(to:)`, `snooze(until:)`) and a schedule's occurrence
///   (at its fire time) stay: they run when the clock shows their time. Tasks enqueued by
///   builds before this rule count as given times (their later retries do not). Every path
///   that computes a run time from the clock reads it through `clockReading`, which handles a
///   step first: a wait computed after the step is not moved back by it.
///
/// Not at open: a clock then behind the journal's times may be the wrong one (a board without
/// a working clock boots in 1970), and moving every schedule to it would run them at 1970
/// times and then catch up 56 years when the clock is set. The engine waits, as before.
/// Running workflows' stage deadlines (a stage's start plus its timeout) move back by the step
/// too, journaled. The timer
/// thread wakes on any clock step (`TFD_TIMER_CANCEL_ON_SET`), so a step is seen at once.
extension Docket {
    /// A clock read this much earlier than expected is a step back. Smaller ones are left
    /// alone: schedules wait them out (at most this long).
    static let clockStepBackTolerance: Micros = 1_000_000

    /// The clock's time, for a run time computed from it (a delay, a retry's wait, "now"): a
    /// step back not yet seen is handled first, so that the time is not moved back again by
    /// the step it was read after.
    func clockReading() throws(DocketError) -> Micros {
        let now = nowMicros()
        try noteWallClock(now)
        return now
    }

    /// Called by the timer loop with the time it read: handles a step back, keeps the latest
    /// time seen.
    ///
    /// Expected: on the system clock, the last reading moved on by the time elapsed since,
    /// measured on `ContinuousClock` (which steps do not move), so the step is measured
    /// exactly; other clocks have no such measure, so the step counts from the latest time
    /// read, and a timeout can end as much later as passed between that read and the step.
    func noteWallClock(_ now: Micros) throws(DocketError) {
        let expected: Micros
        let mono = clockIsSystem ? ContinuousClock.now : nil
        if let mono, let last = lastLookMono {
            expected = Time.add(lastLookWall, max(0, Time.micros(last.duration(to: mono))))
        } else {
            expected = wallHighWater
        }
        lastLookMono = mono
        lastLookWall = now
        if now < Time.add(expected, -Self.clockStepBackTolerance) {
            wallHighWater = now
            try clockSteppedBack(by: expected - now, now: now)
        } else if now > wallHighWater {
            wallHighWater = now
        }
    }

    private func clockSteppedBack(by step: Micros, now: Micros) throws(DocketError) {
        clockStepsBack += 1
        runStats.clockSteppedBack()
        for id in state.schedules.keys.sorted() {
            // Paused ones too: a fixed-delay schedule resumes at its stored next fire.
            guard let s = state.schedules[id], s.status != .finished, let next = s.nextFire else { continue }
            // The first fire after now: for a fixed delay, one delay from now. Never later than
            // it was, and the same answer however often it is applied (a step seen twice, a
            // schedule made after the step but before the loop saw it).
            guard let earlier = s.schedule.next(after: Time.date(now)).map(Time.micros), earlier < next else { continue }
            try commit(.setScheduleStatus(id: id, status: s.status, nextFire: earlier, at: now))
        }
        // Waits computed from the clock (delays, retries) keep what was left of them; times
        // someone gave (and schedules' occurrences, at their fire times) stay where they are.
        let waiting = readTasks { $0.idsWaitingOnTheClock(after: now) }
        for chunk in idChunks(waiting) { try commit(.shiftRunAt(Array(chunk), by: step, at: now)) }
        // A stage's deadline is its start plus its timeout: the time left of it stays.
        let staged = state.workflows.values.filter { $0.status == .running && ($0.stageDeadline ?? .min) > now }.map(\.id).sorted()
        for chunk in idChunks(staged) { try commit(.shiftWorkflowDeadlines(Array(chunk), by: step, at: now)) }
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
