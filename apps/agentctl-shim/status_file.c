#include "status_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error_text.h"

void shim_status_init(ShimStatus* status) {
    memset(status, 0, sizeof *status);
    status->exit_status = -1;
    status->signal = -1;
    status->last_exit_status = -1;
    status->restart_policy = "no";
}

void shim_status_add_exit(ShimStatus* status, const ShimExitRecord* exit) {
    if (status->history_size == SHIM_HISTORY_KEPT) {
        memmove(status->history, status->history + 1, (SHIM_HISTORY_KEPT - 1) * sizeof status->history[0]);
        status->history_size -= 1;
    }
    status->history[status->history_size++] = *exit;
}

ShimExitRecord* shim_status_last_exit(ShimStatus* status) {
    return status->history_size > 0 ? &status->history[status->history_size - 1] : NULL;
}

static void json_string(TextBuffer* out, const char* text) {
    text_append(out, "\"", 1);
    for (const unsigned char* c = (const unsigned char*)text; *c; ++c) {
        switch (*c) {
            case '"': text_append(out, "\\\"", 2); break;
            case '\\': text_append(out, "\\\\", 2); break;
            case '\n': text_append(out, "\\n", 2); break;
            case '\r': text_append(out, "\\r", 2); break;
            case '\t': text_append(out, "\\t", 2); break;
            default:
                if (*c < 0x20 || *c == 0x7f) text_printf(out, "\\u%04x", *c);
                else text_append(out, (const char*)c, 1);
        }
    }
    text_append(out, "\"", 1);
}

static void field_string(TextBuffer* out, const char* name, const char* text) {
    text_printf(out, ",\"%s\":", name);
    if (text[0]) json_string(out, text);
    else text_puts(out, "null");
}

static void field_int(TextBuffer* out, const char* name, int value) {
    if (value >= 0) text_printf(out, ",\"%s\":%d", name, value);
    else text_printf(out, ",\"%s\":null", name);
}

bool shim_status_json(const ShimStatus* status, TextBuffer* out) {
    const char* state = status->restarting ? "restarting" : (status->exited ? "exited" : "running");
    text_printf(out, "{\"version\":1,\"shim_pid\":%ld,\"shim_start\":%llu,\"agent_pid\":%ld,\"agent_start\":%llu",
                status->shim_pid, (unsigned long long)status->shim_start, status->agent_pid,
                (unsigned long long)status->agent_start);
    text_printf(out, ",\"state\":\"%s\"", state);
    field_string(out, "started_at", status->started_at);
    field_int(out, "exit_status", status->exit_status);
    field_int(out, "signal", status->signal);
    field_string(out, "exited_at", status->exited_at);
    field_string(out, "error", text_str(&status->error));
    text_puts(out, ",\"restart_policy\":");
    json_string(out, status->restart_policy);
    text_printf(out, ",\"restarts\":%d,\"failed\":%s", status->restarts, status->failed ? "true" : "false");
    field_string(out, "next_restart_at", status->next_restart_at);
    field_int(out, "last_exit_status", status->last_exit_status);
    field_string(out, "last_exited_at", status->last_exited_at);
    text_puts(out, ",\"history\":[");
    for (size_t i = 0; i < status->history_size; ++i) {
        const ShimExitRecord* exit = &status->history[i];
        if (i > 0) text_puts(out, ",");
        text_printf(out, "{\"n\":%d,\"pid\":%ld,\"exit_status\":%d", exit->number, exit->pid, exit->exit_status);
        field_int(out, "signal", exit->signal);
        field_string(out, "exited_at", exit->exited_at);
        text_puts(out, ",\"action\":");
        json_string(out, exit->action);
        field_string(out, "restarted_at", exit->restarted_at);
        if (exit->new_pid > 0) text_printf(out, ",\"new_pid\":%ld}", exit->new_pid);
        else text_puts(out, ",\"new_pid\":null}");
    }
    return text_puts(out, "]}\n");
}

static bool write_all(int fd, const char* data, size_t left) {
    while (left > 0) {
        ssize_t n = write(fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        data += n;
        left -= (size_t)n;
    }
    return true;
}

bool shim_write_status_file(const char* path, const ShimStatus* status, TextBuffer* error) {
    TextBuffer temporary = TEXT_BUFFER_INIT;
    TextBuffer json = TEXT_BUFFER_INIT;
    bool ok = false;
    if (!text_printf(&temporary, "%s.tmp", path) || !shim_status_json(status, &json)) {
        if (error) text_printf(error, "status %s: %s", path, shim_error_text(ENOMEM));
        goto done;
    }
    int fd = open(temporary.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (error) text_printf(error, "status %s: %s", temporary.data, shim_error_text(errno));
        goto done;
    }
    if (!write_all(fd, json.data, json.len)) {
        if (error) text_printf(error, "status %s: %s", temporary.data, shim_error_text(errno));
        close(fd);
        goto done;
    }
    close(fd);
    /* rename() is atomic: a reader sees the old file or the new one, never half of one. */
    if (rename(temporary.data, path) != 0) {
        if (error) text_printf(error, "status %s: %s", path, shim_error_text(errno));
        goto done;
    }
    ok = true;
done:
    text_free(&temporary);
    text_free(&json);
    return ok;
}
