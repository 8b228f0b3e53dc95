/* inbox.c - the one generic inbox function; the inboxes themselves live
 * with their databases (libmsgbus-pg, libmsgbus-sqlite). */
#include <stddef.h>
#include <msgbus/inbox.h>

void msgbus_inbox_free(msgbus_inbox *inbox)
{
    if (!inbox)
        return;
    if (inbox->ops && inbox->ops->free)
        inbox->ops->free(inbox->self);
    inbox->ops = NULL;
    inbox->self = NULL;
}
