#pragma once
/* The start time of a process (/proc/PID/stat field 22), the identity agentctl records. */

#include <stdint.h>
#include <sys/types.h>

/** Field 22 of /proc/PID/stat (clock ticks since boot), zombies included (the shim reads its
 * agent's start time even when the agent exited at once); 0 when unreadable. */
uint64_t shim_process_start_time(pid_t pid);
