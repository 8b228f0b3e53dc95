/* handlers.c - the handlers orders.msg declares, for the outbox demo.  The
 * bus's userdata is the demo's sqlite3 connection: notify_customer writes
 * to it, inside the relay's transaction, so its effect commits together
 * with the outbox row being marked processed - exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "orders.msg.h"

int shop_orders_process_order(msgbus_ctx *ctx, const shop_orders_ProcessOrder *msg)
{
    if (strcmp(msg->customer, "nobody") == 0)
        return msgbus_ctx_fail(ctx, MSGBUS_EHANDLER, "unknown customer %s", msg->customer);
    if (msg->n_items == 0) {
        shop_orders_OrderRejected rejected;
        shop_orders_OrderRejected_init(&rejected);
        rejected.order_id = msg->order_id;
        rejected.reason = malloc(sizeof "no items");
        if (!rejected.reason)
            return MSGBUS_ENOMEM;
        strcpy(rejected.reason, "no items");
        return shop_orders_process_order_emit_OrderRejected(ctx, &rejected);
    }
    shop_orders_OrderProcessed processed;
    shop_orders_OrderProcessed_init(&processed);
    processed.order_id = msg->order_id;
    processed.status = SHOP_ORDERS_ORDER_STATUS_COMPLETED;
    processed.at.seconds = 1767225600;
    return shop_orders_process_order_emit_OrderProcessed(ctx, &processed);
}

int shop_orders_notify_customer(msgbus_ctx *ctx, const shop_orders_OrderProcessed *msg)
{
    sqlite3 *db = msgbus_ctx_userdata(ctx);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO notifications (order_id, text) VALUES (?1, ?2)", -1,
                           &st, NULL) != SQLITE_OK)
        return msgbus_ctx_fail(ctx, MSGBUS_EIO, "%s", sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, msg->order_id);
    sqlite3_bind_text(st, 2, "your order is on its way", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return msgbus_ctx_fail(ctx, MSGBUS_EIO, "%s", sqlite3_errmsg(db));
    printf("    notify_customer: order %lld is %s, customer notified\n",
           (long long)msg->order_id, shop_orders_OrderStatus_name(msg->status));
    return 0;
}

int shop_orders_audit_rejection(msgbus_ctx *ctx, const shop_orders_OrderRejected *msg)
{
    (void)ctx;
    printf("    audit_rejection: order %lld rejected: %s\n", (long long)msg->order_id, msg->reason);
    return 0;
}
