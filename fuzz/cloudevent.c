/* cloudevent.c - fuzz target: any bytes as the body of a NATS message
 * reaching the consumer, through its CloudEvent decoding (decode_event, a
 * static function of runtime/nats/consumer.c, compiled in here) on a bus
 * that knows schemas/alltypes.msg.  A decoded event must hold a message
 * that encodes and decodes back equal; a refused one an error code and a
 * text; nothing may crash or leak. */
#include "../runtime/nats/consumer.c"
#include "alltypes.msg.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static msgbus_bus *fuzz_bus(void)
{
    static msgbus_bus *bus;
    if (!bus) {
        msgbus_error err;
        bus = msgbus_bus_new(NULL);
        if (!bus || msgbus_bus_install(bus, &test_all_module, &err) != 0)
            abort();
    }
    return bus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > INT32_MAX)
        return 0;
    msgbus_bus *bus = fuzz_bus();
    event ev;
    msgbus_error err;
    msgbus_error_clear(&err);
    int rc = decode_event(bus, (const char *)data, (int)size, &ev, &err);
    if (rc < 0) {
        if (ev.msg || err.code != rc || !err.text[0] || !memchr(err.text, 0, sizeof err.text))
            abort();
        return 0;
    }
    if (rc != 0 || !ev.type || !ev.msg || !ev.id[0])
        abort();
    char *text;
    size_t len;
    if (msgbus_value_encode(ev.type, ev.msg, &text, &len) != 0)
        abort();
    void *back = msgbus_malloc(ev.type->size);
    if (!back || msgbus_value_decode(ev.type, text, len, back, &err) != 0 ||
        !msgbus_value_equal(ev.type, ev.msg, back))
        abort();
    msgbus_value_clear(ev.type, back);
    msgbus_free(back);
    msgbus_free(text);
    event_clear(&ev);
    return 0;
}
