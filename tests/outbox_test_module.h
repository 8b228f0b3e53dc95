/* outbox_test_module.h - a module written by hand the way msgbusgen writes
 * one, so the outbox tests do not depend on the compiler.  Package "ot":
 *
 *   command Ship    { order_id: int64; label: string; }
 *   event   Shipped { order_id: int64; }
 *   handler ship(Ship);
 *
 * The test defines ot_ship; the one file that defines OT_DEFINE_MODULE
 * before including this header holds ot_module. */
#ifndef OUTBOX_TEST_MODULE_H
#define OUTBOX_TEST_MODULE_H

#include <stddef.h>
#include <msgbus/msgbus.h>

typedef struct ot_Ship { msgbus_msg base; int64_t order_id; char *label; } ot_Ship;
typedef struct ot_Shipped { msgbus_msg base; int64_t order_id; } ot_Shipped;

static const msgbus_field ot_Ship_fields[] = {
    { .name = "order_id", .scalar = MSGBUS_INT64, .offset = offsetof(ot_Ship, order_id) },
    { .name = "label", .scalar = MSGBUS_STRING, .offset = offsetof(ot_Ship, label) },
};
static const msgbus_field ot_Shipped_fields[] = {
    { .name = "order_id", .scalar = MSGBUS_INT64, .offset = offsetof(ot_Shipped, order_id) },
};

extern const msgbus_module ot_module;

static const msgbus_type ot_Ship_type = {
    "ot.Ship", MSGBUS_KIND_COMMAND, sizeof(ot_Ship), 2, ot_Ship_fields, 0, &ot_module };
static const msgbus_type ot_Shipped_type = {
    "ot.Shipped", MSGBUS_KIND_EVENT, sizeof(ot_Shipped), 1, ot_Shipped_fields, 1, &ot_module };

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg);

#ifdef OT_DEFINE_MODULE
static int ot_ship_trampoline(msgbus_ctx *ctx, const msgbus_msg *msg)
{
    return ot_ship(ctx, (const ot_Ship *)(const void *)msg);
}

static const msgbus_type *const ot_types[] = { &ot_Ship_type, &ot_Shipped_type };
static const msgbus_handler_desc ot_handlers[] = {
    { "ot.ship", &ot_Ship_type, ot_ship_trampoline, 0, NULL },
};
const msgbus_module ot_module = {
    MSGBUS_VERSION_NUMBER, "ot", "outbox_test.msg", 2, ot_types, 0, NULL,
    1, ot_handlers, 0, NULL, 0, NULL };
#endif

#endif /* OUTBOX_TEST_MODULE_H */
