/* publisher.c - the relay to JetStream.  The publish handler sends each
 * row with js_PublishMsgAsync (the library bounds the window), and the
 * publisher wraps the caller's repository so that, within a batch, the
 * processed marks wait: before the batch commits, it waits for the
 * PubAcks and marks exactly the rows that got one; the others fail and
 * are retried with backoff.  So a row is never marked processed before
 * the broker has stored it. */
#include "nats_internal.h"
#include "../outbox_internal.h"
#include <msgbus/events.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct ack {
    char id[MSGBUS_OUTBOX_ID_SIZE];
    bool ok;
    bool transport;             /* failed for want of the server, not the message */
    bool no_responders;         /* nobody answered: no stream, or its leader is being elected */
    char error[120];
} ack;

typedef struct claimed {
    char id[MSGBUS_OUTBOX_ID_SIZE];
    int attempts;
    const char *type;           /* borrowed from the claimed rows, freed after the batch */
} claimed;

struct msgbus_nats_publisher {
    natsConnection *nc;
    jsCtx *js;
    msgbus_outbox_repo *inner;      /* the caller's repository (borrowed) */
    msgbus_outbox_repo *wrapped;    /* inner, with marks held for the PubAcks */
    char *source, *prefix;
    msgbus_buf event;               /* the CloudEvent being sent, reused row after row */
    int64_t ack_timeout_ms;
    msgbus_bus *bus;                /* of the running relay step */
    const msgbus_outbox_options *opts;
    int depth;                      /* batches open */
    pthread_mutex_t lock;           /* guards acks: the ack handler runs on a NATS thread */
    ack *acks;
    size_t n_acks, cap_acks;
    claimed *rows;                  /* the batch's rows, for their attempts */
    size_t n_rows;
    size_t next_row;                /* rows are marked in claim order: look here first */
    claimed *held;                  /* rows published and marked, awaiting their PubAck */
    size_t n_held;
    msgbus_outbox_stats *stats;     /* of the running relay step: PubAck failures move rows */
    char unavailable[MSGBUS_ERROR_TEXT_LENGTH];  /* why no PubAck came, or "" */
    char checked_subject[256];      /* of the running relay step: the last subject */
    bool checked_has_stream;        /* looked up after no responders, and the answer */
    bool rows_write;                /* the caller's handlers may write: keep row units */
};

void msgbus_nats_publisher_options_init(msgbus_nats_publisher_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->source = "msgbus";
    opts->max_in_flight = 256;
    opts->ack_timeout_ms = 5000;
}

/* ---- PubAcks -------------------------------------------------------------- */

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    msgbus_nats_publisher *pub = closure;
    const char *id = NULL;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id) {
        pthread_mutex_lock(&pub->lock);
        if (pub->n_acks == pub->cap_acks) {
            size_t cap = pub->cap_acks ? 2 * pub->cap_acks : 256;
            ack *grown = msgbus_realloc(pub->acks, cap * sizeof *grown);
            if (grown) {
                pub->acks = grown;
                pub->cap_acks = cap;
            }
        }
        /* Out of memory: the ack is lost and the row is published again. */
        if (pub->n_acks < pub->cap_acks) {
            ack *a = &pub->acks[pub->n_acks++];
            snprintf(a->id, sizeof a->id, "%s", id);
            /* A clustered stream leader answers a repeat of a Nats-Msg-Id
             * whose first copy is still being replicated with "duplicate"
             * and sequence 0: nothing is stored yet, and that first copy
             * may still be lost with the leader.  Not a PubAck, then: the
             * row is given back and published again later, when the
             * answer has a sequence (newer servers answer an error). */
            bool staged = pa && pa->Duplicate && pa->Sequence == 0;
            a->ok = pa != NULL && !staged;
            a->transport = staged ||
                           (!pa && (!pae || nats_transport_failure(pae->Err, pae->ErrCode)));
            a->no_responders = !pa && pae && pae->Err == NATS_NO_RESPONDERS;
            snprintf(a->error, sizeof a->error, "%s",
                     staged ? "duplicate of a message not yet stored (sequence 0)"
                     : pa ? "" : pae && pae->ErrText ? pae->ErrText
                     : natsStatus_GetText(pae ? pae->Err : NATS_ERR));
        }
        pthread_mutex_unlock(&pub->lock);
    }
    natsMsg_Destroy(msg);
}

