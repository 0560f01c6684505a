#include "time_text.h"

#include <stdio.h>

static void format_stamp(const struct timespec* time, long fraction, int digits, char out[SHIM_STAMP_SIZE]) {
    struct tm parts = {0};
    gmtime_r(&time->tv_sec, &parts);
    snprintf(out, SHIM_STAMP_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%0*ldZ", parts.tm_year + 1900, parts.tm_mon + 1,
             parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, digits, fraction);
}

struct timespec shim_wall_clock_now(void) {
    struct timespec now = {0, 0};
    clock_gettime(CLOCK_REALTIME, &now);
    return now;
}

void shim_utc_micros(const struct timespec* time, char out[SHIM_STAMP_SIZE]) {
    format_stamp(time, time->tv_nsec / 1000, 6, out);
}

void shim_utc_millis(const struct timespec* time, char out[SHIM_STAMP_SIZE]) {
    format_stamp(time, time->tv_nsec / 1000000, 3, out);
}

long long shim_monotonic_ms(void) {
    struct timespec now = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
