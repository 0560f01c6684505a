#include "shim_options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char* const k_known_options[] = {
    "--log",          "--status",     "--workdir",        "--log-max-bytes", "--log-keep", "--restart",
    "--max-restarts", "--backoff-ms", "--max-backoff-ms", "--stop-file",
};

static bool parse_unsigned(const char* text, uint64_t* value) {
    if (text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    char* end = NULL;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *value = parsed;
    return true;
}

/* The option `arg` names, as an entry of k_known_options; NULL when unknown. `name_len` is
 * the length of the name part (before a '=' in "--name=value"). */
static const char* known_option(const char* arg, size_t name_len) {
    for (size_t i = 0; i < sizeof k_known_options / sizeof k_known_options[0]; ++i) {
        if (strlen(k_known_options[i]) == name_len && strncmp(arg, k_known_options[i], name_len) == 0) {
            return k_known_options[i];
        }
    }
    return NULL;
}

const char* shim_usage_text(void) {
    return "usage: agentctl-shim --log PATH --status PATH [--workdir DIR]\n"
           "                     [--log-max-bytes N] [--log-keep N]\n"
           "                     [--restart no|on-failure|always] [--max-restarts N]\n"
           "                     [--backoff-ms N] [--max-backoff-ms N] [--stop-file PATH]\n"
           "                     -- PROGRAM [ARGS...]\n";
}

/* Stores one option's value; false with the reason in `error` when it is invalid. */
static bool apply_option(ShimOptions* options, const char* name, const char* value, TextBuffer* error) {
    uint64_t number = 0;
    if (strcmp(name, "--log") == 0) {
        options->log_path = value;
    } else if (strcmp(name, "--status") == 0) {
        options->status_path = value;
    } else if (strcmp(name, "--workdir") == 0) {
        options->workdir = value[0] ? value : NULL;
    } else if (strcmp(name, "--log-max-bytes") == 0) {
        if (!parse_unsigned(value, &options->log_max_bytes)) {
            text_puts(error, "--log-max-bytes needs a number of bytes");
            return false;
        }
    } else if (strcmp(name, "--restart") == 0) {
        if (strcmp(value, "no") == 0) options->restart = "no";
        else if (strcmp(value, "on-failure") == 0) options->restart = "on-failure";
        else if (strcmp(value, "always") == 0) options->restart = "always";
        else {
            text_puts(error, "--restart needs no, on-failure or always");
            return false;
        }
    } else if (strcmp(name, "--max-restarts") == 0) {
        if (!parse_unsigned(value, &number) || number > 1000000) {
            text_puts(error, "--max-restarts needs a number from 0 to 1000000");
            return false;
        }
        options->max_restarts = (int)number;
    } else if (strcmp(name, "--backoff-ms") == 0 || strcmp(name, "--max-backoff-ms") == 0) {
        /* A day at most: a longer wait is a typo, and the doubling must not overflow. */
        if (!parse_unsigned(value, &number) || number > 86400000) {
            text_printf(error, "%s needs milliseconds from 0 to 86400000", name);
            return false;
        }
        if (strcmp(name, "--backoff-ms") == 0) options->backoff_ms = (long long)number;
        else options->max_backoff_ms = (long long)number;
    } else if (strcmp(name, "--stop-file") == 0) {
        options->stop_file = value[0] ? value : NULL;
    } else {
        if (!parse_unsigned(value, &number) || number > 1000) {
            text_puts(error, "--log-keep needs a number from 0 to 1000");
            return false;
        }
        options->log_keep = (int)number;
    }
    return true;
}

bool shim_parse_options(int argc, char** argv, ShimOptions* options, TextBuffer* error) {
    static char* s_no_program[] = {NULL};
    *options = (ShimOptions){
        .log_max_bytes = 10485760,
        .log_keep = 3,
        .argv = s_no_program,
        .restart = "no",
        .max_restarts = 5,
        .backoff_ms = 1000,
        .max_backoff_ms = 60000,
    };
    int i = 1;
    for (; i < argc; ++i) {
        const char* arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            ++i;
            break;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            options->help = true;
            return true;
        }
        /* Both "--name value" and "--name=value". */
        size_t name_len = strlen(arg);
        const char* value = NULL;
        const char* equals = strchr(arg, '=');
        if (strncmp(arg, "--", 2) == 0 && equals) {
            name_len = (size_t)(equals - arg);
            value = equals + 1;
        }
        const char* name = known_option(arg, name_len);
        if (!name) {
            text_printf(error, "unknown option %s", arg);
            return false;
        }
        if (!value) {
            if (i + 1 >= argc) {
                text_printf(error, "%s needs a value", name);
                return false;
            }
            value = argv[++i];
        }
        if (!apply_option(options, name, value, error)) return false;
    }
    if (i < argc) options->argv = argv + i;
    if (!options->log_path || !options->log_path[0]) {
        text_puts(error, "--log is required");
        return false;
    }
    if (!options->status_path || !options->status_path[0]) {
        text_puts(error, "--status is required");
        return false;
    }
    if (!options->argv[0]) {
        text_puts(error, "no program given after --");
        return false;
    }
    return true;
}