/* Waits for the PubAcks of everything published; what is still pending
 * then is dropped (it counts as failed, and is published again later). */
static void wait_for_acks(msgbus_nats_publisher *pub)
{
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = pub->ack_timeout_ms;
    /* Timed out, or the connection is closed: nothing more will come. */
    if (js_PublishAsyncComplete(pub->js, &po) != NATS_OK) {
        natsMsgList pending = { 0 };
        if (js_PublishAsyncGetPendingList(&pending, pub->js) == NATS_OK)
            natsMsgList_Destroy(&pending);
    }
}

/* The ack of id, or NULL.  Caller holds the lock.  Acks mostly come in
 * publish order, so *hint (the slot after the last found) is tried first. */
static const ack *find_ack(const msgbus_nats_publisher *pub, const char *id, size_t *hint)
{
    if (*hint < pub->n_acks && strcmp(pub->acks[*hint].id, id) == 0)
        return &pub->acks[(*hint)++];
    /* The last one wins: a row published twice is stored if either was. */
    for (size_t i = pub->n_acks; i-- > 0;)
        if (strcmp(pub->acks[i].id, id) == 0) {
            *hint = i + 1;
            return &pub->acks[i];
        }
    return NULL;
}

/* The ack of id copied out under the lock (so no lock is held while the
 * server is asked anything); one that never came is a transport failure. */
static ack ack_of(msgbus_nats_publisher *pub, const char *id, size_t *hint)
{
    ack a = { .ok = false, .transport = true, .no_responders = false, .error = "timed out" };
    pthread_mutex_lock(&pub->lock);
    const ack *found = find_ack(pub, id, hint);
    if (found)
        a = *found;
    pthread_mutex_unlock(&pub->lock);
    return a;
}

/* No responders to a publish: either no stream takes the subject (the
 * message's routing is wrong: a failed attempt) or the stream that takes
 * it has no leader right now (a cluster electing one: a transport
 * failure).  The server's list of streams tells which; a server that
 * cannot answer counts as unavailable.  One lookup per subject and step. */
static bool stream_takes(msgbus_nats_publisher *pub, const char *type)
{
    char subject[256];
    if (msgbus_nats_subject(pub->bus, type, pub->prefix, subject, sizeof subject) < 0)
        return false;
    if (pub->checked_subject[0] && strcmp(subject, pub->checked_subject) == 0)
        return pub->checked_has_stream;
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = subject;
    jsStreamNamesList *names = NULL;
    natsStatus s = js_StreamNames(&names, pub->js, &o, NULL);
    bool has = s == NATS_OK ? names && names->Count > 0 : nats_transport_failure(s, 0);
    jsStreamNamesList_Destroy(names);
    snprintf(pub->checked_subject, sizeof pub->checked_subject, "%s", subject);
    pub->checked_has_stream = has;
    return has;
}

/* True if a (not ok) failed for want of the server. */
static bool transport_failure(msgbus_nats_publisher *pub, const ack *a, const char *type)
{
    return a->transport || (a->no_responders && stream_takes(pub, type));
}

static void forget_acks(msgbus_nats_publisher *pub)
{
    pthread_mutex_lock(&pub->lock);
    pub->n_acks = 0;
    pthread_mutex_unlock(&pub->lock);
}

/* ---- events ------------------------------------------------------------------ */

/* code: the failure's MSGBUS_E* code (PUBLISH_FAILED: MSGBUS_EIO when 0). */
static void ack_event_code(msgbus_bus *bus, msgbus_event_kind kind, const char *id,
                           const char *type, int attempt, const char *error, int code,
                           int64_t delay_ms)
{
    if (!msgbus_event_hook_set(bus))
        return;
    msgbus_event ev = { 0 };
    ev.kind = kind;
    ev.source = "nats.publisher";
    ev.message_id = id;
    ev.row_id = id;
    ev.type = type;
    ev.attempt = attempt;
    ev.error = error;
    ev.delay_ms = delay_ms;
    ev.code = code ? code : kind == MSGBUS_EVENT_PUBLISH_FAILED ? MSGBUS_EIO : 0;
    msgbus_emit_event(bus, &ev);
}

