/* outbox_internal.h - what the outbox files share: the repository object. */
#ifndef MSGBUS_OUTBOX_INTERNAL_H
#define MSGBUS_OUTBOX_INTERNAL_H

#include <msgbus/outbox.h>
#include "uuid7.h"

struct msgbus_outbox_repo {
    const msgbus_outbox_repo_ops *ops;  /* &own_ops */
    msgbus_outbox_repo_ops own_ops;     /* the caller's, operations it lacks NULL */
    void *self;
    uuid7_gen ids;              /* per repository: no global state */
};

/* A malloc'd copy of s, or NULL for NULL (and when out of memory). */

/* now - since, never negative (a row stamped by a clock a little ahead). */
static inline int64_t outbox_age(int64_t now, int64_t since)
{
    return now > since ? now - since : 0;
}

/* True if row matches every condition of filter (limit and offset aside). */
bool outbox_filter_match(const msgbus_outbox_filter *filter, const msgbus_outbox_row *row);

#endif /* MSGBUS_OUTBOX_INTERNAL_H */
