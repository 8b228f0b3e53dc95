/* msgbus/bus.h - the synchronous bus: dispatch, context, emit, middleware.
 * (Being built; see man/msgbus.3.) */
#ifndef MSGBUS_BUS_H
#define MSGBUS_BUS_H

#include <msgbus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msgbus_bus msgbus_bus;
typedef struct msgbus_ctx msgbus_ctx;

/* Queues msg to be handled after the current handler, in FIFO order.  The
 * bus takes over what *msg owns: on return, success or not, *msg is left
 * initialized and the caller frees nothing.  Only valid inside a handler. */
int msgbus_emit(msgbus_ctx *ctx, msgbus_msg *msg);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_BUS_H */
