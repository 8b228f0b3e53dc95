/* outbox_purge.c - msgbus-outbox purge: delete processed or dead rows
 * that ended before a time, in batches, or count them with --dry-run. */
#include "outbox_tool.h"

int outbox_cmd_purge(outbox_tool *t, int argc, char **argv)
{
    enum { OPT_BEFORE = OUTBOX_OPT_FIRST_FREE, OPT_PROCESSED_BEFORE, OPT_BATCH, OPT_DRY_RUN };
    static const struct option longopts[] = {
        OUTBOX_FILTER_OPTIONS,
        { "before", required_argument, NULL, OPT_BEFORE },
        { "processed-before", required_argument, NULL, OPT_PROCESSED_BEFORE },
        { "batch", required_argument, NULL, OPT_BATCH },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { NULL, 0, NULL, 0 },
    };
    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    bool dry_run = false, state_set = false, have_before = false;
    size_t batch = 1000, limit = 0;
    int c;
    outbox_getopt_start(argv[0]);
    while ((c = outbox_getopt(argc, argv, "", longopts)) != -1) {
        if (c == '?')
            return 2;
        if (c == OPT_DRY_RUN) {
            dry_run = true;
        } else if (c == OPT_BATCH) {
            if (outbox_parse_count(optarg, false, &batch) < 0)
                return outbox_usage("bad --batch: %s (a positive count)", optarg);
        } else if (c == OPT_BEFORE || c == OPT_PROCESSED_BEFORE) {
            if (outbox_parse_time(optarg, msgbus_outbox_now(), &f.ended_before) < 0)
                return outbox_usage("bad %s: %s (use 30d, 12h, 90m, 45s or 2024-05-01T00:00:00Z)",
                                    c == OPT_BEFORE ? "--before" : "--processed-before", optarg);
            have_before = true;
            /* The older form: --processed-before TIME. */
            if (c == OPT_PROCESSED_BEFORE &&
                outbox_filter_option(OUTBOX_OPT_PROCESSED, NULL, &f, &state_set) != 1)
                return 2;
        } else if (outbox_filter_option(c, optarg, &f, &state_set) != 1) {
            return 2;
        }
    }
    if (optind < argc)
        return outbox_usage("purge: unexpected argument %s", argv[optind]);
    if (f.state != MSGBUS_OUTBOX_PROCESSED && f.state != MSGBUS_OUTBOX_DEAD)
        return outbox_usage("purge needs --processed or --dead (pending rows are never purged)");
    if (!have_before)
        return outbox_usage("purge needs --before DURATION|TIME (--before 0s: all)");
    int opened = outbox_open(t);
    if (opened != 0)
        return opened;
    limit = f.limit;
    msgbus_error err;
    size_t total = 0, n;
    if (dry_run) {
        if (msgbus_outbox_purge_filtered(t->repo, &f, true, &n, &err) < 0)
            return outbox_fail(t, &err);
        printf("%zu row%s would be purged\n", n, n == 1 ? "" : "s");
        return 0;
    }
    /* Batches hold locks briefly; --limit bounds the whole run. */
    do {
        f.limit = limit && limit - total < batch ? limit - total : batch;
        if (msgbus_outbox_purge_filtered(t->repo, &f, false, &n, &err) < 0)
            return outbox_fail(t, &err);
        total += n;
    } while (n == f.limit && (!limit || total < limit));
    printf("%zu row%s purged\n", total, total == 1 ? "" : "s");
    return 0;
}
