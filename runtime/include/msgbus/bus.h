/* msgbus/bus.h - the synchronous bus: dispatch, context, emit, middleware.
 *
 * A bus is used from one thread at a time; different buses are independent.
 * See msgbus(3), msgbus_handle(3), msgbus_ctx(3) and msgbus_use(3). */
#ifndef MSGBUS_BUS_H
#define MSGBUS_BUS_H

#include <stdarg.h>
#include <stdint.h>
#include <jansson.h>
#include <msgbus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msgbus_bus msgbus_bus;
typedef struct msgbus_ctx msgbus_ctx;
typedef struct msgbus_results msgbus_results;

/* Returned by an after hook (msgbus_use) to run a failed handler call again. */
#define MSGBUS_RETRY 2

/* Default number of msgbus_emit calls accepted per msgbus_handle. */
#define MSGBUS_DEFAULT_EMIT_LIMIT 10000

/* ---- the bus ---------------------------------------------------------- */

/* Returns a new bus, or NULL when out of memory.  userdata is borrowed and
 * handed to handlers through msgbus_ctx_userdata(). */
msgbus_bus *msgbus_bus_new(void *userdata);

/* Frees the bus and everything it owns.  NULL is a no-op. */
void msgbus_bus_free(msgbus_bus *bus);

/* Loads the static dispatch table of a generated module (borrowed: it must
 * outlive the bus) and remembers it and its imports for msgbus_bus_find_type.
 * A command gets the module's handler (replacing a previous one); an event
 * gets the module's handlers appended in schema order.  Installing the same
 * module twice is a no-op.  Returns 0, MSGBUS_EINVAL (NULL argument, module
 * for a newer runtime, handler of a record), MSGBUS_ESTATE (inside a
 * handler) or MSGBUS_ENOMEM. */
int msgbus_bus_install(msgbus_bus *bus, const msgbus_module *module, msgbus_error *err);

/* Finds a type by full name in the installed modules; NULL if unknown. */
const msgbus_type *msgbus_bus_find_type(const msgbus_bus *bus, const char *name);

/* Emits accepted per msgbus_handle call before it fails with MSGBUS_ELIMIT. */
void msgbus_bus_set_emit_limit(msgbus_bus *bus, size_t limit);
size_t msgbus_bus_emit_limit(const msgbus_bus *bus);

/* Log levels for the log callback. */
enum {
    MSGBUS_LOG_ERROR = 0,
    MSGBUS_LOG_WARNING = 1,
    MSGBUS_LOG_INFO = 2,
    MSGBUS_LOG_DEBUG = 3
};

/* text is borrowed for the duration of the call. */
typedef void (*msgbus_log_fn)(int level, const char *text, void *userdata);

/* The library prints nothing; it calls fn, if set (NULL disables logging). */
void msgbus_bus_set_log(msgbus_bus *bus, msgbus_log_fn fn, void *userdata);

/* ---- run-time registration (as in the Python API) ------------------- */

/* A handler set at run time.  It may emit any command or event. */
typedef struct msgbus_handler {
    const char *name;        /* for results and logs */
    msgbus_handler_fn fn;
} msgbus_handler;

/* Sets (fn != NULL) or removes (fn == NULL) the handler of a command type.
 * type and fn are borrowed; name is copied.  Returns 0, MSGBUS_EINVAL (NULL
 * bus or type, not a command), MSGBUS_ESTATE (inside handle) or
 * MSGBUS_ENOMEM. */
int msgbus_set_command_handler(msgbus_bus *bus, const msgbus_type *type, const char *name,
                               msgbus_handler_fn fn, msgbus_error *err);

/* Replaces the handlers of an event type by handlers[0..n) (n may be 0).
 * The array is copied and the names too.  Returns 0, MSGBUS_EINVAL (NULL bus
 * or type, not an event, a handler without fn), MSGBUS_ESTATE (inside
 * handle) or MSGBUS_ENOMEM. */
