/* bus.c - the synchronous bus: installation, run-time registration, emit,
 * and breadth-first dispatch of a message and everything it causes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus_internal.h"
#include "obs_internal.h"

static int queue_emit(msgbus_ctx *ctx, msgbus_msg *msg);
static const ctx_ops sync_ops = { queue_emit };

msgbus_bus *msgbus_bus_new(void *userdata)
{
    msgbus_bus *bus = msgbus_calloc(1, sizeof *bus);
    if (bus == NULL)
        return NULL;
    bus->userdata = userdata;
    bus->emit_limit = MSGBUS_DEFAULT_EMIT_LIMIT;
    bus->next_id = 1;
    bus->ctx.bus = bus;
    bus->ctx.ops = &sync_ops;
    return bus;
}

void msgbus_bus_free(msgbus_bus *bus)
{
    if (bus == NULL)
        return;
    handler_table_free(&bus->handlers);
    queue_free(&bus->queue);
    ctx_free(&bus->ctx);
    msgbus_free(bus->modules);
    msgbus_free(bus->mw);
    msgbus_free(bus->current);
    obs_free(bus->obs);
    msgbus_free(bus);
}

void msgbus_bus_set_log(msgbus_bus *bus, msgbus_log_fn fn, void *userdata)
{
    bus->log = fn;
    bus->log_userdata = userdata;
}

void msgbus_bus_set_emit_limit(msgbus_bus *bus, size_t limit) { bus->emit_limit = limit; }
size_t msgbus_bus_emit_limit(const msgbus_bus *bus) { return bus->emit_limit; }

void bus_log(msgbus_bus *bus, int level, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    if (bus->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    bus->log(level, text, bus->log_userdata);
}

/* ---- installing generated modules ------------------------------------ */

static bool is_installed(const msgbus_bus *bus, const msgbus_module *m)
{
    size_t i;
    for (i = 0; i < bus->n_modules; i++)
        if (bus->modules[i] == m)
            return true;
    return false;
}

static int remember_module(msgbus_bus *bus, const msgbus_module *m)
{
    size_t i;
    if (is_installed(bus, m))
        return 0;
    if (bus->n_modules == bus->cap_modules) {
        size_t cap = bus->cap_modules ? bus->cap_modules * 2 : 4;
        const msgbus_module **mods = msgbus_realloc((void *)bus->modules, cap * sizeof *mods);
        if (mods == NULL)
            return MSGBUS_ENOMEM;
        bus->modules = mods;
        bus->cap_modules = cap;
    }
    bus->modules[bus->n_modules++] = m;
    for (i = 0; i < m->n_imports; i++)
        if (remember_module(bus, m->imports[i]) != 0)
            return MSGBUS_ENOMEM;
    return 0;
}

int msgbus_bus_install(msgbus_bus *bus, const msgbus_module *module, msgbus_error *err)
{
    size_t i;
    if (bus == NULL || module == NULL)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "msgbus_bus_install: NULL argument");
    if (bus->busy)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL, "cannot install a module during handle");
    if (module->runtime_version > MSGBUS_VERSION_NUMBER)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "module %s needs a newer libmsgbus", module->source);
    if (is_installed(bus, module))
        return 0;
    for (i = 0; i < module->n_handlers; i++) {
        const msgbus_handler_desc *d = &module->handlers[i];
        if (d->input == NULL || d->fn == NULL || d->input->kind == MSGBUS_KIND_RECORD)
            return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                    "handler %s: no command or event to handle", d->name);
    }
    for (i = 0; i < module->n_handlers; i++) {
        const msgbus_handler_desc *d = &module->handlers[i];
        handler_entry e;
        handler_slot *slot = handler_table_slot(&bus->handlers, d->input);
        e.name = d->name;
        e.fn = d->fn;
        e.desc = d;
        if (slot == NULL)
            return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
        if (d->input->kind == MSGBUS_KIND_COMMAND)
            slot->n = 0;                /* a command has exactly one handler */
        if (handler_slot_append(slot, &e) != 0)
            return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    }
    if (remember_module(bus, module) != 0)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    return 0;
}

