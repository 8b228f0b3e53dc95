/* outbox.c - the repository object, msgbus_outbox_register and the thin
 * wrappers the tools use to inspect and maintain a repository. */
#define _POSIX_C_SOURCE 200809L  /* clock_gettime */
#include "outbox_internal.h"
#include "trace_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <msgbus/value.h>

int64_t msgbus_outbox_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void msgbus_outbox_row_clear(msgbus_outbox_row *row)
{
    if (!row)
        return;
    msgbus_free(row->type);
    msgbus_free(row->payload);
    msgbus_free(row->meta);
    msgbus_free(row->last_error);
    msgbus_free(row->locked_by);
    memset(row, 0, sizeof *row);
}

void msgbus_outbox_rows_free(msgbus_outbox_row *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++)
        msgbus_outbox_row_clear(&rows[i]);
    msgbus_free(rows);
}

msgbus_outbox_repo *msgbus_outbox_repo_new_sized(const msgbus_outbox_repo_ops *ops,
                                                 size_t ops_size, void *self)
{
    /* Every repository has at least the operations up to free. */
    size_t oldest = offsetof(msgbus_outbox_repo_ops, free) + sizeof ops->free;
    bool ok = ops && ops_size >= oldest;
    msgbus_outbox_repo *repo = ok ? msgbus_calloc(1, sizeof *repo) : NULL;
    if (!repo) {
        if (ops && ops->free)
            ops->free(self);
        return NULL;
    }
    /* A newer program's operations this library does not know are unused. */
    memcpy(&repo->own_ops, ops, ops_size < sizeof *ops ? ops_size : sizeof *ops);
    repo->ops = &repo->own_ops;
    repo->self = self;
    uuid7_init(&repo->ids);
    return repo;
}

/* Programs built before msgbus_outbox_repo_ops grew call this one. */
msgbus_outbox_repo *(msgbus_outbox_repo_new)(const msgbus_outbox_repo_ops *ops, void *self)
{
    return msgbus_outbox_repo_new_sized(ops, offsetof(msgbus_outbox_repo_ops, free) +
                                             sizeof ops->free, self);
}

void msgbus_outbox_repo_free(msgbus_outbox_repo *repo)
{
    if (!repo)
        return;
    if (repo->ops->free)
        repo->ops->free(repo->self);
    msgbus_free(repo);
}

void *msgbus_outbox_repo_self(const msgbus_outbox_repo *repo)
{
    return repo ? repo->self : NULL;
}

/* A caller's id: 1..64 printable ASCII characters, no spaces, so that it
 * prints and passes through command lines unchanged. */
static bool valid_id(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (id[n] <= ' ' || id[n] > '~' || n + 1 >= MSGBUS_OUTBOX_ID_SIZE)
            return false;
    return n > 0;
}

/* meta as compact JSON text in memory of msgbus_malloc (json_dumps would
 * use Jansson's allocator), or NULL when out of memory. */
static char *meta_text(const json_t *meta)
{
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    size_t n = json_dumpb(meta, NULL, 0, flags);
    char *text = n ? msgbus_malloc(n + 1) : NULL;
    if (text && json_dumpb(meta, text, n, flags) == n)
        text[n] = '\0';
    else if (text) {
        msgbus_free(text);
        text = NULL;
    }
    return text;
}