int msgbus_set_event_handlers(msgbus_bus *bus, const msgbus_type *type,
                              const msgbus_handler *handlers, size_t n, msgbus_error *err);

/* Fills *out (may be NULL) with the handler of a command: 0, or
 * MSGBUS_ENOHANDLER.  out->name is borrowed from the bus (valid until it is
 * freed). */
int msgbus_get_command_handler(const msgbus_bus *bus, const msgbus_type *type,
                               msgbus_handler *out);

/* Returns how many handlers an event has and copies up to cap of them to out
 * (may be NULL when cap is 0), in call order.  Names are borrowed. */
size_t msgbus_get_event_handlers(const msgbus_bus *bus, const msgbus_type *type,
                                 msgbus_handler *out, size_t cap);

/* ---- handling -------------------------------------------------------- */

/* Handles msg (borrowed, not modified) and then, breadth first, everything
 * the handlers emit.  results (may be NULL) is reset first and then gets one
 * entry per handler call.  Returns 0, MSGBUS_ENOHANDLER (a command without a
 * handler), the error of a failing command handler, MSGBUS_EEMIT (a command
 * handler emitted a type it did not declare), MSGBUS_ELIMIT (too many
 * emits), MSGBUS_EINVAL (NULL argument, a record), MSGBUS_ESTATE (called
 * from inside a handler) or MSGBUS_ENOMEM. */
int msgbus_handle(msgbus_bus *bus, const msgbus_msg *msg, msgbus_results *results,
                  msgbus_error *err);

/* What happened to one message of a batch. */
typedef struct msgbus_outcome {
    int status;              /* what msgbus_handle returned for it */
    size_t first_result;     /* its entries in the batch's results ... */
    size_t n_results;        /* ... first_result .. first_result + n_results */
    msgbus_error error;      /* details when status != 0 */
} msgbus_outcome;

/* Handles msgs[0..n) one after the other, each like msgbus_handle; a failing
 * message does not stop the batch.  outcomes[0..n) (caller-owned) get one
 * outcome per message, in input order.  results (may be NULL) collects the
 * entries of all messages.  Returns 0 if every message succeeded, else the
 * status of the first failed one (err describes it); before handling any,
 * MSGBUS_EINVAL (NULL argument) or MSGBUS_ESTATE (inside a handler). */
int msgbus_batch_handle(msgbus_bus *bus, const msgbus_msg *const *msgs, size_t n,
                        msgbus_outcome *outcomes, msgbus_results *results,
                        msgbus_error *err);

/* Queues msg to be handled after the current handler, in FIFO order.  The
 * bus takes over what *msg owns: on return, success or not, *msg is left
 * initialized and the caller frees nothing.  Only valid inside a handler.
 * Returns 0, MSGBUS_EEMIT (a static handler emitting a type it did not
 * declare: the call then fails with MSGBUS_EEMIT), MSGBUS_ELIMIT (emit
 * limit reached: handle stops), MSGBUS_ENOMEM, MSGBUS_EINVAL (NULL or
 * untyped msg, a record) or MSGBUS_ESTATE (outside a handler). */
int msgbus_emit(msgbus_ctx *ctx, msgbus_msg *msg);

/* ---- results --------------------------------------------------------- */

/* One handler call. */
typedef struct msgbus_result {
    const msgbus_type *type;     /* type of the message handled */
    size_t seq;                  /* 0: the message given to handle; 1..: emitted, in order */
    uint64_t message_id;         /* id of the message (msgbus_ctx_message_id) */
    const char *handler;         /* borrowed from the bus */
    int status;                  /* 0 or the call's error code */
    json_t *value;               /* set by msgbus_ctx_set_result or NULL; borrowed */
    const char *error;           /* error text, "" on success; borrowed */
} msgbus_result;

/* Returns a new, empty results object, or NULL when out of memory. */
msgbus_results *msgbus_results_new(void);
void msgbus_results_free(msgbus_results *results);

/* Drops all entries (their values are released) and keeps the storage. */
void msgbus_results_reset(msgbus_results *results);