const msgbus_type *msgbus_bus_find_type(const msgbus_bus *bus, const char *name)
{
    size_t i;
    for (i = 0; bus && name && i < bus->n_modules; i++) {
        const msgbus_type *t = msgbus_module_find_type(bus->modules[i], name);
        if (t)
            return t;
    }
    return NULL;
}

/* ---- run-time registration ------------------------------------------ */

static int check_registration(msgbus_bus *bus, const msgbus_type *type, msgbus_kind kind,
                              msgbus_error *err)
{
    if (bus == NULL || type == NULL)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL bus or type");
    if (bus->busy)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL,
                                "cannot change handlers during handle");
    if (type->kind != kind)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "%s is not %s", type->name,
                                kind == MSGBUS_KIND_COMMAND ? "a command" : "an event");
    return 0;
}

int msgbus_set_command_handler(msgbus_bus *bus, const msgbus_type *type, const char *name,
                               msgbus_handler_fn fn, msgbus_error *err)
{
    handler_slot *slot;
    handler_entry e;
    int rc = check_registration(bus, type, MSGBUS_KIND_COMMAND, err);
    if (rc != 0)
        return rc;
    slot = handler_table_slot(&bus->handlers, type);
    if (slot == NULL)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    if (fn == NULL) {
        slot->n = 0;
        return 0;
    }
    e.name = handler_table_keep_name(&bus->handlers, name ? name : "");
    e.fn = fn;
    e.desc = NULL;
    if (e.name == NULL)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    slot->n = 0;
    return handler_slot_append(slot, &e);    /* cannot fail: cap >= 1 or grows */
}

int msgbus_set_event_handlers(msgbus_bus *bus, const msgbus_type *type,
                              const msgbus_handler *handlers, size_t n, msgbus_error *err)
{
    handler_slot *slot;
    size_t i;
    int rc = check_registration(bus, type, MSGBUS_KIND_EVENT, err);
    if (rc != 0)
        return rc;
    for (i = 0; i < n; i++)
        if (handlers == NULL || handlers[i].fn == NULL)
            return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                    "event handler %zu of %s has no function", i, type->name);
    slot = handler_table_slot(&bus->handlers, type);
    if (slot == NULL)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
    slot->n = 0;
    for (i = 0; i < n; i++) {
        handler_entry e;
        e.name = handler_table_keep_name(&bus->handlers,
                                         handlers[i].name ? handlers[i].name : "");
        e.fn = handlers[i].fn;
        e.desc = NULL;
        if (e.name == NULL || handler_slot_append(slot, &e) != 0) {
            slot->n = 0;
            return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "out of memory");
        }
    }
    return 0;
}

int msgbus_get_command_handler(const msgbus_bus *bus, const msgbus_type *type,
                               msgbus_handler *out)
{
    const handler_slot *slot = bus && type ? handler_table_find(&bus->handlers, type) : NULL;
    if (slot == NULL || slot->n == 0 || type->kind != MSGBUS_KIND_COMMAND)
        return MSGBUS_ENOHANDLER;
    if (out) {
        out->name = slot->items[0].name;
        out->fn = slot->items[0].fn;
    }
    return 0;
}

size_t msgbus_get_event_handlers(const msgbus_bus *bus, const msgbus_type *type,
                                 msgbus_handler *out, size_t cap)
{
    const handler_slot *slot = bus && type ? handler_table_find(&bus->handlers, type) : NULL;
    size_t i;
    if (slot == NULL || type->kind != MSGBUS_KIND_EVENT)
        return 0;
    for (i = 0; out && i < slot->n && i < cap; i++) {
        out[i].name = slot->items[i].name;
        out[i].fn = slot->items[i].fn;
    }
    return slot->n;
}

/* ---- emit ------------------------------------------------------------ */

int msgbus_emit(msgbus_ctx *ctx, msgbus_msg *msg)
{
    if (msg == NULL || msg->type == NULL)
        return MSGBUS_EINVAL;
    if (ctx == NULL || ctx->handler == NULL || ctx->ops == NULL) {
        msgbus_value_clear(msg->type, msg);
        return MSGBUS_ESTATE;
    }
    return ctx->ops->emit(ctx, msg);
}