static void ack_event(msgbus_bus *bus, msgbus_event_kind kind, const char *id, const char *type,
                      int attempt, const char *error, int64_t delay_ms)
{
    ack_event_code(bus, kind, id, type, attempt, error, 0, delay_ms);
}

/* ---- the publish handler -------------------------------------------------- */

static int publish_row(msgbus_bus *bus, const msgbus_outbox_row *row, void *userdata,
                       msgbus_error *err)
{
    msgbus_nats_publisher *pub = userdata;
    char subject[256];
    if (msgbus_nats_subject(bus, row->type, pub->prefix, subject, sizeof subject) < 0)
        return msgbus_error_set(err, MSGBUS_ELIMIT, NULL, "subject for %s is too long", row->type);
    if (!row->type || !row->payload)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "row %s has no type or payload", row->id);
    msgbus_buf_reset(&pub->event);
    int rc = nats_cloudevent_put(&pub->event, row, pub->source);
    if (rc < 0)
        return msgbus_error_set(err, rc, NULL, "row %s: cannot write its CloudEvent: %s", row->id,
                                msgbus_strerror(rc));
    natsMsg *msg = NULL;    /* copies the event */
    natsStatus s = natsMsg_Create(&msg, subject, NULL, pub->event.data, (int)pub->event.len);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(msg, "Content-Type", "application/cloudevents+json");
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = row->id;     /* sets Nats-Msg-Id: the broker drops repeats */
    if (s == NATS_OK)
        s = js_PublishMsgAsync(pub->js, &msg, &po);
    natsMsg_Destroy(msg);   /* NULL once the library took it */
    if (s != NATS_OK)
        return nats_fail(s, 0, "publishing", err);
    if (pub->depth > 0)
        return 0;           /* the batch's end waits for the PubAck */
    /* No batch: the row is marked right after this returns, so wait now. */
    wait_for_acks(pub);
    size_t hint = 0;
    ack a = ack_of(pub, row->id, &hint);
    rc = a.ok ? 0
         : msgbus_error_set(err, transport_failure(pub, &a, row->type) ? MSGBUS_EUNAVAILABLE
                                                                        : MSGBUS_EIO,
                            NULL, "no PubAck: %s", a.error);
    /* A failure is reported by the relay as the handler's. */
    if (rc == 0)
        ack_event(bus, MSGBUS_EVENT_PUBLISH_ACKED, row->id, row->type, row->attempts + 1, NULL, 0);
    forget_acks(pub);
    return rc;
}

/* ---- the wrapped repository ----------------------------------------------- */

static int w_insert(void *self, const msgbus_outbox_row *row, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->insert(pub->inner->self, row, err);
}

static int w_claim(void *self, int64_t now, const char *worker, int64_t until, size_t max,
                   msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    int rc = pub->inner->ops->claim(pub->inner->self, now, worker, until, max, rows, n, err);
    if (rc < 0 || pub->depth == 0)
        return rc;
    msgbus_free(pub->rows);
    msgbus_free(pub->held);
    pub->n_rows = pub->n_held = pub->next_row = 0;
    pub->rows = msgbus_calloc(*n ? *n : 1, sizeof *pub->rows);
    pub->held = msgbus_calloc(*n ? *n : 1, sizeof *pub->held);
    if (!pub->rows || !pub->held) {
        msgbus_outbox_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "nats relay: out of memory");
    }
    for (size_t i = 0; i < *n; i++) {
        memcpy(pub->rows[i].id, (*rows)[i].id, sizeof pub->rows[i].id);
        pub->rows[i].attempts = (*rows)[i].attempts;
        pub->rows[i].type = (*rows)[i].type;
    }
    pub->n_rows = *n;
    return 0;
}

static int w_mark_processed(void *self, const char *id, int64_t now, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    if (pub->depth == 0)
        return pub->inner->ops->mark_processed(pub->inner->self, id, now, err);
    for (size_t k = 0; k < pub->n_rows; k++) {
        size_t i = (pub->next_row + k) % pub->n_rows;
        if (strcmp(pub->rows[i].id, id) == 0) {
            pub->held[pub->n_held++] = pub->rows[i];
            pub->next_row = i + 1;
            return 0;
        }
    }
    return msgbus_error_set(err, MSGBUS_ESTATE, NULL, "nats relay: row %s was not claimed", id);
}

