#pragma once
/* The shim's status file: a small JSON object, replaced atomically, read by agentctl. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text_buffer.h"
#include "time_text.h"

/** How many exits the status file keeps. */
#define SHIM_HISTORY_KEPT 16

/** One exit of the agent, and the restart that followed it (README.md "Restarts"). */
typedef struct ShimExitRecord {
    int number;                            /**< 1-based, counted over the shim's life */
    long pid;                              /**< the agent that exited */
    int exit_status;                       /**< its exit code, or 128 + signal */
    int signal;                            /**< -1: null */
    char exited_at[SHIM_STAMP_SIZE];
    const char* action;                    /**< "restart" | "stop" | "none" | "give-up" */
    char restarted_at[SHIM_STAMP_SIZE];    /**< empty until the restart happened */
    long new_pid;                          /**< the agent started by that restart (0: none yet) */
} ShimExitRecord;

/** What the status file says (README.md "Status file"); empty strings and -1 numbers are null. */
typedef struct ShimStatus {
    long shim_pid;
    uint64_t shim_start;
    long agent_pid;
    uint64_t agent_start;
    bool exited;                           /**< "state": "exited" instead of "running" */
    char started_at[SHIM_STAMP_SIZE];      /**< RFC 3339 UTC, milliseconds */
    int exit_status;                       /**< the exit code, or 128 + signal; -1: null */
    int signal;                            /**< the signal that ended the agent; -1: null */
    char exited_at[SHIM_STAMP_SIZE];
    TextBuffer error;                      /**< empty: null */
    const char* restart_policy;
    int restarts;                          /**< restarts done so far */
    bool restarting;                       /**< "state": "restarting": waiting out the backoff */
    bool failed;                           /**< max_restarts exhausted */
    char next_restart_at[SHIM_STAMP_SIZE]; /**< while restarting */
    int last_exit_status;                  /**< the latest exit, kept across restarts; -1: null */
    char last_exited_at[SHIM_STAMP_SIZE];
    ShimExitRecord history[SHIM_HISTORY_KEPT]; /**< the latest exits, oldest first */
    size_t history_size;
} ShimStatus;

/** A status with every optional field null and no history. */
void shim_status_init(ShimStatus* status);

/** Appends `exit` to the history, dropping the oldest beyond SHIM_HISTORY_KEPT. */
void shim_status_add_exit(ShimStatus* status, const ShimExitRecord* exit);

/** The latest exit in the history, or NULL when there is none. */
ShimExitRecord* shim_status_last_exit(ShimStatus* status);

/** Appends the JSON text of `status` (one line, with a trailing newline) to `out`; false when
 * memory ran out. */
bool shim_status_json(const ShimStatus* status, TextBuffer* out);

/** Writes `<path>.tmp` then renames it over `path`; false with the reason in `error` (when not
 * NULL) on failure. */
bool shim_write_status_file(const char* path, const ShimStatus* status, TextBuffer* error);
