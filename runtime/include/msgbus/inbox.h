/* msgbus/inbox.h - the inbox: which messages a consumer has already
 * handled, kept in the consumer's own database and written in the same
 * transaction as the handler's effects, so a message delivered twice has
 * one effect.  A table of (consumer, message id).  Implementations:
 * msgbus_pg_inbox_new (<msgbus/pg.h>) and msgbus_sqlite_inbox_new
 * (<msgbus/sqlite_inbox.h>).  See msgbus_nats(3). */
#ifndef MSGBUS_INBOX_H
#define MSGBUS_INBOX_H

#include <stdbool.h>
#include <msgbus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The operations of an inbox over one database connection.  Each returns
 * 0 or a negative MSGBUS_E* code and fills err. */
typedef struct msgbus_inbox_ops {
    /* Opens the unit of work of one message (a transaction, or a
     * savepoint inside the caller's). */
    int (*begin)(void *self, msgbus_error *err);
    /* Records (consumer, message_id) inside the unit of work: 1 if it is
     * new, 0 if it was recorded before (the message is a duplicate). */
    int (*record)(void *self, const char *consumer, const char *message_id,
                  msgbus_error *err);
    /* Commits (commit true) or rolls back the unit of work. */
    int (*end)(void *self, bool commit, msgbus_error *err);
    void (*free)(void *self);
} msgbus_inbox_ops;

/* An inbox: ops (borrowed, static) and the implementation's object. */
typedef struct msgbus_inbox {
    const msgbus_inbox_ops *ops;
    void *self;
} msgbus_inbox;

/* Frees inbox->self and zeroes *inbox.  NULL or an empty inbox: no-op. */
void msgbus_inbox_free(msgbus_inbox *inbox);

#ifdef __cplusplus
}
#endif

#endif /* MSGBUS_INBOX_H */
