/* main.c - the async bus driven by a poll() loop.
 *
 * demo_fetch does not block a worker on I/O: it defers its call
 * (msgbus_ctx_defer), hands the token to the loop through a pipe and
 * returns MSGBUS_PENDING.  The loop "does the I/O", emits Fetched through
 * the token's context and completes the call; the two Fetched handlers
 * then run concurrently on the workers.  The loop also watches
 * msgbus_async_fd and dispatches the completion callbacks. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fetch.msg.h"

static int io_pipe[2];          /* tokens waiting for the loop */
static int fetched;             /* callbacks that reported success */

static char *copy_text(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    return copy ? strcpy(copy, s) : NULL;
}

int demo_fetch(msgbus_ctx *ctx, const demo_Fetch *msg)
{
    msgbus_token *token = msgbus_ctx_defer(ctx);
    (void)msg;
    /* A pointer is shorter than PIPE_BUF: the write is atomic. */
    if (token == NULL || write(io_pipe[1], &token, sizeof token) != sizeof token)
        return MSGBUS_EIO;
    return MSGBUS_PENDING;
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

/* The loop's side of the I/O: finish one deferred fetch. */
static void finish_io(msgbus_token *token)
{
    msgbus_ctx *ctx = msgbus_token_ctx(token);
    const demo_Fetch *req = (const demo_Fetch *)(const void *)msgbus_ctx_message(ctx);
    demo_Fetched done;
    demo_Fetched_init(&done);
    done.url = copy_text(req->url);
    done.bytes = (int64_t)strlen(req->url) * 100;
    msgbus_complete(token, demo_fetch_emit_Fetched(ctx, &done));
}

static void on_done(msgbus_async *abus, int status, const msgbus_results *results,
                    const msgbus_error *err, void *userdata)
{
    const msgbus_result *last = msgbus_results_get(results, msgbus_results_count(results) - 1);
    (void)abus;
    if (status != 0) {
        printf("%s: failed: %s\n", (const char *)userdata, err->text);
        return;
    }
    printf("%s: %zu handler calls, %lld bytes\n", (const char *)userdata,
           msgbus_results_count(results), (long long)json_integer_value(last->value));
    fetched++;
}

int main(void)
{
    static const char *urls[] = { "http://a.example/", "http://b.example/index.html",
                                  "http://c.example/x" };
    const size_t n = sizeof urls / sizeof urls[0];
    msgbus_error err;
    msgbus_bus *bus = msgbus_bus_new(NULL);
    msgbus_async *abus;
    size_t i;
    if (bus == NULL || pipe(io_pipe) != 0 || msgbus_bus_install(bus, &demo_module, &err) != 0)
        return 1;
    abus = msgbus_async_new(bus, 2, &err);
    if (abus == NULL) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    for (i = 0; i < n; i++) {
        demo_Fetch f;
        demo_Fetch_init(&f);
        f.url = (char *)urls[i];    /* borrowed: handle copies the message */
        if (msgbus_async_handle(abus, &f.base, on_done, (void *)urls[i]) != 0)
            return 1;
    }
    while (msgbus_async_pending(abus) > 0) {
        struct pollfd fds[2] = { { msgbus_async_fd(abus), POLLIN, 0 },
                                 { io_pipe[0], POLLIN, 0 } };
        if (poll(fds, 2, 5000) <= 0)
            return 1;
        if (fds[0].revents & POLLIN)
            msgbus_async_dispatch(abus);
        if (fds[1].revents & POLLIN) {
            msgbus_token *token;
            if (read(io_pipe[0], &token, sizeof token) == sizeof token)
                finish_io(token);
        }
    }
    msgbus_async_free(abus);
    msgbus_bus_free(bus);
    close(io_pipe[0]);
    close(io_pipe[1]);
    printf("%d of %zu fetched\n", fetched, n);
    return fetched == (int)n ? 0 : 1;
}