static int w_mark_failed(void *self, const char *id, const char *error, int64_t at,
                         msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->mark_failed(pub->inner->self, id, error, at, err);
}

static int w_dead_letter(void *self, const char *id, const char *error, int64_t now,
                         msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->dead_letter(pub->inner->self, id, error, now, err);
}

static int w_release(void *self, const char *id, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->release ? pub->inner->ops->release(pub->inner->self, id, err) : 0;
}

static int w_reclaim(void *self, int64_t now, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->reclaim(pub->inner->self, now, n, err);
}

static int w_counts(void *self, int64_t now, msgbus_outbox_counts *out, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->counts(pub->inner->self, now, out, err);
}

static int w_list(void *self, msgbus_outbox_state state, size_t limit, msgbus_outbox_row **rows,
                  size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->list(pub->inner->self, state, limit, rows, n, err);
}

static int w_get(void *self, const char *id, msgbus_outbox_row *row, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->get(pub->inner->self, id, row, err);
}

static int w_retry(void *self, const char *id, int64_t now, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->retry(pub->inner->self, id, now, n, err);
}

static int w_purge(void *self, int64_t before, size_t limit, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->inner->ops->purge(pub->inner->self, before, limit, n, err);
}

static int w_list_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                           msgbus_outbox_row **rows, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    if (!pub->inner->ops->list_filtered)
        return msgbus_error_set(err, MSGBUS_ENOTSUP, NULL, "outbox list: no filters");
    return pub->inner->ops->list_filtered(pub->inner->self, f, now, rows, n, err);
}

static int w_retry_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                            bool dry_run, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    if (!pub->inner->ops->retry_filtered)
        return msgbus_error_set(err, MSGBUS_ENOTSUP, NULL, "outbox retry: no filters");
    return pub->inner->ops->retry_filtered(pub->inner->self, f, now, dry_run, n, err);
}

static int w_purge_filtered(void *self, const msgbus_outbox_filter *f, int64_t now,
                            bool dry_run, size_t *n, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    if (!pub->inner->ops->purge_filtered)
        return msgbus_error_set(err, MSGBUS_ENOTSUP, NULL, "outbox purge: no filters");
    return pub->inner->ops->purge_filtered(pub->inner->self, f, now, dry_run, n, err);
}

static int w_begin_batch(void *self, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    int rc = pub->inner->ops->begin_batch(pub->inner->self, err);
    if (rc == 0 && pub->depth++ == 0) {
        forget_acks(pub);
        pub->n_rows = pub->n_held = 0;
    }
    return rc;
}

/* Marks the held rows by their PubAcks, inside the batch.  A row whose
 * PubAck never came, or failed for want of the server, is a transport
 * failure: it is given back with its attempts unchanged (the broker may
 * hold it: its republication has the same Nats-Msg-Id), and the relay
 * step then returns MSGBUS_EUNAVAILABLE.  Only the broker's refusal of
 * that message counts as a failed attempt. */
