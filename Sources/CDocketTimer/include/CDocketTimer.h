#ifndef CDOCKETTIMER_H
#define CDOCKETTIMER_H

#include <stdint.h>

/// A wall-clock (CLOCK_REALTIME) one-shot timer descriptor (Linux timerfd): reading it blocks until the armed
/// deadline passes. Returns -1 where there is none (other systems, or on failure).
int docket_timer_create(void);

/// Arms the timer for an absolute CLOCK_REALTIME deadline in nanoseconds (> 0). Returns 0 on
/// success, 1 when armed but the clock was set (stepped) since the last wait, -1 on failure.
int docket_timer_arm(int fd, int64_t deadline_ns);

/// Blocks until the armed deadline passes. Returns 0 when it did, 1 when the clock was set
/// (stepped) meanwhile, -1 on an error other than an interrupted read (which is retried).
int docket_timer_wait(int fd);

#endif