int msgbus_outbox_register(msgbus_outbox_repo *repo, const msgbus_msg *msg, char *id,
                           const json_t *meta, msgbus_error *err)
{
    if (!repo || !msg || !msg->type)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox register: no repository or message");
    const msgbus_type *type = msg->type;
    if (type->kind != MSGBUS_KIND_COMMAND && type->kind != MSGBUS_KIND_EVENT)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                "outbox register: %s is not a command or an event", type->name);
    if (meta && !json_is_object(meta))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox register: meta is not a JSON object");
    msgbus_outbox_row row;
    memset(&row, 0, sizeof row);
    row.created_at = msgbus_outbox_now();
    if (id && id[0]) {
        if (!valid_id(id))
            return msgbus_error_set(err, MSGBUS_EINVAL, NULL,
                                    "outbox register: id must be 1 to %d printable characters without spaces",
                                    MSGBUS_OUTBOX_ID_SIZE - 1);
        strcpy(row.id, id);
    } else {
        if (uuid7_next(&repo->ids, row.created_at, row.id) < 0)
            return msgbus_error_set(err, MSGBUS_EIO, NULL, "outbox register: no random bytes for a UUID");
        if (id)
            strcpy(id, row.id);
    }
    row.kind = type->kind;
    row.type = (char *)type->name;
    row.available_at = row.created_at;
    /* The payload lives only until the insert: on the stack unless large. */
    char storage[MSGBUS_BUF_STORAGE];
    msgbus_buf payload;
    msgbus_buf_init_storage(&payload, storage, sizeof storage);
    int rc = msgbus_value_encode_buf(type, msg, &payload, NULL);
    if (rc < 0) {
        msgbus_buf_clear(&payload);
        return msgbus_error_set(err, rc, NULL, "outbox register: cannot encode %s: %s", type->name,
                                msgbus_strerror(rc));
    }
    row.payload = payload.data;
    /* The caller's meta, and the trace context the caller's keys leave
     * out (msgbus_outbox(3), TRACE CONTEXT). */
    json_t *all = meta ? json_copy((json_t *)meta) : json_object();
    if (!all || trace_fill_meta(all, row.id) < 0 || !(row.meta = meta_text(all))) {
        json_decref(all);
        msgbus_buf_clear(&payload);
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "outbox register: cannot encode meta");
    }
    json_decref(all);
    rc = repo->ops->insert(repo->self, &row, err);
    msgbus_buf_clear(&payload);
    msgbus_free(row.meta);
    return rc;
}

int msgbus_outbox_counts_get_sized(msgbus_outbox_repo *repo, msgbus_outbox_counts *out,
                                   size_t out_size, msgbus_error *err)
{
    size_t oldest = offsetof(msgbus_outbox_counts, processed) + sizeof out->processed;
    if (!repo || !out || out_size < oldest)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox counts: no repository");
    msgbus_outbox_counts all;
    memset(&all, 0, sizeof all);
    /* A repository that does not know the ages leaves them "unknown". */
    all.oldest_pending_age_ms = all.oldest_due_age_ms = -1;
    int rc = repo->ops->counts(repo->self, msgbus_outbox_now(), &all, err);
    memcpy(out, &all, out_size < sizeof all ? out_size : sizeof all);
    return rc;
}

int (msgbus_outbox_counts_get)(msgbus_outbox_repo *repo, msgbus_outbox_counts *out,
                               msgbus_error *err)
{
    return msgbus_outbox_counts_get_sized(repo, out, offsetof(msgbus_outbox_counts, processed) +
                                                     sizeof out->processed, err);
}

int msgbus_outbox_list(msgbus_outbox_repo *repo, msgbus_outbox_state state, size_t limit,
                       msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    if (!repo || !rows || !n)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox list: no repository");
    *rows = NULL;
    *n = 0;
    return repo->ops->list(repo->self, state, limit, rows, n, err);
}

int msgbus_outbox_get(msgbus_outbox_repo *repo, const char *id, msgbus_outbox_row *row,
                      msgbus_error *err)
{
    if (!repo || !id || !row)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox get: no repository or id");
    memset(row, 0, sizeof *row);
    return repo->ops->get(repo->self, id, row, err);
}

int msgbus_outbox_retry(msgbus_outbox_repo *repo, const char *id, size_t *n,
                        msgbus_error *err)
{
    size_t changed = 0;
    if (!repo)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox retry: no repository");
    int rc = repo->ops->retry(repo->self, id, msgbus_outbox_now(), &changed, err);
    if (n)
        *n = changed;
    if (rc == 0 && id && changed == 0)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL,
                                "outbox retry: no unprocessed row with id %s", id);
    return rc;
}

int msgbus_outbox_purge(msgbus_outbox_repo *repo, int64_t before, size_t limit, size_t *n,
                        msgbus_error *err)
{
    size_t purged = 0;
    if (!repo || limit == 0)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox purge: no repository or limit 0");
    int rc = repo->ops->purge(repo->self, before, limit, &purged, err);
    if (n)
        *n = purged;
    return rc;
}

int msgbus_outbox_table_name_valid(const char *name)
{
    if (!name || !((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || *name == '_'))
        return 0;
    size_t n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n <= MSGBUS_OUTBOX_TABLE_MAX;
}
