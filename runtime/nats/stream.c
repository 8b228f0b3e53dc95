/* stream.c - NATS errors and stream creation. */
#include "nats_internal.h"

#include <stdlib.h>
#include <string.h>

int nats_fail(natsStatus s, jsErrCode jerr, const char *what, msgbus_error *err)
{
    const char *last = nats_GetLastError(NULL);
    if (jerr)
        return msgbus_error_set(err, MSGBUS_EIO, NULL, "nats: %s: %s (JetStream error %d)", what,
                                last && *last ? last : natsStatus_GetText(s), (int)jerr);
    return msgbus_error_set(err, MSGBUS_EIO, NULL, "nats: %s: %s", what,
                            last && *last ? last : natsStatus_GetText(s));
}

int msgbus_nats_stream_ensure(natsConnection *nc, const char *name, const char *const *subjects,
                              size_t n_subjects, int64_t dup_window_ms, msgbus_error *err)
{
    if (!nc || !name || !subjects || n_subjects == 0)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "nats stream: no connection, name or subjects");
    jsCtx *js = NULL;
    natsStatus s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK)
        return nats_fail(s, 0, "opening JetStream", err);
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    s = js_GetStreamInfo(&si, js, name, NULL, &jerr);
    if (s == NATS_NOT_FOUND) {
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = name;
        cfg.Subjects = (const char **)subjects;
        cfg.SubjectsLen = (int)n_subjects;
        cfg.Storage = js_FileStorage;
        if (dup_window_ms > 0)
            cfg.Duplicates = dup_window_ms * 1000000;   /* nanoseconds */
        jerr = 0;
        s = js_AddStream(&si, js, &cfg, NULL, &jerr);
    }
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    return s == NATS_OK ? 0 : nats_fail(s, jerr, "creating the stream", err);
}
