#pragma once
/* The text of an errno value as the shim reports it (handshake, status file, log): glibc's
 * wording, which the shim used before it was linked against musl, so agentctl and people see
 * the same messages whichever C library the shim was built with. */

/** glibc's message for `error` where musl's differs for an errno the shim's system calls can
 * return (I/O, memory, file names, links, quotas); strerror(error) otherwise. */
const char* shim_error_text(int error);
