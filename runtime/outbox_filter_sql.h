/* outbox_filter_sql.h - the WHERE clause of a msgbus_outbox_filter for the
 * SQL repositories (SQLite ?N, PostgreSQL $N placeholders).  The clause is
 * put together from constant fragments only; every value the caller gave
 * is a bound parameter.  Header-only: libmsgbus-sqlite and libmsgbus-pg
 * share it without a symbol between the libraries. */
#ifndef MSGBUS_OUTBOX_FILTER_SQL_H
#define MSGBUS_OUTBOX_FILTER_SQL_H

#include <stdio.h>
#include <string.h>
#include <msgbus/outbox.h>

enum { FILTER_SQL_MAX_PARAMS = 10 };

typedef struct filter_param {
    const char *text;           /* a text parameter, or NULL for an integer */
    int64_t num;
} filter_param;

typedef struct filter_sql {
    char where[640];
    filter_param params[FILTER_SQL_MAX_PARAMS];
    int n;
    int now_param;              /* number of the parameter holding now (retry), or 0 */
} filter_sql;

/* Appends " AND " fragment, where each '#' in fragment stands for the
 * placeholder of a new parameter (text, or num when text is NULL). */
static inline void filter_sql_add(filter_sql *q, char mark, const char *fragment,
                                  const char *text, int64_t num)
{
    size_t len = strlen(q->where);
    int placeholder = 0;
    len += (size_t)snprintf(q->where + len, sizeof q->where - len, " AND ");
    for (const char *p = fragment; *p && len + 8 < sizeof q->where; p++) {
        if (*p != '#') {
            q->where[len++] = *p;
            continue;
        }
        if (!placeholder++) {
            q->params[q->n].text = text;
            q->params[q->n].num = num;
            q->n++;
        }
        len += (size_t)snprintf(q->where + len, sizeof q->where - len, "%c%d", mark, q->n);
    }
    q->where[len] = '\0';
}

/* Fills q with the conditions of f (state and every condition set) and,
 * for retry, "not processed and not under a lease at now".  mark is '?'
 * (SQLite) or '$' (PostgreSQL). */
static inline void filter_sql_build(filter_sql *q, char mark, const msgbus_outbox_filter *f,
                                    bool retryable, int64_t now)
{
    static const char *const states[] = {
        [MSGBUS_OUTBOX_PENDING] = "processed_at IS NULL AND dead_at IS NULL",
        [MSGBUS_OUTBOX_FAILED] = "processed_at IS NULL AND dead_at IS NULL AND attempts > 0",
        [MSGBUS_OUTBOX_DEAD] = "dead_at IS NOT NULL",
        [MSGBUS_OUTBOX_PROCESSED] = "processed_at IS NOT NULL",
        [MSGBUS_OUTBOX_ANY] = "TRUE",
    };
    memset(q, 0, sizeof *q);
    snprintf(q->where, sizeof q->where, "%s",
             (unsigned)f->state <= MSGBUS_OUTBOX_ANY ? states[f->state] : "FALSE");
    if (f->id)
        filter_sql_add(q, mark, "id = #", f->id, 0);
    if (f->type)
        filter_sql_add(q, mark, "type = #", f->type, 0);
    /* Substring search without LIKE, so % and _ in the text are literal. */
    if (f->error_contains)
        filter_sql_add(q, mark, mark == '$' ? "strpos(last_error, #) > 0"
                                            : "instr(last_error, #) > 0",
                       f->error_contains, 0);
    if (f->created_before)
        filter_sql_add(q, mark, "created_at < #", NULL, f->created_before);
    if (f->ended_before)
        filter_sql_add(q, mark, "coalesce(processed_at, dead_at) < #", NULL, f->ended_before);
    if (retryable) {
        filter_sql_add(q, mark, "processed_at IS NULL AND (locked_until IS NULL"
                                " OR locked_until <= #)", NULL, now);
        q->now_param = q->n;
    }
}

/* Appends the order and the window: ORDER BY created_at, id LIMIT .. OFFSET ..
 * (no limit: SQLite's -1, PostgreSQL's NULL). */
static inline void filter_sql_window(filter_sql *q, char mark, const msgbus_outbox_filter *f)
{
    size_t len = strlen(q->where);
    int64_t limit = f->limit == 0 ? -1 : f->limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f->limit;
    int64_t offset = f->offset > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f->offset;
    q->params[q->n].text = NULL;
    q->params[q->n++].num = limit;
    q->params[q->n].text = NULL;
    q->params[q->n++].num = offset;
    snprintf(q->where + len, sizeof q->where - len, " ORDER BY created_at, id LIMIT %s%c%d%s OFFSET %c%d",
             mark == '$' ? "NULLIF(" : "", mark, q->n - 1, mark == '$' ? "::bigint, -1)" : "",
             mark, q->n);
}

/* For retry (retry true) or purge: fills q with the filter's conditions
 * and window, and change with the statement's head, "UPDATE t SET ..." or
 * "DELETE FROM t", to which "WHERE id IN (SELECT id FROM t WHERE ...)"
 * is appended. */
static inline void filter_sql_change(filter_sql *q, char *change, size_t size, char mark,
                                     const msgbus_outbox_filter *f, bool retry, int64_t now,
                                     const char *table)
{
    filter_sql_build(q, mark, f, retry, now);
    filter_sql_window(q, mark, f);
    if (retry)
        snprintf(change, size, "UPDATE \"%s\" SET attempts = 0, available_at = %c%d,"
                 " dead_at = NULL, locked_by = NULL, locked_until = NULL", table, mark,
                 q->now_param);
    else
        snprintf(change, size, "DELETE FROM \"%s\"", table);
}

#endif /* MSGBUS_OUTBOX_FILTER_SQL_H */
