// The timerfd calls of PreciseTimer: Swift's Glibc module does not include <sys/timerfd.h>.
#include "CDocketTimer.h"

#if defined(__linux__)
#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>

// The wall clock, as the engine's deadlines are wall-clock times: an absolute CLOCK_REALTIME
// timer fires when the clock reaches its time, also when the clock is stepped past it (NTP)
// or the machine slept through it, where a monotonic one would still wait its whole length.
int docket_timer_create(void) {
    return timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
}

int docket_timer_arm(int fd, int64_t deadline_ns) {
    struct itimerspec spec = {0};
    if (deadline_ns < 1) deadline_ns = 1; // zero would disarm
    spec.it_value.tv_sec = (time_t)(deadline_ns / 1000000000);
    spec.it_value.tv_nsec = (long)(deadline_ns % 1000000000);
    // TFD_TIMER_CANCEL_ON_SET: a step of the clock (settimeofday, NTP stepping it) ends the
    // wait at once with ECANCELED, so the engine sees a step back now, not at a deadline the
    // step pushed away.
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, NULL) == 0) return 0;
    // Armed all the same (timerfd_create(2), NOTES), but the clock was set since the last read,
    // which that read will no longer report.
    if (errno == ECANCELED) return 1;
    return -1;
}

int docket_timer_wait(int fd) {
    uint64_t expirations;
    for (;;) {
        ssize_t n = read(fd, &expirations, sizeof expirations);
        if (n == (ssize_t)sizeof expirations) return 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == ECANCELED) return 1;
        return -1;
    }
}
#else
int docket_timer_create(void) { return -1; }
int docket_timer_arm(int fd, int64_t deadline_ns) { (void)fd; (void)deadline_ns; return -1; }
int docket_timer_wait(int fd) { (void)fd; return -1; }
#endif
