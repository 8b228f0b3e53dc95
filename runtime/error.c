/* error.c - return codes, msgbus_error and field paths. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

const char *msgbus_strerror(int code)
{
    switch (code) {
    case MSGBUS_OK: return "success";
    case MSGBUS_PENDING: return "pending: the handler will complete later";
    case MSGBUS_EINVAL: return "invalid argument";
    case MSGBUS_ENOMEM: return "out of memory";
    case MSGBUS_ESYNTAX: return "malformed JSON text";
    case MSGBUS_ETYPE: return "JSON does not match the schema";
    case MSGBUS_ERANGE: return "number out of range";
    case MSGBUS_ELIMIT: return "limit exceeded";
    case MSGBUS_ENOHANDLER: return "no handler for command";
    case MSGBUS_EHANDLER: return "handler failed";
    case MSGBUS_EEMIT: return "handler emitted an undeclared type";
    case MSGBUS_ENOTFOUND: return "not found";
    case MSGBUS_EIO: return "storage or network failure";
    case MSGBUS_ESTATE: return "call not valid in this state";
    case MSGBUS_ECANCELED: return "canceled by shutdown";
    case MSGBUS_ENOTSUP: return "operation not supported";
    case MSGBUS_EUNAVAILABLE: return "server or connection unavailable";
    default: return "unknown error";
    }
}

void msgbus_error_clear(msgbus_error *err)
{
    if (!err)
        return;
    /* the fields, not the whole struct: decoders clear it on every call */
    err->code = 0;
    err->text[0] = '\0';
    err->path[0] = '\0';
    err->line = 0;
    err->column = 0;
    err->position = 0;
}

int msgbus_error_setv(msgbus_error *err, int code, const char *path, const char *fmt,
                      va_list ap)
{
    if (!err)
        return code;
    msgbus_error_clear(err);
    err->code = code;
    size_t used = 0;
    if (path && *path) {
        snprintf(err->path, sizeof err->path, "%s", path);
        int n = snprintf(err->text, sizeof err->text, "%s: ", path);
        used = n < 0 ? 0 : (size_t)n < sizeof err->text ? (size_t)n : sizeof err->text - 1;
    }
    vsnprintf(err->text + used, sizeof err->text - used, fmt, ap);
    return code;
}

int msgbus_error_set(msgbus_error *err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msgbus_error_setv(err, code, path, fmt, ap);
    va_end(ap);
    return code;
}

/* Appends text to out[*used..size), keeping it NUL-terminated. */
static void append(char *out, size_t size, size_t *used, const char *text, size_t n)
{
    if (*used + 1 >= size)
        return;
    size_t room = size - 1 - *used;
    if (n > room)
        n = room;
    memcpy(out + *used, text, n);
    *used += n;
    out[*used] = '\0';
}

static void format_frame(const mb_frame *f, char *out, size_t size, size_t *used)
{
    if (!f) {
        append(out, size, used, "$", 1);
        return;
    }
    format_frame(f->up, out, size, used);
    char buf[32];
    switch (f->kind) {
    case MB_FRAME_FIELD:
        append(out, size, used, ".", 1);
        append(out, size, used, f->name, strlen(f->name));
        break;
    case MB_FRAME_INDEX:
        snprintf(buf, sizeof buf, "[%zu]", f->index);
        append(out, size, used, buf, strlen(buf));
        break;
    case MB_FRAME_KEY:
        append(out, size, used, "[\"", 2);
        for (size_t i = 0; i < f->len; i++) {
            unsigned char c = (unsigned char)f->name[i];
            if (c == '"' || c == '\\') {
                buf[0] = '\\';
                buf[1] = (char)c;
                append(out, size, used, buf, 2);
            } else if (c < 0x20) {
                snprintf(buf, sizeof buf, "\\u%04x", c);
                append(out, size, used, buf, 6);
            } else {
                append(out, size, used, (const char *)&c, 1);
            }
        }
        append(out, size, used, "\"]", 2);
        break;
    }
}

void mb_path_format(const mb_frame *at, char *out, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    format_frame(at, out, size, &used);
}

int mb_fail(msgbus_error *err, int code, const mb_frame *at, const char *fmt, ...)
{
    if (!err)
        return code;
    char path[MSGBUS_ERROR_PATH_LENGTH];
    mb_path_format(at, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    msgbus_error_setv(err, code, path, fmt, ap);
    va_end(ap);
    return code;
}
