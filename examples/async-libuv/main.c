/* main.c - the async bus in a libuv loop: a uv_poll_t watches
 * msgbus_async_fd and dispatches the completion callbacks on the loop's
 * thread.  The handlers of examples/async-poll/fetch.msg run on the
 * workers; the two Fetched handlers run concurrently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "fetch.msg.h"

static int fetched;

static char *copy_text(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    return copy ? strcpy(copy, s) : NULL;
}

int demo_fetch(msgbus_ctx *ctx, const demo_Fetch *msg)
{
    demo_Fetched done;
    demo_Fetched_init(&done);
    done.url = copy_text(msg->url);
    done.bytes = (int64_t)strlen(msg->url) * 100;
    return demo_fetch_emit_Fetched(ctx, &done);
}

int demo_log_fetch(msgbus_ctx *ctx, const demo_Fetched *msg)
{
    (void)ctx;
    (void)msg;
    return 0;
}

int demo_count_bytes(msgbus_ctx *ctx, const demo_Fetched *msg)
{
    msgbus_ctx_set_result(ctx, json_integer(msg->bytes));
    return 0;
}

static void on_done(msgbus_async *abus, int status, const msgbus_results *results,
                    const msgbus_error *err, void *userdata)
{
    (void)abus;
    if (status != 0)
        printf("%s: failed: %s\n", (const char *)userdata, err->text);
    else
        printf("%s: %zu handler calls\n", (const char *)userdata,
               msgbus_results_count(results));
    fetched += status == 0;
}

/* The descriptor is readable: run the callbacks; stop when all are in. */
static void on_readable(uv_poll_t *watcher, int status, int events)
{
    msgbus_async *abus = watcher->data;
    (void)events;
    if (status == 0)
        msgbus_async_dispatch(abus);
    if (status != 0 || msgbus_async_pending(abus) == 0)
        uv_poll_stop(watcher);
}

int main(void)
{
    static const char *urls[] = { "http://a.example/", "http://b.example/index.html" };
    const size_t n = sizeof urls / sizeof urls[0];
    uv_loop_t *loop = uv_default_loop();
    msgbus_bus *bus = msgbus_bus_new(NULL);
    msgbus_async *abus;
    uv_poll_t watcher;
    size_t i;
    if (bus == NULL || msgbus_bus_install(bus, &demo_module, NULL) != 0)
        return 1;
    abus = msgbus_async_new(bus, 2, NULL);
    if (abus == NULL)
        return 1;
    for (i = 0; i < n; i++) {
        demo_Fetch f;
        demo_Fetch_init(&f);
        f.url = (char *)urls[i];    /* borrowed: handle copies the message */
        if (msgbus_async_handle(abus, &f.base, on_done, (void *)urls[i]) != 0)
            return 1;
    }
    uv_poll_init(loop, &watcher, msgbus_async_fd(abus));
    watcher.data = abus;
    uv_poll_start(&watcher, UV_READABLE, on_readable);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&watcher, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
    printf("%d of %zu fetched\n", fetched, n);
    return fetched == (int)n ? 0 : 1;
}
