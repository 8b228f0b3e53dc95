/* policy.c - the dispatch rules both buses apply (msgbus(3),
 * msgbus_async(3)): what an emit may send, a message without handlers,
 * recording a handler call's result, and when a failed call stops the
 * handle.  bus.c and async_job.c call these; neither writes the rules. */
#include <stdio.h>
#include "bus_internal.h"

const char *policy_kind_name(const msgbus_type *type)
{
    return type->kind == MSGBUS_KIND_COMMAND ? "command" : "event";
}

static bool declares(const msgbus_handler_desc *d, const msgbus_type *type)
{
    size_t i;
    for (i = 0; i < d->n_emits; i++)
        if (d->emits[i] == type)
            return true;
    return false;
}

/* Refuses an emit: the message is freed and the handler call will fail. */
int bus_refuse_emit(msgbus_ctx *ctx, msgbus_msg *msg, int code)
{
    msgbus_value_clear(msg->type, msg);
    ctx->refused = code;
    bus_log(ctx->bus, MSGBUS_LOG_ERROR, "%s", ctx->error);
    return code;
}

int policy_check_emit(msgbus_ctx *ctx, msgbus_msg *msg)
{
    const msgbus_type *type = msg->type;
    if (type->kind == MSGBUS_KIND_RECORD) {
        snprintf(ctx->error, sizeof ctx->error, "handler %s emitted %s, which is a record",
                 ctx->handler->name, type->name);
        return bus_refuse_emit(ctx, msg, MSGBUS_EINVAL);
    }
    if (ctx->handler->desc && !declares(ctx->handler->desc, type)) {
        snprintf(ctx->error, sizeof ctx->error,
                 "handler %s emitted %s, which it does not declare in its emits",
                 ctx->handler->name, type->name);
        return bus_refuse_emit(ctx, msg, MSGBUS_EEMIT);
    }
    return 0;
}

int policy_emit_limit(msgbus_ctx *ctx, msgbus_msg *msg, size_t limit)
{
    snprintf(ctx->error, sizeof ctx->error,
             "emit limit reached: %zu messages emitted in one handle (handler %s, %s)",
             limit, ctx->handler->name, msg->type->name);
    return bus_refuse_emit(ctx, msg, MSGBUS_ELIMIT);
}

int policy_no_handler(msgbus_bus *bus, const msgbus_type *type, msgbus_error *err)
{
    if (type->kind == MSGBUS_KIND_COMMAND) {
        bus_log(bus, MSGBUS_LOG_ERROR, "no handler for command %s", type->name);
        return msgbus_error_set(err, MSGBUS_ENOHANDLER, NULL, "no handler for command %s",
                                type->name);
    }
    bus_log(bus, MSGBUS_LOG_INFO, "event %s has no handlers", type->name);
    return 0;
}

int policy_call_over(msgbus_ctx *ctx, int status, bool aborting, msgbus_results *results,
                     msgbus_error *err)
{
    const msgbus_type *type = ctx->msg->type;
    const char *name = ctx->handler->name;
    const char *text = status == 0 ? "" : ctx->error[0] ? ctx->error : msgbus_strerror(status);
    if (results) {
        int rc = results_add(results, type, ctx->seq, ctx->id, name, status, ctx->result,
                             text);
        ctx->result = NULL;
        if (rc != 0)
            return msgbus_error_set(err, rc, NULL, "out of memory recording results");
    }
    if (status == 0)
        return 0;
    bus_log(ctx->bus, MSGBUS_LOG_ERROR, "%s handler %s failed on %s: %s",
            policy_kind_name(type), name, type->name, text);
    /* A command has one handler: its failure is the handle's.  An event's
     * siblings still run, unless the handle must stop (emit limit). */
    if (type->kind == MSGBUS_KIND_COMMAND || aborting)
        return msgbus_error_set(err, status, NULL, "%s handler %s failed on %s: %s",
                                policy_kind_name(type), name, type->name, text);
    return 0;
}
