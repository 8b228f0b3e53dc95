/* outbox_dispatch.c - the ready-made outbox handler: decode the row by its
 * type name through the modules installed on the bus, then handle it. */
#include <stdlib.h>
#include <string.h>
#include <msgbus/outbox.h>
#include <msgbus/trace.h>
#include <msgbus/value.h>

/* The row's message is handled in the row's flow and trace, as a consumer
 * elsewhere would handle it (msgbus_trace(3)). */
static void continue_trace(msgbus_bus *bus, const msgbus_outbox_row *row)
{
    json_t *meta = row->meta ? json_loads(row->meta, 0, NULL) : NULL;
    msgbus_trace_in in = { 0 };
    in.message_id = row->id;
    in.correlation_id = json_string_value(json_object_get(meta, MSGBUS_META_CORRELATION_ID));
    in.causation_id = json_string_value(json_object_get(meta, MSGBUS_META_CAUSATION_ID));
    in.traceparent = json_string_value(json_object_get(meta, MSGBUS_META_TRACEPARENT));
    in.tracestate = json_string_value(json_object_get(meta, MSGBUS_META_TRACESTATE));
    /* A row whose trace context is damaged still goes: in a new trace. */
    msgbus_bus_set_next_trace(bus, &in, NULL);
    json_decref(meta);
}

int msgbus_outbox_dispatch(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                           msgbus_error *err)
{
    (void)userdata;
    if (!bus || !row || !row->type || !row->payload)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox dispatch: no bus or row");
    const msgbus_type *type = msgbus_bus_find_type(bus, row->type);
    if (!type)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL,
                                "row %s: type %s is not in any module installed on the bus",
                                row->id, row->type);
    void *msg = msgbus_malloc(type->size);
    if (!msg)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "row %s: out of memory", row->id);
    msgbus_error derr;
    msgbus_error_clear(&derr);
    int rc = msgbus_value_decode(type, row->payload, strlen(row->payload), msg, &derr);
    if (rc < 0) {
        msgbus_error_set(err, rc, derr.path, "row %s: bad payload for %s: %s", row->id, row->type,
                         derr.text);
    } else {
        continue_trace(bus, row);
        rc = msgbus_handle(bus, (const msgbus_msg *)msg, NULL, err);
    }
    msgbus_value_clear(type, msg);
    msgbus_free(msg);
    return rc;
}
