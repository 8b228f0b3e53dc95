/* outbox_filter.c - the filtered operations on a repository (list, retry,
 * purge) and the matching rule the memory repository applies row by row.
 * See msgbus_outbox(3), FILTERS. */
#include "outbox_internal.h"

#include <string.h>
#include <msgbus/value.h>

void msgbus_outbox_filter_init(msgbus_outbox_filter *filter)
{
    if (!filter)
        return;
    memset(filter, 0, sizeof *filter);
    filter->state = MSGBUS_OUTBOX_ANY;
}

bool outbox_filter_match(const msgbus_outbox_filter *f, const msgbus_outbox_row *r)
{
    bool pending = r->processed_at == 0 && r->dead_at == 0;
    switch (f->state) {
    case MSGBUS_OUTBOX_PENDING: if (!pending) return false; break;
    case MSGBUS_OUTBOX_FAILED: if (!pending || r->attempts == 0) return false; break;
    case MSGBUS_OUTBOX_DEAD: if (r->dead_at == 0) return false; break;
    case MSGBUS_OUTBOX_PROCESSED: if (r->processed_at == 0) return false; break;
    case MSGBUS_OUTBOX_ANY: break;
    }
    if (f->id && strcmp(f->id, r->id) != 0)
        return false;
    if (f->type && (!r->type || strcmp(f->type, r->type) != 0))
        return false;
    if (f->error_contains && (!r->last_error || !strstr(r->last_error, f->error_contains)))
        return false;
    if (f->created_before && r->created_at >= f->created_before)
        return false;
    if (f->ended_before) {
        int64_t ended = r->processed_at ? r->processed_at : r->dead_at;
        if (ended == 0 || ended >= f->ended_before)
            return false;
    }
    return true;
}

/* The filter to hand to the repository: the caller's, or "every row". */
static int checked(const msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                   bool has_op, const char *what, msgbus_outbox_filter *out,
                   msgbus_error *err)
{
    if (!repo)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox %s: no repository", what);
    if (filter)
        *out = *filter;
    else
        msgbus_outbox_filter_init(out);
    if ((unsigned)out->state > MSGBUS_OUTBOX_ANY)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox %s: unknown state %d", what,
                                (int)out->state);
    if (!has_op)
        return msgbus_error_set(err, MSGBUS_ENOTSUP, NULL,
                                "outbox %s: this repository has no filters", what);
    return 0;
}

int msgbus_outbox_list_filtered(msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                                msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    msgbus_outbox_filter f;
    if (!rows || !n)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox list: no place for the rows");
    *rows = NULL;
    *n = 0;
    int rc = checked(repo, filter, repo && repo->ops->list_filtered, "list",
                     &f, err);
    if (rc < 0)
        return rc;
    return repo->ops->list_filtered(repo->self, &f, msgbus_outbox_now(), rows, n, err);
}

int msgbus_outbox_retry_filtered(msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                                 bool dry_run, size_t *n, msgbus_error *err)
{
    msgbus_outbox_filter f;
    size_t changed = 0;
    if (n)
        *n = 0;
    int rc = checked(repo, filter, repo && repo->ops->retry_filtered,
                     "retry", &f, err);
    if (rc < 0)
        return rc;
    if (f.state == MSGBUS_OUTBOX_PROCESSED)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "outbox retry: processed rows are not retried");
    rc = repo->ops->retry_filtered(repo->self, &f, msgbus_outbox_now(), dry_run, &changed, err);
    if (n)
        *n = changed;
    return rc;
}

int msgbus_outbox_purge_filtered(msgbus_outbox_repo *repo, const msgbus_outbox_filter *filter,
                                 bool dry_run, size_t *n, msgbus_error *err)
{
    msgbus_outbox_filter f;
    size_t purged = 0;
    if (n)
        *n = 0;
    int rc = checked(repo, filter, repo && repo->ops->purge_filtered,
                     "purge", &f, err);
    if (rc < 0)
        return rc;
    if (f.state != MSGBUS_OUTBOX_PROCESSED && f.state != MSGBUS_OUTBOX_DEAD)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "outbox purge: only processed or dead rows are purged");
    rc = repo->ops->purge_filtered(repo->self, &f, msgbus_outbox_now(), dry_run, &purged, err);
    if (n)
        *n = purged;
    return rc;
}
