/* outbox_list.c - msgbus-outbox list: the rows a filter selects, as a
 * table with a header (values escaped, one row per line) or NDJSON. */
#include "outbox_tool.h"

int outbox_cmd_list(outbox_tool *t, int argc, char **argv)
{
    enum { OPT_JSON = OUTBOX_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        OUTBOX_FILTER_OPTIONS,
        { "offset", required_argument, NULL, OUTBOX_OPT_OFFSET },
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    f.limit = 100;
    bool json = false, state_set = false;
    int c;
    outbox_getopt_start(argv[0]);
    while ((c = outbox_getopt(argc, argv, "", longopts)) != -1) {
        if (c == '?')
            return 2;
        if (c == OPT_JSON) {
            json = true;
            continue;
        }
        int done = outbox_filter_option(c, optarg, &f, &state_set);
        if (done != 1)
            return 2;
    }
    if (optind < argc)
        return outbox_usage("list: unexpected argument %s", argv[optind]);
    int opened = outbox_open(t);
    if (opened != 0)
        return opened;
    msgbus_outbox_row *rows;
    size_t n;
    msgbus_error err;
    if (msgbus_outbox_list_filtered(t->repo, &f, &rows, &n, &err) < 0)
        return outbox_fail(t, &err);
    int status = 0;
    if (!json)
        printf("ID\tKIND\tTYPE\tSTATE\tATTEMPTS\tTIME\tLAST_ERROR\n");
    for (size_t i = 0; i < n && status == 0; i++) {
        const msgbus_outbox_row *r = &rows[i];
        if (json) {
            json_t *o = outbox_row_json(r);
            status = !o || outbox_put_json_line(stdout, o) < 0;
            json_decref(o);
            continue;
        }
        /* TIME: when it was processed, dead-lettered, or is next due. */
        char at[MSGBUS_TIMESTAMP_TEXT_SIZE];
        int64_t when = r->processed_at ? r->processed_at : r->dead_at ? r->dead_at : r->available_at;
        outbox_put_escaped(stdout, r->id);
        printf("\t%s\t", outbox_kind_name(r->kind));
        outbox_put_escaped(stdout, r->type);
        printf("\t%s\t%d\t%s\t", outbox_state_name(r), r->attempts, outbox_time_text(when, at));
        outbox_put_escaped(stdout, r->last_error);
        putchar('\n');
    }
    msgbus_outbox_rows_free(rows, n);
    if (status)
        fprintf(stderr, "%s: cannot write the rows\n", OUTBOX_PROG);
    return status;
}
