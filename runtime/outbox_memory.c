/* outbox_memory.c - an outbox repository in memory: a growing array of
 * rows searched linearly.  For tests and small programs; it has no
 * transactions, so its handlers' effects are not atomic with the marks. */
#include "outbox_internal.h"

#include <stdlib.h>
#include <string.h>
#include <msgbus/value.h>

typedef struct memory_repo {
    msgbus_outbox_row *rows;
    size_t n, cap;
} memory_repo;

static bool is_pending(const msgbus_outbox_row *r)
{
    return r->processed_at == 0 && r->dead_at == 0;
}

static bool in_state(const msgbus_outbox_row *r, msgbus_outbox_state state)
{
    switch (state) {
    case MSGBUS_OUTBOX_PENDING: return is_pending(r);
    case MSGBUS_OUTBOX_FAILED: return is_pending(r) && r->attempts > 0;
    case MSGBUS_OUTBOX_DEAD: return r->dead_at != 0;
    case MSGBUS_OUTBOX_PROCESSED: return r->processed_at != 0;
    case MSGBUS_OUTBOX_ANY: return true;
    }
    return false;
}

static msgbus_outbox_row *find(memory_repo *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->rows[i].id, id) == 0)
            return &m->rows[i];
    return NULL;
}

static int oom(msgbus_error *err)
{
    return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "outbox: out of memory");
}

/* Deep copy of src into *dst (zeroed on failure). */
static int copy_row(msgbus_outbox_row *dst, const msgbus_outbox_row *src)
{
    *dst = *src;
    dst->type = msgbus_strdup(src->type);
    dst->payload = msgbus_strdup(src->payload);
    dst->meta = msgbus_strdup(src->meta);
    dst->last_error = msgbus_strdup(src->last_error);
    dst->locked_by = msgbus_strdup(src->locked_by);
    if ((src->type && !dst->type) || (src->payload && !dst->payload) ||
        (src->meta && !dst->meta) || (src->last_error && !dst->last_error) ||
        (src->locked_by && !dst->locked_by)) {
        msgbus_outbox_row_clear(dst);
        return MSGBUS_ENOMEM;
    }
    return 0;
}

/* Replaces *slot (malloc'd text) by a copy of text. */
static int set_text(char **slot, const char *text)
{
    char *copy = msgbus_strdup(text);
    if (text && !copy)
        return MSGBUS_ENOMEM;
    msgbus_free(*slot);
    *slot = copy;
    return 0;
}

static int mem_insert(void *self, const msgbus_outbox_row *row, msgbus_error *err)
{
    memory_repo *m = self;
    if (find(m, row->id))
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "outbox: a row with id %s exists", row->id);
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        msgbus_outbox_row *rows = msgbus_realloc(m->rows, cap * sizeof *rows);
        if (!rows)
            return oom(err);
        m->rows = rows;
        m->cap = cap;
    }
    if (copy_row(&m->rows[m->n], row) < 0)
        return oom(err);
    m->n++;
    return 0;
}

static int by_availability(const void *a, const void *b)
{
    const msgbus_outbox_row *x = *(const msgbus_outbox_row *const *)a;
    const msgbus_outbox_row *y = *(const msgbus_outbox_row *const *)b;
    if (x->available_at != y->available_at)
        return x->available_at < y->available_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Copies the rows picked[0..n) into a new array for the caller. */
static int hand_out(msgbus_outbox_row **picked, size_t n, msgbus_outbox_row **rows,
                    size_t *count, msgbus_error *err)
{
    *rows = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    msgbus_outbox_row *out = msgbus_calloc(n, sizeof *out);
    if (!out)
        return oom(err);
    for (size_t i = 0; i < n; i++) {
        if (copy_row(&out[i], picked[i]) < 0) {
            msgbus_outbox_rows_free(out, i);
            return oom(err);
        }
    }
    *rows = out;
    *count = n;
    return 0;
}

static int mem_claim(void *self, int64_t now, const char *worker, int64_t until, size_t max,
                     msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    memory_repo *m = self;
    msgbus_outbox_row **picked = msgbus_malloc((m->n ? m->n : 1) * sizeof *picked);
    if (!picked)
        return oom(err);
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        msgbus_outbox_row *r = &m->rows[i];
        if (is_pending(r) && r->available_at <= now && (!r->locked_by || r->locked_until <= now))
            picked[k++] = r;
    }
    qsort(picked, k, sizeof *picked, by_availability);
    if (k > max)
        k = max;
    int rc = 0;
    size_t leased = 0;
    for (; leased < k && rc == 0; leased++) {
        rc = set_text(&picked[leased]->locked_by, worker);
        picked[leased]->locked_until = until;
    }
    if (rc == 0)
        rc = hand_out(picked, k, rows, n, err);
    else
        oom(err);
    if (rc < 0) {
        /* A claim that failed leases nothing. */
        for (size_t i = 0; i < leased; i++) {
            set_text(&picked[i]->locked_by, NULL);
            picked[i]->locked_until = 0;
        }
    }
    msgbus_free(picked);
    return rc;
}

