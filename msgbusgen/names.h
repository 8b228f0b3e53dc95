/* names.h - how schema names become C names.  Shared by sema (collision and
 * keyword checks) and the emitters, so both agree.  Results are malloc'd. */
#ifndef MSGBUSGEN_NAMES_H
#define MSGBUSGEN_NAMES_H

#include <stdbool.h>
#include "ast.h"

/* "shop.orders" -> "shop_orders_"; NULL or "" -> "". */
char *names_prefix_for_package(const char *package);

/* "OrderStatus" -> "ORDER_STATUS", "HTTPCode" -> "HTTP_CODE", "shop_orders_" -> "SHOP_ORDERS_". */
char *names_upper_snake(const char *name);

/* C name of a type or handler declared in s: prefix + name ("shop_orders_ProcessOrder"). */
char *names_c_name(const schema *s, const char *name);

/* C enum constant: "SHOP_ORDERS_ORDER_STATUS_PENDING". */
char *names_enum_constant(const schema *s, const decl *enumeration, const char *value);

/* Full schema name: "shop.orders.ProcessOrder" (just the name without package). */
char *names_full_name(const schema *s, const char *name);

/* Typed emitter: "shop_orders_process_order_emit_OrderProcessed". */
char *names_emit_function(const schema *s, const decl *handler, const decl *message);

/* Prefix of a module's own symbols (its msgbus_module and tables): the C
 * prefix, or for a schema without one its file name made an identifier
 * ("orders.msg" -> "orders_", "2fa.msg" -> "m_2fa_"). */
char *names_module_prefix(const program *prog, const schema *s);

/* True for C and C++ keywords and names reserved to the implementation. */
bool names_is_reserved(const char *name);

#endif /* MSGBUSGEN_NAMES_H */
