/* test_events.c - the event hook and the two printed forms of an event:
 * one line of text and JSON (NDJSON). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <msgbus/msgbus.h>
#include <msgbus/events.h>
#include "event_log.h"

START_TEST(kinds_have_stable_names)
{
    ck_assert_str_eq(msgbus_event_kind_name(MSGBUS_EVENT_HANDLER_FAILED), "handler.failed");
    ck_assert_str_eq(msgbus_event_kind_name(MSGBUS_EVENT_RETRY_SCHEDULED), "retry.scheduled");
    ck_assert_str_eq(msgbus_event_kind_name(MSGBUS_EVENT_INBOX_DUPLICATE), "inbox.duplicate");
    ck_assert_str_eq(msgbus_event_kind_name(MSGBUS_EVENT_CONNECTION_RESTORED),
                     "connection.restored");
    ck_assert_str_eq(msgbus_event_kind_name((msgbus_event_kind)999), "unknown");
    ck_assert_int_eq(MSGBUS_EVENT_HANDLER_FAILED, 1);
    ck_assert_int_eq(MSGBUS_EVENT_CONNECTION_RESTORED, 13);
}
END_TEST

START_TEST(a_line_escapes_what_would_break_it)
{
    msgbus_event ev = { 0 };
    ev.kind = MSGBUS_EVENT_RETRY_SCHEDULED;
    ev.time_ms = 1714564800250;                       /* 2024-05-01T12:00:00.250Z */
    ev.source = "outbox";
    ev.row_id = "r-1";
    ev.attempt = 2;
    ev.delay_ms = 1500;
    ev.error = "line one\nsaid \"no\" = \\ \x01";
    char line[512];
    int n = msgbus_event_format(&ev, line, sizeof line);
    ck_assert_str_eq(line, "2024-05-01T12:00:00.250Z retry.scheduled source=outbox row_id=r-1"
                           " attempt=2 delay_ms=1500"
                           " error=\"line one\\nsaid \\\"no\\\" = \\\\ \\x01\"");
    ck_assert_int_eq(n, (int)strlen(line));
    ck_assert_ptr_null(strchr(line, '\n'));
    /* Truncated like snprintf: the whole length is returned. */
    char small[16];
    ck_assert_int_eq(msgbus_event_format(&ev, small, sizeof small), n);
    ck_assert_str_eq(small, "2024-05-01T12:0");
    ck_assert_int_eq(msgbus_event_format(&ev, NULL, 0), n);
    ck_assert_int_eq(msgbus_event_format(NULL, line, sizeof line), MSGBUS_EINVAL);

    msgbus_event batch = { 0 };
    batch.kind = MSGBUS_EVENT_BATCH_DONE;
    batch.time_ms = 1714564800000;
    batch.counts.claimed = 3;
    batch.counts.processed = 2;
    batch.counts.failed = 1;
    msgbus_event_format(&batch, line, sizeof line);
    ck_assert_str_eq(line, "2024-05-01T12:00:00Z batch.done claimed=3 processed=2 failed=1"
                           " dead_lettered=0 reclaimed=0");
}
END_TEST

START_TEST(json_has_the_fields_that_are_set)
{
    msgbus_event ev = { 0 };
    ev.kind = MSGBUS_EVENT_CONSUMER_NAK;
    ev.time_ms = 1714564800250;
    ev.message_id = "e-1";
    ev.type = "shop.OrderPlaced";
    ev.attempt = 1;
    ev.delay_ms = 50;
    ev.error = "bad\nthing";
    ev.code = MSGBUS_EHANDLER;
    json_t *o = msgbus_event_to_json(&ev);
    ck_assert_ptr_nonnull(o);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(text, "{\"event\":\"consumer.nak\",\"time\":\"2024-05-01T12:00:00.250Z\","
                           "\"message_id\":\"e-1\",\"type\":\"shop.OrderPlaced\",\"attempt\":1,"
                           "\"delay_ms\":50,\"code\":-8,\"error\":\"bad\\nthing\"}");
    free(text);
    json_decref(o);
    ck_assert_ptr_null(msgbus_event_to_json(NULL));
}
END_TEST

START_TEST(the_hook_gets_what_is_emitted_with_a_time)
{
    msgbus_bus *bus = msgbus_bus_new(NULL);
    static event_log log;
    memset(&log, 0, sizeof log);
    msgbus_event ev = { 0 };
    ev.kind = MSGBUS_EVENT_CONNECTION_LOST;
    ev.endpoint = "nats://127.0.0.1:1";
    msgbus_emit_event(bus, &ev);                      /* no hook: nothing */
    msgbus_emit_event(NULL, &ev);
    ck_assert(!msgbus_event_hook_set(bus));
    ck_assert_int_eq(msgbus_set_event_hook(NULL, event_log_hook, &log), MSGBUS_EINVAL);
    ck_assert_int_eq(msgbus_set_event_hook(bus, event_log_hook, &log), 0);
    ck_assert(msgbus_event_hook_set(bus));
    int64_t before = msgbus_outbox_now();
    msgbus_emit_event(bus, &ev);
    ck_assert_uint_eq(log.n, 1);
    ck_assert_int_eq(log.items[0].ev.kind, MSGBUS_EVENT_CONNECTION_LOST);
    ck_assert_int_ge(log.items[0].ev.time_ms, before);
    ev.time_ms = 42;
    msgbus_emit_event(bus, &ev);
    ck_assert_int_eq(log.items[1].ev.time_ms, 42);
    msgbus_bus_free(bus);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_add_test(tc, kinds_have_stable_names);
    tcase_add_test(tc, a_line_escapes_what_would_break_it);
    tcase_add_test(tc, json_has_the_fields_that_are_set);
    tcase_add_test(tc, the_hook_gets_what_is_emitted_with_a_time);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