static int mem_mark_processed(void *self, const char *id, int64_t now, msgbus_error *err)
{
    msgbus_outbox_row *r = find(self, id);
    if (!r)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "outbox: no row %s", id);
    r->processed_at = now;
    set_text(&r->locked_by, NULL);
    r->locked_until = 0;
    return 0;
}

static int fail_row(void *self, const char *id, const char *error, msgbus_error *err,
                    msgbus_outbox_row **out)
{
    msgbus_outbox_row *r = find(self, id);
    if (!r)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "outbox: no row %s", id);
    if (set_text(&r->last_error, error) < 0)
        return oom(err);
    r->attempts++;
    set_text(&r->locked_by, NULL);
    r->locked_until = 0;
    *out = r;
    return 0;
}

static int mem_mark_failed(void *self, const char *id, const char *error, int64_t available_at,
                           msgbus_error *err)
{
    msgbus_outbox_row *r;
    int rc = fail_row(self, id, error, err, &r);
    if (rc == 0)
        r->available_at = available_at;
    return rc;
}

static int mem_dead_letter(void *self, const char *id, const char *error, int64_t now,
                           msgbus_error *err)
{
    msgbus_outbox_row *r;
    int rc = fail_row(self, id, error, err, &r);
    if (rc == 0)
        r->dead_at = now;
    return rc;
}

static int mem_reclaim(void *self, int64_t now, size_t *n, msgbus_error *err)
{
    memory_repo *m = self;
    (void)err;
    *n = 0;
    for (size_t i = 0; i < m->n; i++) {
        msgbus_outbox_row *r = &m->rows[i];
        if (r->locked_by && r->locked_until <= now && is_pending(r)) {
            set_text(&r->locked_by, NULL);
            r->locked_until = 0;
            (*n)++;
        }
    }
    return 0;
}

static int mem_counts(void *self, int64_t now, msgbus_outbox_counts *out, msgbus_error *err)
{
    memory_repo *m = self;
    (void)err;
    int64_t oldest_pending = 0, oldest_due = 0;
    for (size_t i = 0; i < m->n; i++) {
        const msgbus_outbox_row *r = &m->rows[i];
        if (is_pending(r) && (oldest_pending == 0 || r->created_at < oldest_pending))
            oldest_pending = r->created_at;
        if (is_pending(r) && r->available_at <= now && !(r->locked_by && r->locked_until > now) &&
            (oldest_due == 0 || r->available_at < oldest_due))
            oldest_due = r->available_at;
        out->pending += is_pending(r);
        out->in_flight += is_pending(r) && r->locked_by && r->locked_until > now;
        out->failed += in_state(r, MSGBUS_OUTBOX_FAILED);
        out->dead += r->dead_at != 0;
        out->processed += r->processed_at != 0;
    }
    out->oldest_pending_age_ms = oldest_pending ? outbox_age(now, oldest_pending) : 0;
    out->oldest_due_age_ms = oldest_due ? outbox_age(now, oldest_due) : 0;
    return 0;
}

static int mem_list(void *self, msgbus_outbox_state state, size_t limit,
                    msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    memory_repo *m = self;
    msgbus_outbox_row **picked = msgbus_malloc((m->n ? m->n : 1) * sizeof *picked);
    if (!picked)
        return oom(err);
    size_t k = 0;
    for (size_t i = 0; i < m->n && k < limit; i++)
        if (in_state(&m->rows[i], state))
            picked[k++] = &m->rows[i];
    int rc = hand_out(picked, k, rows, n, err);
    msgbus_free(picked);
    return rc;
}

static int mem_get(void *self, const char *id, msgbus_outbox_row *row, msgbus_error *err)
{
    const msgbus_outbox_row *r = find(self, id);
    if (!r)
        return msgbus_error_set(err, MSGBUS_ENOTFOUND, NULL, "outbox: no row with id %s", id);
    return copy_row(row, r) < 0 ? oom(err) : 0;
}

static int mem_retry(void *self, const char *id, int64_t now, size_t *n, msgbus_error *err)
{
    memory_repo *m = self;
    (void)err;
    *n = 0;
    for (size_t i = 0; i < m->n; i++) {
        msgbus_outbox_row *r = &m->rows[i];
        bool match = id ? strcmp(r->id, id) == 0 && r->processed_at == 0 : r->dead_at != 0;
        if (match) {
            r->attempts = 0;
            r->available_at = now;
            r->dead_at = 0;
            set_text(&r->locked_by, NULL);
            r->locked_until = 0;
            (*n)++;
        }
    }
    return 0;
}

