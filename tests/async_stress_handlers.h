/* async_stress_handlers.h - the handlers of the async stress tests
 * (test_async_stress.c, test_async_batch_stress.c): the command's handler
 * emits the event with the same n, and every handler counts its calls by
 * message number n.  Define MESSAGES before including it. */
#ifndef ASYNC_STRESS_HANDLERS_H
#define ASYNC_STRESS_HANDLERS_H

#include "async_test.msg.h"  /* generated from tests/schemas/async_test.msg */

static unsigned char work_runs[MESSAGES];      /* calls of each handler, */
static unsigned char step_a_runs[MESSAGES];    /* by message number */
static unsigned char step_b_runs[MESSAGES];

static void count(unsigned char *runs, int64_t n)
{
    __atomic_add_fetch(&runs[n], 1, __ATOMIC_RELAXED);
}

static int on_work(msgbus_ctx *ctx, const msgbus_msg *m)
{
    const at_Work *w = (const at_Work *)(const void *)m;
    at_Step s;
    count(work_runs, w->n);
    msgbus_value_init(&at_Step_type, &s);
    s.n = w->n;
    return msgbus_emit(ctx, &s.base);
}

static int on_step_a(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    count(step_a_runs, ((const at_Step *)(const void *)m)->n);
    return 0;
}

static int on_step_b(msgbus_ctx *ctx, const msgbus_msg *m)
{
    (void)ctx;
    count(step_b_runs, ((const at_Step *)(const void *)m)->n);
    return 0;
}

#endif /* ASYNC_STRESS_HANDLERS_H */
