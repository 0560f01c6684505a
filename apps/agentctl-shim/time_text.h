#pragma once
/* UTC timestamps as the shim writes them into its log (microseconds) and status file
 * (milliseconds). */

#include <time.h>

/** Room for any stamp (27 characters for sane clocks; snprintf bounds an insane year). */
#define SHIM_STAMP_SIZE 64

/** The wall-clock time now. */
struct timespec shim_wall_clock_now(void);

/** "2026-11-23T09:30:00.123456Z" into `out`: the stamp that starts every log line. */
void shim_utc_micros(const struct timespec* time, char out[SHIM_STAMP_SIZE]);

/** "2026-11-23T09:30:00.123Z" into `out`: RFC 3339 UTC with milliseconds, for the status file. */
void shim_utc_millis(const struct timespec* time, char out[SHIM_STAMP_SIZE]);

/** Milliseconds on the monotonic clock (for timeouts inside the shim). */
long long shim_monotonic_ms(void);
