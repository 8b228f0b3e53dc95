/* outbox_internal.h - what the outbox files share: the repository object. */
#ifndef MSGBUS_OUTBOX_INTERNAL_H
#define MSGBUS_OUTBOX_INTERNAL_H

#include <msgbus/outbox.h>
#include "uuid7.h"

struct msgbus_outbox_repo {
    const msgbus_outbox_repo_ops *ops;
    void *self;
    uuid7_gen ids;              /* per repository: no global state */
};

/* A malloc'd copy of s, or NULL for NULL (and when out of memory). */

#endif /* MSGBUS_OUTBOX_INTERNAL_H */
