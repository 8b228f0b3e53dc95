/* msgbus/msgbus.h - the public API of libmsgbus. */
#ifndef MSGBUS_MSGBUS_H
#define MSGBUS_MSGBUS_H

#include <msgbus/types.h>
#include <msgbus/value.h>
#include <msgbus/bus.h>
#include <msgbus/outbox.h>
#include <msgbus/async.h>
#include <msgbus/events.h>
#include <msgbus/metrics.h>
#include <msgbus/trace.h>

#endif /* MSGBUS_MSGBUS_H */
