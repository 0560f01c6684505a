/* agentctl-shim: the parent of one agent process (README.md in this folder is the protocol).
 * C11 and POSIX only, linked statically against musl where available, so that it starts in
 * about a tenth of a millisecond. */

#include <stdio.h>

#include "shim_options.h"
#include "supervisor.h"
#include "text_buffer.h"

int main(int argc, char** argv) {
    ShimOptions options;
    TextBuffer error = TEXT_BUFFER_INIT;
    bool parsed = shim_parse_options(argc, argv, &options, &error);
    if (options.help) {
        fputs(shim_usage_text(), stdout);
        return 0;
    }
    if (!parsed) {
        const char* message = error.failed ? "out of memory" : text_str(&error);
        /* The launcher reads one line from stdout; a person reads stderr. */
        printf("error usage: %s\n", message);
        fflush(stdout);
        fprintf(stderr, "agentctl-shim: %s\n%s", message, shim_usage_text());
        text_free(&error);
        return 2;
    }
    return shim_supervise(&options);
}