size_t msgbus_results_count(const msgbus_results *results);

/* Entry i, or NULL if out of range.  Borrowed: valid until the next reset,
 * handle or free of results. */
const msgbus_result *msgbus_results_get(const msgbus_results *results, size_t i);

/* Number of entries whose status is not 0. */
size_t msgbus_results_failed(const msgbus_results *results);

/* ---- the handler's context ------------------------------------------ */

/* The userdata given to msgbus_bus_new (borrowed). */
void *msgbus_ctx_userdata(const msgbus_ctx *ctx);
msgbus_bus *msgbus_ctx_bus(const msgbus_ctx *ctx);

/* The message being handled (borrowed, valid during the call). */
const msgbus_msg *msgbus_ctx_message(const msgbus_ctx *ctx);

/* Name of the handler being called (borrowed). */
const char *msgbus_ctx_handler_name(const msgbus_ctx *ctx);

/* Ids: each message handled gets a new id (per bus, counting from 1).  The
 * correlation id is the id of the message given to msgbus_handle and is
 * inherited by everything emitted from it; the causation id is the id of the
 * message whose handler emitted this one (0 for the first message). */
uint64_t msgbus_ctx_message_id(const msgbus_ctx *ctx);
uint64_t msgbus_ctx_correlation_id(const msgbus_ctx *ctx);
uint64_t msgbus_ctx_causation_id(const msgbus_ctx *ctx);

/* 0 for the message given to handle, then 1, 2 ... in emit order. */
size_t msgbus_ctx_sequence(const msgbus_ctx *ctx);

/* 1 on the first call of a handler, 2 on its first retry ... */
unsigned msgbus_ctx_attempt(const msgbus_ctx *ctx);

/* Key/value context shared by the handlers of one msgbus_handle call and
 * emptied when it returns.  key is copied; value is moved in: free_fn (may
 * be NULL) is called on it when the key is replaced or the context emptied,
 * or at once when this fails.  Returns 0, MSGBUS_EINVAL (no key) or
 * MSGBUS_ENOMEM. */
int msgbus_ctx_set(msgbus_ctx *ctx, const char *key, void *value, void (*free_fn)(void *));

/* The value for key (borrowed), or NULL. */
void *msgbus_ctx_get(const msgbus_ctx *ctx, const char *key);

/* Attaches a result value to the current handler call; steals the reference
 * (a previous value of this call is released).  Ends up in msgbus_result. */
void msgbus_ctx_set_result(msgbus_ctx *ctx, json_t *value);

/* Records why the current handler call fails and returns code, so a handler
 * can `return msgbus_ctx_fail(ctx, code, "out of %s", item);`. */
int msgbus_ctx_fail(msgbus_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int msgbus_ctx_failv(msgbus_ctx *ctx, int code, const char *fmt, va_list ap);

/* ---- middleware ------------------------------------------------------ */

/* Called before each handler call.  Returning non-zero vetoes the call,
 * which then fails with that code (use msgbus_ctx_fail for a text). */
typedef int (*msgbus_before_fn)(msgbus_ctx *ctx, const msgbus_msg *msg, void *userdata);

/* Called after each handler call (also after a veto) with its status and
 * duration.  Returns the status to record (usually status itself), or
 * MSGBUS_RETRY to run a failed call again; messages emitted by a failed
 * call are dropped. */
typedef int (*msgbus_after_fn)(msgbus_ctx *ctx, const msgbus_msg *msg, int status,
                               uint64_t elapsed_ns, void *userdata);

/* Adds a middleware; befores run in the order added, afters in reverse.
 * Either hook may be NULL, not both; userdata is borrowed.  Returns 0,
 * MSGBUS_EINVAL (no bus, or no hook), MSGBUS_ESTATE (inside a handler) or
 * MSGBUS_ENOMEM. */
int msgbus_use(msgbus_bus *bus, msgbus_before_fn before, msgbus_after_fn after,
               void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_BUS_H */
