#pragma once
/* The command line of agentctl-shim (see README.md in this folder for the protocol). */

#include <stdbool.h>
#include <stdint.h>

#include "text_buffer.h"

/** Everything the shim is told on its command line; the strings point into argv. */
typedef struct ShimOptions {
    const char* log_path;
    const char* status_path;
    const char* workdir;       /**< NULL: the agent inherits the shim's directory */
    uint64_t log_max_bytes;    /**< rotate once the log would grow past this (0: never) */
    int log_keep;              /**< rotated files kept: log.1 ... log.<keep> */
    char** argv;               /**< the agent's program and arguments, NULL-terminated */
    const char* restart;       /**< restart policy: "no" | "on-failure" | "always" */
    int max_restarts;          /**< restarts allowed over the shim's life */
    long long backoff_ms;      /**< delay before the first restart, doubled per crash */
    long long max_backoff_ms;  /**< the doubling stops here */
    const char* stop_file;     /**< NULL, or: while present, a stop was requested, never restart */
    bool help;
} ShimOptions;

/** Fills `options` from argv (argv[0] is the program name); returns false with the reason in
 * `error` when the command line is wrong. */
bool shim_parse_options(int argc, char** argv, ShimOptions* options, TextBuffer* error);

/** The usage text printed by --help. */
const char* shim_usage_text(void);