static int settle(msgbus_nats_publisher *pub, msgbus_error *err)
{
    const msgbus_outbox_repo_ops *ops = pub->inner->ops;
    int64_t now = pub->opts && pub->opts->now ? pub->opts->now : msgbus_outbox_now();
    int rc = 0;
    size_t hint = 0;
    wait_for_acks(pub);
    for (size_t i = 0; i < pub->n_held && rc == 0; i++) {
        const claimed *row = &pub->held[i];
        ack a = ack_of(pub, row->id, &hint);
        int attempts = row->attempts + 1;
        if (a.ok) {
            rc = ops->mark_processed(pub->inner->self, row->id, now, err);
            ack_event(pub->bus, MSGBUS_EVENT_PUBLISH_ACKED, row->id, row->type, attempts, NULL, 0);
            continue;
        }
        if (transport_failure(pub, &a, row->type)) {
            if (!pub->unavailable[0])
                snprintf(pub->unavailable, sizeof pub->unavailable,
                         "nats.publish: row %s: no PubAck: %.80s (ack timeout %lld ms)",
                         row->id, a.error, (long long)pub->ack_timeout_ms);
            /* The relay counted the row processed when it was published. */
            if (pub->stats && pub->stats->processed > 0)
                pub->stats->processed--;
            ack_event_code(pub->bus, MSGBUS_EVENT_PUBLISH_FAILED, row->id, row->type, attempts,
                           pub->unavailable, MSGBUS_EUNAVAILABLE, 0);
            if (ops->release)
                rc = ops->release(pub->inner->self, row->id, err);
            continue;
        }
        char why[200];
        snprintf(why, sizeof why, "nats.publish: no PubAck: %s", a.error);
        ack_event(pub->bus, MSGBUS_EVENT_PUBLISH_FAILED, row->id, row->type, attempts, why, 0);
        /* The relay counted the row processed when it was published. */
        if (pub->stats && pub->stats->processed > 0)
            pub->stats->processed--;
        if (pub->opts && attempts >= pub->opts->max_attempts) {
            if (pub->stats)
                pub->stats->dead_lettered++;
            rc = ops->dead_letter(pub->inner->self, row->id, why, now, err);
            ack_event(pub->bus, MSGBUS_EVENT_DEAD_LETTERED, row->id, row->type, attempts, why, 0);
        } else {
            uint64_t r = 0;
            if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
                r = (uint64_t)now;
            int64_t delay = pub->opts ? msgbus_outbox_backoff(pub->opts, attempts, r) : 1000;
            if (pub->stats)
                pub->stats->failed++;
            rc = ops->mark_failed(pub->inner->self, row->id, why, now + delay, err);
            ack_event(pub->bus, MSGBUS_EVENT_RETRY_SCHEDULED, row->id, row->type, attempts, why,
                      delay);
        }
    }
    pub->n_held = 0;
    return rc;
}

static int w_end_batch(void *self, bool commit, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    int rc = 0;
    if (pub->depth == 1 && commit)
        rc = settle(pub, err);
    if (pub->depth > 0)
        pub->depth--;
    int end = pub->inner->ops->end_batch(pub->inner->self, commit && rc == 0,
                                         rc == 0 ? err : NULL);
    return rc < 0 ? rc : end;
}

/* Publishing writes nothing to the database: a row needs its own unit of
 * work (a savepoint) only when the caller's handlers run before it. */
static int w_begin_row(void *self, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->rows_write ? pub->inner->ops->begin_row(pub->inner->self, err) : 0;
}

static int w_end_row(void *self, bool commit, msgbus_error *err)
{
    msgbus_nats_publisher *pub = self;
    return pub->rows_write ? pub->inner->ops->end_row(pub->inner->self, commit, err) : 0;
}

static void w_free(void *self)
{
    (void)self;     /* the publisher owns itself */
}

static const msgbus_outbox_repo_ops wrapped_ops = {
    .insert = w_insert, .claim = w_claim, .mark_processed = w_mark_processed,
    .mark_failed = w_mark_failed, .dead_letter = w_dead_letter, .reclaim = w_reclaim,
    .counts = w_counts, .list = w_list, .get = w_get, .retry = w_retry, .purge = w_purge,
    .begin_batch = w_begin_batch, .end_batch = w_end_batch, .begin_row = w_begin_row,
    .end_row = w_end_row, .free = w_free,
    .list_filtered = w_list_filtered, .retry_filtered = w_retry_filtered,
    .purge_filtered = w_purge_filtered, .release = w_release,
};

/* Without transaction hooks there are no batches: forward none. */
static const msgbus_outbox_repo_ops plain_ops = {
    .insert = w_insert, .claim = w_claim, .mark_processed = w_mark_processed,
    .mark_failed = w_mark_failed, .dead_letter = w_dead_letter, .reclaim = w_reclaim,
    .counts = w_counts, .list = w_list, .get = w_get, .retry = w_retry, .purge = w_purge,
    .free = w_free,
    .list_filtered = w_list_filtered, .retry_filtered = w_retry_filtered,
    .purge_filtered = w_purge_filtered, .release = w_release,
};

/* ---- the publisher --------------------------------------------------------- */

void msgbus_nats_publisher_free(msgbus_nats_publisher *pub)
{
    if (!pub)
        return;
    if (pub->js) {
        wait_for_acks(pub);
        jsCtx_Destroy(pub->js);
    }
    msgbus_outbox_repo_free(pub->wrapped);
    pthread_mutex_destroy(&pub->lock);
    msgbus_free(pub->acks);
    msgbus_free(pub->rows);
    msgbus_free(pub->held);
    msgbus_free(pub->source);
    msgbus_free(pub->prefix);
    msgbus_buf_clear(&pub->event);
    msgbus_free(pub);
}