/* The synchronous bus's emit: into bus->queue, behind the handled message. */
static int queue_emit(msgbus_ctx *ctx, msgbus_msg *msg)
{
    msgbus_bus *bus = ctx->bus;
    const msgbus_type *type = msg->type;
    handler_slot *slot;
    int rc;
    if (!bus->busy) {
        msgbus_value_clear(type, msg);
        return MSGBUS_ESTATE;
    }
    rc = policy_check_emit(ctx, msg);
    if (rc != 0)
        return rc;
    if (bus->emits >= bus->emit_limit) {
        bus->abort_code = MSGBUS_ELIMIT;
        return policy_emit_limit(ctx, msg, bus->emit_limit);
    }
    /* The slot may be new: dispatch keeps no slot pointer across calls. */
    slot = handler_table_find(&bus->handlers, type);
    if (slot == NULL || slot->blank == NULL) {
        slot = handler_table_slot(&bus->handlers, type);
        if (slot == NULL || handler_slot_prepare(slot) != 0)
            slot = NULL;
    }
    if (slot == NULL || queue_push(&bus->queue, msg, bus->next_id, ctx->id, bus->next_seq,
                                   slot->owns_memory) != 0) {
        snprintf(ctx->error, sizeof ctx->error, "out of memory queueing %s", type->name);
        return bus_refuse_emit(ctx, msg, MSGBUS_ENOMEM);
    }
    bus->next_id++;
    bus->next_seq++;
    bus->emits++;
    memcpy(msg, slot->blank, type->size);   /* the bytes moved into the queue */
    return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

int bus_invoke(msgbus_ctx *ctx, const handler_entry *h, const msgbus_msg *msg)
{
    obs_call call;
    msgbus_ctx *outer = trace_call_begin(ctx, &ctx->trace.call);
    obs_call_begin(ctx, &call);
    int status = h->fn(ctx, msg);
    status = ctx->refused ? ctx->refused : status;
    obs_call_end(ctx, h, status, &call);
    trace_call_end(outer);
    return status;
}

void bus_rollback(msgbus_bus *bus, size_t mark, size_t emits, size_t seq)
{
    queue_truncate(&bus->queue, mark);
    bus->emits = emits;
    bus->next_seq = seq;
}

/* One handler call without middleware: the common, fast case. */
static int call_plain(msgbus_bus *bus, msgbus_ctx *ctx, const handler_entry *h,
                      const msgbus_msg *msg)
{
    size_t mark = queue_mark(&bus->queue), emits = bus->emits, seq = bus->next_seq;
    int status;
    ctx->attempt = 1;
    bus_begin_call(ctx);
    status = bus_invoke(ctx, h, msg);
    if (status == 0)
        return 0;
    if (status > 0)
        status = MSGBUS_EHANDLER;       /* e.g. MSGBUS_PENDING: not on a sync bus */
    bus_rollback(bus, mark, emits, seq);
    return status;
}

/* Calls every handler of one message; returns non-zero to stop the handle. */
static int dispatch(msgbus_bus *bus, const msgbus_msg *msg, uint64_t id, uint64_t causation,
                    size_t seq, msgbus_results *results, msgbus_error *err)
{
    const msgbus_type *type = msg->type;
    const handler_slot *slot = handler_table_find(&bus->handlers, type);
    msgbus_ctx *ctx = &bus->ctx;
    /* Not the slot itself: an emit of a new type may move the slots, while
     * the handler array stays (registration is refused during handle). */
    const handler_entry *items = slot ? slot->items : NULL;
    size_t i, n = slot ? slot->n : 0;
    if (n == 0)
        return policy_no_handler(bus, type, err);
    ctx->msg = msg;
    ctx->id = id;
    ctx->causation = causation;
    ctx->seq = seq;
    for (i = 0; i < n; i++) {
        const handler_entry *h = &items[i];
        int status, rc;
        ctx->handler = h;
        status = bus->n_mw ? middleware_call(bus, ctx, h, msg)
                           : call_plain(bus, ctx, h, msg);
        rc = policy_call_over(ctx, status, bus->abort_code != 0, results, err);
        if (rc != 0) {
            ctx->handler = NULL;
            return rc;
        }
    }
    ctx->handler = NULL;
    return 0;
}

/* Makes room for the emitted message being handled; no handler runs now. */
static int reserve_current(msgbus_bus *bus, size_t size)
{
    unsigned char *p;
    if (size <= bus->current_cap)
        return 0;
    p = msgbus_realloc(bus->current, size);
    if (p == NULL)
        return MSGBUS_ENOMEM;
    bus->current = p;
    bus->current_cap = size;
    return 0;
}

static int handle_one(msgbus_bus *bus, const msgbus_msg *msg, msgbus_results *results,
                      msgbus_error *err)
{
    int rc;
    uint64_t root = bus->next_id++;
    if (err)
        msgbus_error_clear(err);
    bus->busy = true;
    bus->emits = 0;
    bus->next_seq = 1;
    bus->abort_code = 0;
    bus->ctx.correlation = root;
    trace_handle_begin(&bus->ctx.trace.flow);
    rc = dispatch(bus, msg, root, 0, 0, results, err);
    while (rc == 0 && !queue_empty(&bus->queue)) {
        queue_entry *e = queue_front(&bus->queue);
        const msgbus_type *type = e->type;
        uint64_t id = e->id, causation = e->causation;
        size_t seq = e->seq;
        bool owns = e->owns_memory;
        rc = reserve_current(bus, type->size);
        if (rc != 0) {
            msgbus_error_set(err, rc, NULL, "out of memory");
            break;
        }
        /* Move the message out, so handlers may grow the queue under it. */
        memcpy(bus->current, queue_entry_msg(e), type->size);
        queue_pop(&bus->queue);
        rc = dispatch(bus, (const msgbus_msg *)(void *)bus->current, id, causation, seq,
                      results, err);
        if (owns)
            msgbus_value_clear(type, bus->current);
    }
    if (!queue_empty(&bus->queue))
        queue_truncate(&bus->queue, 0); /* what a failed handle left unhandled */
    if (bus->ctx.n_pairs)
        ctx_clear_pairs(&bus->ctx);
    bus->ctx.msg = NULL;
    bus->busy = false;
    return rc;
}

static int check_handle(msgbus_bus *bus, const msgbus_msg *msg, msgbus_error *err)
{
    if (bus == NULL || msg == NULL || msg->type == NULL)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL bus or message");
    if (bus->busy)
        return msgbus_error_set(err, MSGBUS_ESTATE,
                                NULL, "msgbus_handle called from inside a handler");
    if (msg->type->kind == MSGBUS_KIND_RECORD)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "%s is a record, not a message",
                                msg->type->name);
    return 0;
}