static int mem_purge(void *self, int64_t before, size_t limit, size_t *n, msgbus_error *err)
{
    memory_repo *m = self;
    (void)err;
    size_t kept = 0;
    *n = 0;
    for (size_t i = 0; i < m->n; i++) {
        msgbus_outbox_row *r = &m->rows[i];
        if (*n < limit && r->processed_at != 0 && r->processed_at < before) {
            msgbus_outbox_row_clear(r);
            (*n)++;
        } else {
            m->rows[kept++] = *r;
        }
    }
    m->n = kept;
    return 0;
}

static int by_creation(const void *a, const void *b)
{
    const msgbus_outbox_row *x = *(const msgbus_outbox_row *const *)a;
    const msgbus_outbox_row *y = *(const msgbus_outbox_row *const *)b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* *picked (malloc'd) gets the rows matching f that also pass extra (may be
 * NULL), in the order created_at, id, after offset, at most limit. */
static int pick(memory_repo *m, const msgbus_outbox_filter *f,
                bool (*extra)(const msgbus_outbox_row *, int64_t), int64_t now,
                msgbus_outbox_row ***picked, size_t *k, msgbus_error *err)
{
    msgbus_outbox_row **p = msgbus_malloc((m->n ? m->n : 1) * sizeof *p);
    if (!p)
        return oom(err);
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        if (outbox_filter_match(f, &m->rows[i]) && (!extra || extra(&m->rows[i], now)))
            p[n++] = &m->rows[i];
    qsort(p, n, sizeof *p, by_creation);
    size_t skip = f->offset < n ? f->offset : n;
    n -= skip;
    memmove(p, p + skip, n * sizeof *p);
    if (f->limit && n > f->limit)
        n = f->limit;
    *picked = p;
    *k = n;
    return 0;
}

static int mem_list_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                             msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    msgbus_outbox_row **picked;
    size_t k;
    int rc = pick(self, f, NULL, now, &picked, &k, err);
    if (rc == 0)
        rc = hand_out(picked, k, rows, n, err);
    msgbus_free(picked);
    return rc;
}

/* Retry leaves processed rows and rows a relay holds alone. */
static bool retryable(const msgbus_outbox_row *r, int64_t now)
{
    return r->processed_at == 0 && !(r->locked_by && r->locked_until > now);
}

static int mem_retry_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                              bool dry_run, size_t *n, msgbus_error *err)
{
    msgbus_outbox_row **picked;
    int rc = pick(self, f, retryable, now, &picked, n, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < *n && !dry_run; i++) {
        msgbus_outbox_row *r = picked[i];
        r->attempts = 0;
        r->available_at = now;
        r->dead_at = 0;
        set_text(&r->locked_by, NULL);
        r->locked_until = 0;
    }
    msgbus_free(picked);
    return 0;
}

static int mem_purge_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                              bool dry_run, size_t *n, msgbus_error *err)
{
    memory_repo *m = self;
    msgbus_outbox_row **picked;
    int rc = pick(m, f, NULL, now, &picked, n, err);
    if (rc < 0 || dry_run) {
        msgbus_free(picked);
        return rc;
    }
    /* Mark the picked rows (an id never empty otherwise), then compact. */
    for (size_t i = 0; i < *n; i++)
        picked[i]->id[0] = '\0';
    msgbus_free(picked);
    size_t kept = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->rows[i].id[0] == '\0')
            msgbus_outbox_row_clear(&m->rows[i]);
        else
            m->rows[kept++] = m->rows[i];
    }
    m->n = kept;
    return 0;
}

static void mem_free(void *self)
{
    memory_repo *m = self;
    if (!m)
        return;
    msgbus_outbox_rows_free(m->rows, m->n);
    msgbus_free(m);
}

static const msgbus_outbox_repo_ops memory_ops = {
    .insert = mem_insert,
    .claim = mem_claim,
    .mark_processed = mem_mark_processed,
    .mark_failed = mem_mark_failed,
    .dead_letter = mem_dead_letter,
    .reclaim = mem_reclaim,
    .counts = mem_counts,
    .list = mem_list,
    .get = mem_get,
    .retry = mem_retry,
    .purge = mem_purge,
    .free = mem_free,
    .list_filtered = mem_list_filtered,
    .retry_filtered = mem_retry_filtered,
    .purge_filtered = mem_purge_filtered,
};

msgbus_outbox_repo *msgbus_outbox_memory_new(void)
{
    memory_repo *m = msgbus_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    return msgbus_outbox_repo_new(&memory_ops, m);
}
