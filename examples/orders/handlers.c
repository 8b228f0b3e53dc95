/* handlers.c - the three handlers orders.msg declares.  The prototypes and
 * the typed emitters come from the generated orders.msg.h; msgbusgen's
 * dispatch table calls these functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "orders.msg.h"

static char *copy_text(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    return copy ? strcpy(copy, s) : NULL;
}

/* Accepts an order with items and a known customer, rejects the others. */
int shop_orders_process_order(msgbus_ctx *ctx, const shop_orders_ProcessOrder *msg)
{
    printf("  process_order: order %lld for %s, %zu item(s)\n", (long long)msg->order_id,
           msg->customer, msg->n_items);
    if (msg->n_items == 0) {
        shop_orders_OrderRejected rejected;
        shop_orders_OrderRejected_init(&rejected);
        rejected.order_id = msg->order_id;
        rejected.reason = copy_text("no items");
        if (rejected.reason == NULL)
            return MSGBUS_ENOMEM;
        /* The bus takes over rejected.reason: nothing to free here. */
        return shop_orders_process_order_emit_OrderRejected(ctx, &rejected);
    } else {
        shop_orders_OrderProcessed processed;
        shop_orders_OrderProcessed_init(&processed);
        processed.order_id = msg->order_id;
        processed.status = SHOP_ORDERS_ORDER_STATUS_COMPLETED;
        processed.at.seconds = 1767225600;      /* fixed, so the output is stable */
        msgbus_ctx_set_result(ctx, json_pack("{s:I}", "accepted", (json_int_t)msg->order_id));
        return shop_orders_process_order_emit_OrderProcessed(ctx, &processed);
    }
}

int shop_orders_notify_customer(msgbus_ctx *ctx, const shop_orders_OrderProcessed *msg)
{
    printf("  notify_customer: order %lld is %s (message %llu, caused by %llu)\n",
           (long long)msg->order_id, shop_orders_OrderStatus_name(msg->status),
           (unsigned long long)msgbus_ctx_message_id(ctx),
           (unsigned long long)msgbus_ctx_causation_id(ctx));
    return 0;
}

int shop_orders_audit_rejection(msgbus_ctx *ctx, const shop_orders_OrderRejected *msg)
{
    (void)ctx;
    printf("  audit_rejection: order %lld rejected: %s\n", (long long)msg->order_id,
           msg->reason);
    return 0;
}