int msgbus_handle(msgbus_bus *bus, const msgbus_msg *msg, msgbus_results *results,
                  msgbus_error *err)
{
    int rc = check_handle(bus, msg, err);
    if (rc != 0)
        return rc;
    msgbus_results_reset(results);
    return handle_one(bus, msg, results, err);
}

int msgbus_batch_handle(msgbus_bus *bus, const msgbus_msg *const *msgs, size_t n,
                        msgbus_outcome *outcomes, msgbus_results *results,
                        msgbus_error *err)
{
    size_t i;
    int first = 0;
    if (bus == NULL || (n > 0 && (msgs == NULL || outcomes == NULL)))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "NULL bus, messages or outcomes");
    if (bus->busy)
        return msgbus_error_set(err, MSGBUS_ESTATE, NULL,
                                "msgbus_batch_handle called from inside a handler");
    msgbus_error_clear(err);
    msgbus_results_reset(results);
    for (i = 0; i < n; i++) {
        msgbus_outcome *o = &outcomes[i];
        o->first_result = msgbus_results_count(results);
        o->status = check_handle(bus, msgs[i], &o->error);
        if (o->status == 0)
            o->status = handle_one(bus, msgs[i], results, &o->error);
        o->n_results = msgbus_results_count(results) - o->first_result;
        if (o->status != 0 && first == 0)
            first = msgbus_error_set(err, o->status, NULL, "message %zu: %s", i, o->error.text);
    }
    return first;
}
