/* main.c - the orders example: ProcessOrder -> OrderProcessed / OrderRejected
 * on the synchronous bus, with the generated code of schemas/orders.msg. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "orders.msg.h"

static void print_results(const msgbus_results *results)
{
    size_t i;
    for (i = 0; i < msgbus_results_count(results); i++) {
        const msgbus_result *r = msgbus_results_get(results, i);
        char *value = r->value ? json_dumps(r->value, JSON_COMPACT) : NULL;
        printf("  result %zu: #%zu %s -> %s: %s%s%s\n", i, r->seq, r->type->name, r->handler,
               r->status == 0 ? "ok" : r->error, value ? " " : "", value ? value : "");
        free(value);
    }
}

/* Places one order; an order without items is rejected. */
static int place(msgbus_bus *bus, msgbus_results *results, const shop_orders_ProcessOrder *o)
{
    msgbus_error err;
    int rc;
    printf("order %lld:\n", (long long)o->order_id);
    rc = msgbus_handle(bus, &o->base, results, &err);
    if (rc != 0)
        printf("  failed: %s\n", err.text);
    print_results(results);
    return rc;
}

/* Shows the JSON mapping: encode, decode, compare. */
static int round_trip(const shop_orders_ProcessOrder *o)
{
    shop_orders_ProcessOrder back;
    msgbus_error err;
    char *text;
    size_t len;
    int rc = shop_orders_ProcessOrder_encode(o, &text, &len);
    if (rc != 0)
        return rc;
    printf("json: %s\n", text);
    rc = shop_orders_ProcessOrder_decode(text, len, &back, &err);
    free(text);
    if (rc != 0) {
        printf("decode failed: %s\n", err.text);
        return rc;
    }
    printf("decoded back: %s\n", shop_orders_ProcessOrder_equal(o, &back) ? "equal" : "DIFFERENT");
    rc = shop_orders_ProcessOrder_equal(o, &back) ? 0 : MSGBUS_EINVAL;
    shop_orders_ProcessOrder_clear(&back);
    return rc;
}

int main(void)
{
    static char *items[] = { "book", "pen" };
    shop_orders_ProcessOrder order;
    msgbus_bus *bus = msgbus_bus_new(NULL);
    msgbus_results *results = msgbus_results_new();
    msgbus_error err;
    int failures = 0;

    if (bus == NULL || results == NULL || msgbus_bus_install(bus, &shop_orders_module, &err) != 0) {
        fprintf(stderr, "orders: cannot set up the bus\n");
        return 1;
    }

    /* The caller owns order; handle borrows it.  items point at static
     * strings, so the order is not cleared (it owns nothing). */
    shop_orders_ProcessOrder_init(&order);
    order.order_id = 1;
    order.customer = "alice";
    order.n_items = 2;
    order.items = items;
    order.total = 12.5;
    failures += round_trip(&order) != 0;
    failures += place(bus, results, &order) != 0;

    order.order_id = 2;
    order.customer = "bob";
    order.n_items = 0;              /* rejected by process_order */
    order.items = NULL;
    failures += place(bus, results, &order) != 0;

    msgbus_results_free(results);
    msgbus_bus_free(bus);
    return failures ? 1 : 0;
}
