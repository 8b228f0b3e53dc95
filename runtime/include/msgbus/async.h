/* msgbus/async.h - the async bus: a worker pool over a bus.
 *
 * msgbus_async_handle returns at once; worker threads run the handlers (the
 * handlers of one event concurrently) and the caller learns the outcome
 * through a callback that runs on its own thread when it calls
 * msgbus_async_dispatch.  A file descriptor becomes readable when such
 * callbacks are waiting, so any event loop can drive the bus.  A handler may
 * return MSGBUS_PENDING and finish later, from any thread, with
 * msgbus_complete.  See msgbus_async(3). */
#ifndef MSGBUS_ASYNC_H
#define MSGBUS_ASYNC_H

#include <stddef.h>
#include <msgbus/types.h>
#include <msgbus/bus.h>
#include <msgbus/outbox.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msgbus_async msgbus_async;
typedef struct msgbus_token msgbus_token;

/* The outcome of one msgbus_async_handle, as msgbus_handle would return it:
 * status, one result per handler call (borrowed, valid during the callback)
 * and err (borrowed, details when status != 0). */
typedef void (*msgbus_async_done_fn)(msgbus_async *abus, int status,
                                     const msgbus_results *results,
                                     const msgbus_error *err, void *userdata);

/* The outcome of a batch: outcomes[0..n) in input order and the results of
 * every message (both borrowed, valid during the callback); status is 0 or
 * the status of the first failed message, which err describes. */
typedef void (*msgbus_async_batch_fn)(msgbus_async *abus, int status,
                                      const msgbus_outcome *outcomes, size_t n,
                                      const msgbus_results *results,
                                      const msgbus_error *err, void *userdata);

/* The outcome of msgbus_async_process_outbox: what msgbus_process_outbox
 * returned and its stats (borrowed). */
typedef void (*msgbus_async_outbox_fn)(msgbus_async *abus, int status,
                                       const msgbus_outbox_stats *stats,
                                       const msgbus_error *err, void *userdata);

/* Returns a new async bus running `workers` threads (>= 1) over bus, which
 * is borrowed: it must outlive the async bus, and while the async bus
 * exists its handlers, middleware and modules must not change and
 * msgbus_handle must not be called on it.  NULL with err filled on
 * MSGBUS_EINVAL (workers == 0, bus NULL), MSGBUS_ENOMEM or MSGBUS_EIO (no
 * thread or file descriptor). */
msgbus_async *msgbus_async_new(msgbus_bus *bus, unsigned workers, msgbus_error *err);

/* How msgbus_async_shutdown ends the work in flight. */
typedef enum msgbus_async_shutdown_mode {
    /* Run everything already accepted to the end. */
    MSGBUS_ASYNC_DRAIN = 0,
    /* Start nothing new: messages not yet started (queued handles, batch
     * members, emitted messages) end with MSGBUS_ECANCELED; handler calls
     * already running, and pending ones, are waited for. */
    MSGBUS_ASYNC_CANCEL = 1
} msgbus_async_shutdown_mode;

/* Refuses new work from then on (MSGBUS_ESTATE), ends the work in flight
 * as mode says, waits for it and runs every remaining callback on the
 * calling thread, then stops the workers.  Every accepted handle thus gets
 * its callback exactly once.  Blocks until every pending token has been
 * completed.  Returns 0, MSGBUS_EINVAL (abus NULL), or MSGBUS_ESTATE when
 * called from a worker or a callback.  Calling it again is a no-op. */
int msgbus_async_shutdown(msgbus_async *abus, msgbus_async_shutdown_mode mode);

/* Shuts down with MSGBUS_ASYNC_DRAIN if that was not done, then frees the
 * async bus (not the bus under it).  NULL is a no-op.  Not from a worker
 * or a callback. */
void msgbus_async_free(msgbus_async *abus);

/* The bus given to msgbus_async_new (borrowed). */
msgbus_bus *msgbus_async_bus(const msgbus_async *abus);

/* ---- handling -------------------------------------------------------- */

/* Queues msg (copied: the caller keeps and frees its own) to be handled
 * like msgbus_handle does: the message, then breadth first, in FIFO order,
 * everything its handlers emit.  The handlers of one message run
 * concurrently on the workers; the next message starts when they all have
 * finished, so emitted messages and results come in the order the
 * synchronous bus would give.  on_done (may be NULL) gets the outcome on
 * the thread that calls msgbus_async_dispatch.  Returns at once: 0,
 * MSGBUS_EINVAL (NULL argument, a record), MSGBUS_ENOMEM, or MSGBUS_ESTATE
 * after shutdown. */
