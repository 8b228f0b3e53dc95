/* outbox_dispatch.c - the ready-made outbox handler: decode the row by its
 * type name through the modules installed on the bus, then handle it. */
#include <stdlib.h>
#include <string.h>
#include <msgbus/outbox.h>
#include <msgbus/value.h>

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
        rc = msgbus_handle(bus, (const msgbus_msg *)msg, NULL, err);
    }
    msgbus_value_clear(type, msg);
    msgbus_free(msg);
    return rc;
}
