/* outbox_retry.c - msgbus-outbox retry: make rows pending again (one by
 * id, every dead row, or what a filter selects), or count them with
 * --dry-run. */
#include "outbox_tool.h"

int outbox_cmd_retry(outbox_tool *t, int argc, char **argv)
{
    enum { OPT_ALL_DEAD = OUTBOX_OPT_FIRST_FREE, OPT_DRY_RUN };
    static const struct option longopts[] = {
        OUTBOX_FILTER_OPTIONS,
        { "all-dead", no_argument, NULL, OPT_ALL_DEAD },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { NULL, 0, NULL, 0 },
    };
    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    bool dry_run = false, state_set = false, filtered = false;
    int c;
    outbox_getopt_start(argv[0]);
    while ((c = outbox_getopt(argc, argv, "", longopts)) != -1) {
        if (c == '?')
            return 2;
        if (c == OPT_DRY_RUN) {
            dry_run = true;
            continue;
        }
        if (c == OPT_ALL_DEAD)
            c = OUTBOX_OPT_DEAD;
        if (outbox_filter_option(c, optarg, &f, &state_set) != 1)
            return 2;
        filtered = true;
    }
    if (argc - optind > 1)
        return outbox_usage("retry: unexpected argument %s", argv[optind + 1]);
    if (optind < argc)
        f.id = argv[optind];
    else if (!filtered)
        return outbox_usage("retry needs a row id, --all-dead or a filter"
                            " (--dead, --type, --error-contains ...)");
    if (f.state == MSGBUS_OUTBOX_PROCESSED)
        return outbox_usage("retry: processed rows are not retried");
    int opened = outbox_open(t);
    if (opened != 0)
        return opened;
    size_t n = 0;
    msgbus_error err;
    if (msgbus_outbox_retry_filtered(t->repo, &f, dry_run, &n, &err) < 0)
        return outbox_fail(t, &err);
    if (f.id && n == 0 && !filtered) {
        msgbus_error_set(&err, MSGBUS_ENOTFOUND, NULL,
                         "no row %s that can be retried (unknown, processed or leased)", f.id);
        return outbox_fail(t, &err);
    }
    printf("%zu row%s %s pending\n", n, n == 1 ? "" : "s", dry_run ? "would be made" : "made");
    return 0;
}