int msgbus_async_handle(msgbus_async *abus, const msgbus_msg *msg,
                        msgbus_async_done_fn on_done, void *userdata);

/* Like msgbus_async_handle, without the copy: the contents of *msg (its
 * strings, lists, ...) move to the bus, which frees them when the handle is
 * over, and *msg is left as an empty value (as msgbus_value_init makes
 * it), free to reuse or clear.  On an error the message is left as it was,
 * still the caller's.  Returns at once: 0, MSGBUS_EINVAL, MSGBUS_ENOMEM,
 * or MSGBUS_ESTATE after shutdown. */
int msgbus_async_handle_move(msgbus_async *abus, msgbus_msg *msg,
                             msgbus_async_done_fn on_done, void *userdata);

/* Handles msgs[0..n) (copied), each like msgbus_async_handle, with at most
 * max_concurrency of them in flight at once; a failing message does not
 * stop the others.  on_done (may be NULL) gets one outcome per message, in
 * input order.  Returns at once: 0, MSGBUS_EINVAL (max_concurrency == 0,
 * NULL msgs with n > 0, a record), MSGBUS_ENOMEM or MSGBUS_ESTATE. */
int msgbus_async_batch_handle(msgbus_async *abus, const msgbus_msg *const *msgs, size_t n,
                              size_t max_concurrency, msgbus_async_batch_fn on_done,
                              void *userdata);

/* Runs msgbus_process_outbox(bus, repo, opts) on a thread of its own; rows
 * that the ready-made msgbus_outbox_dispatch handler takes are handled on
 * the async bus (its workers run their handlers).  repo and opts (may be
 * NULL; its handlers array too) are borrowed until on_done has run, and
 * repo must not be used elsewhere meanwhile.  One relay runs at a time:
 * MSGBUS_ESTATE while the previous one has not delivered its callback.
 * Returns 0, MSGBUS_EINVAL (abus or repo NULL), MSGBUS_ENOMEM, MSGBUS_ESTATE
 * (also after shutdown) or MSGBUS_EIO (no thread). */
int msgbus_async_process_outbox(msgbus_async *abus, msgbus_outbox_repo *repo,
                                const msgbus_outbox_options *opts,
                                msgbus_async_outbox_fn on_done, void *userdata);

/* ---- late completion ------------------------------------------------- */

/* Called by a handler that will finish later: returns the token of this
 * call, then the handler returns MSGBUS_PENDING.  The token's context
 * (msgbus_token_ctx) stays valid until msgbus_complete, so emit, set a
 * result or a failure text through it from whatever thread does the work.
 * NULL outside an async handler call, or if the call already has a token. */
msgbus_token *msgbus_ctx_defer(msgbus_ctx *ctx);

/* The context of the deferred call (borrowed, valid until msgbus_complete). */
msgbus_ctx *msgbus_token_ctx(msgbus_token *token);

/* Finishes a deferred call with status (0 or a negative code); the token
 * is gone afterwards.  Callable once per token, from any thread, also
 * before the handler has returned.  Returns 0, or MSGBUS_EINVAL (NULL). */
int msgbus_complete(msgbus_token *token, int status);

/* ---- completions ----------------------------------------------------- */

/* A file descriptor that is readable while callbacks wait to be
 * dispatched; owned by the async bus (do not read or close it).  -1 for a
 * NULL abus. */
int msgbus_async_fd(const msgbus_async *abus);

/* Runs every waiting callback on the calling thread, in the order their
 * work finished.  Returns how many ran (0 if none), MSGBUS_EINVAL (abus
 * NULL), or MSGBUS_ESTATE when called from a worker or from inside a
 * callback. */
int msgbus_async_dispatch(msgbus_async *abus);

/* Waits up to timeout_ms (-1: no limit, 0: just look) until a callback is
 * waiting, then dispatches like msgbus_async_dispatch.  Returns how many
 * ran (0 on timeout), MSGBUS_EINVAL or MSGBUS_ESTATE, as
 * msgbus_async_dispatch. */
int msgbus_async_wait(msgbus_async *abus, int timeout_ms);

/* Accepted handles, batches and relays whose callback has not run yet. */
size_t msgbus_async_pending(msgbus_async *abus);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_ASYNC_H */
