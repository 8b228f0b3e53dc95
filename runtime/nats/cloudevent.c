/* cloudevent.c - a row as a CloudEvents 1.0 structured JSON event, and the
 * subject it goes to.  The payload is already JSON text written by the
 * library's encoder, so it is embedded as is rather than parsed again. */
#include "nats_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3339 in UTC, by the library's one formatter (a time it cannot
 * represent is left out: the attribute is optional). */
static bool rfc3339(int64_t ms, char out[MSGBUS_TIMESTAMP_TEXT_SIZE])
{
    msgbus_timestamp ts = msgbus_timestamp_from_ms(ms);
    return msgbus_timestamp_to_text(&ts, out) > 0;
}

bool msgbus_nats_extension_name_valid(const char *name)
{
    static const char *const reserved[] = {
        "specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject",
        "time", "data",
    };
    size_t n = 0;
    for (; name[n]; n++)
        if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9')))
            return false;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return false;
    return true;
}

/* The row's meta as extension attributes: each key that is a valid
 * attribute name, with a string, integer or boolean value; other entries
 * (objects, arrays, reals, null) stay in the row only.  msgbus_nats(3). */
static int put_extensions(msgbus_buf *b, const char *meta)
{
    json_t *m = meta ? json_loads(meta, 0, NULL) : NULL;
    const char *key;
    json_t *value;
    int rc = 0;
    json_object_foreach(m, key, value) {
        if (rc < 0)
            break;
        if (!msgbus_nats_extension_name_valid(key))
            continue;
        if (!json_is_string(value) && !json_is_integer(value) && !json_is_boolean(value))
            continue;
        rc = msgbus_buf_append(b, ",", 1);
        if (rc == 0)
            rc = msgbus_json_put_string(b, key);
        if (rc == 0)
            rc = msgbus_buf_append(b, ":", 1);
        if (rc < 0)
            break;
        if (json_is_string(value))
            rc = msgbus_json_put_string(b, json_string_value(value));
        else if (json_is_integer(value))
            rc = msgbus_json_put_int(b, (int64_t)json_integer_value(value));
        else
            rc = json_is_true(value) ? msgbus_buf_append(b, "true", 4)
                                     : msgbus_buf_append(b, "false", 5);
    }
    json_decref(m);
    return rc;
}

int nats_cloudevent_put(msgbus_buf *b, const msgbus_outbox_row *row, const char *source)
{
    static const char head[] = "{\"specversion\":\"1.0\",\"id\":";
    static const char tail[] = ",\"datacontenttype\":\"application/json\",\"data\":";
    char when[MSGBUS_TIMESTAMP_TEXT_SIZE];
    bool has_time = rfc3339(row->created_at, when);
    int rc = msgbus_buf_append(b, head, sizeof head - 1);
    if (rc == 0)
        rc = msgbus_json_put_string(b, row->id);
    if (rc == 0)
        rc = msgbus_buf_append(b, ",\"source\":", 10);
    if (rc == 0)
        rc = msgbus_json_put_string(b, source);
    if (rc == 0)
        rc = msgbus_buf_append(b, ",\"type\":", 8);
    if (rc == 0)
        rc = msgbus_json_put_string(b, row->type);
    if (rc == 0 && has_time) {
        rc = msgbus_buf_append(b, ",\"time\":\"", 9);
        if (rc == 0)
            rc = msgbus_buf_append(b, when, strlen(when));
        if (rc == 0)
            rc = msgbus_buf_append(b, "\"", 1);
    }
    if (rc == 0)
        rc = put_extensions(b, row->meta);
    if (rc == 0)
        rc = msgbus_buf_append(b, tail, sizeof tail - 1);
    /* the payload is JSON written by the library's encoder: embedded as is */
    if (rc == 0)
        rc = msgbus_buf_append(b, row->payload, strlen(row->payload));
    if (rc == 0)
        rc = msgbus_buf_append(b, "}", 1);
    return rc;
}

char *msgbus_nats_cloudevent(const msgbus_outbox_row *row, const char *source)
{
    if (!row || !row->type || !row->payload)
        return NULL;
    if (!source)
        source = "msgbus";
    msgbus_buf b;
    msgbus_buf_init(&b);
    char *text;
    return msgbus_buf_take(&b, nats_cloudevent_put(&b, row, source), &text, NULL) < 0 ? NULL : text;
}

/* The route of type_name in module or the modules it imports (bounded
 * depth: imports cannot cycle, but a bound costs nothing). */
static const char *route_in(const msgbus_module *module, const char *type_name, int depth)
{
    if (!module || depth > 16)
        return NULL;
    for (size_t i = 0; i < module->n_routes; i++)
        if (module->routes[i].type && strcmp(module->routes[i].type->name, type_name) == 0)
            return module->routes[i].subject;
    for (size_t i = 0; i < module->n_imports; i++) {
        const char *s = route_in(module->imports[i], type_name, depth + 1);
        if (s)
            return s;
    }
    return NULL;
}

int msgbus_nats_subject(const msgbus_bus *bus, const char *type_name, const char *prefix,
                        char *out, size_t size)
{
    if (!type_name || !out || size == 0)
        return MSGBUS_EINVAL;
    const msgbus_type *type = bus ? msgbus_bus_find_type(bus, type_name) : NULL;
    const char *route = type ? route_in(type->module, type_name, 0) : NULL;
    int n = snprintf(out, size, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "",
                     route ? route : type_name);
    return n < 0 || (size_t)n >= size ? MSGBUS_ELIMIT : 0;
}