int msgbus_nats_publisher_new(natsConnection *nc, msgbus_outbox_repo *repo,
                              const msgbus_nats_publisher_options *opts,
                              msgbus_nats_publisher **out, msgbus_error *err)
{
    msgbus_nats_publisher_options defaults;
    if (!opts) {
        msgbus_nats_publisher_options_init(&defaults);
        opts = &defaults;
    }
    if (!out || !nc || !repo || opts->max_in_flight <= 0 || opts->ack_timeout_ms <= 0)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "nats publisher: invalid arguments");
    *out = NULL;
    msgbus_nats_publisher *pub = msgbus_calloc(1, sizeof *pub);
    if (!pub)
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "nats publisher: out of memory");
    pthread_mutex_init(&pub->lock, NULL);
    pub->nc = nc;
    pub->inner = repo;
    pub->ack_timeout_ms = opts->ack_timeout_ms;
    pub->source = msgbus_strdup(opts->source ? opts->source : "msgbus");
    pub->prefix = msgbus_strdup(opts->subject_prefix);
    const msgbus_outbox_repo_ops *ops = repo->ops->begin_batch && repo->ops->end_batch &&
                                        repo->ops->begin_row && repo->ops->end_row
                                      ? &wrapped_ops : &plain_ops;
    pub->wrapped = msgbus_outbox_repo_new(ops, pub);
    if (!pub->source || !pub->wrapped || (opts->subject_prefix && !pub->prefix)) {
        msgbus_nats_publisher_free(pub);
        return msgbus_error_set(err, MSGBUS_ENOMEM, NULL, "nats publisher: out of memory");
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = opts->max_in_flight;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = pub;
    jo.PublishAsync.StallWait = opts->ack_timeout_ms;
    natsStatus s = natsConnection_JetStream(&pub->js, nc, &jo);
    if (s != NATS_OK) {
        msgbus_nats_publisher_free(pub);
        return nats_fail(s, 0, "opening JetStream", err);
    }
    *out = pub;
    return 0;
}

int msgbus_nats_relay(msgbus_bus *bus, msgbus_nats_publisher *pub,
                      const msgbus_outbox_options *opts, msgbus_outbox_stats *stats,
                      msgbus_error *err)
{
    msgbus_outbox_options o;
    msgbus_outbox_stats local;
    if (!pub)
        return msgbus_error_set(err, MSGBUS_EINVAL, NULL, "nats relay: no publisher");
    if (opts)
        o = *opts;
    else
        msgbus_outbox_options_init(&o);
    if (!stats)
        stats = &local;
    /* The caller's handlers first, then the publish handler. */
    enum { MAX_HANDLERS = 16 };
    msgbus_outbox_handler handlers[MAX_HANDLERS + 1];
    if (o.n_handlers > MAX_HANDLERS)
        return msgbus_error_set(err, MSGBUS_ELIMIT, NULL, "nats relay: at most %d handlers",
                                MAX_HANDLERS);
    for (size_t i = 0; i < o.n_handlers; i++)
        handlers[i] = o.handlers[i];
    handlers[o.n_handlers] = (msgbus_outbox_handler){ "nats.publish", publish_row, pub };
    o.handlers = handlers;
    o.n_handlers++;
    pub->bus = bus;
    pub->opts = &o;
    pub->rows_write = o.n_handlers > 1;
    /* Rows without a PubAck are moved from processed to failed or dead
     * when the batch settles, before the relay reports the batch. */
    pub->stats = stats;
    pub->unavailable[0] = '\0';
    pub->checked_subject[0] = '\0';
    int rc = msgbus_process_outbox(bus, pub->wrapped, &o, stats, err);
    pub->stats = NULL;
    /* The marks of the acked rows are committed; say the server is gone. */
    if (rc == 0 && pub->unavailable[0])
        rc = msgbus_error_set(err, MSGBUS_EUNAVAILABLE, NULL, "%s", pub->unavailable);
    pub->opts = NULL;
    pub->bus = NULL;
    return rc;
}
