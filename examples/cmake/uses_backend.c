/* uses_backend.c - links one msgbus backend through its CMake target
 * (msgbus::sqlite, msgbus::pg or msgbus::nats) and calls into it. */
#include <stdio.h>
#include <msgbus/msgbus.h>
#if defined(USES_sqlite)
#include <msgbus/sqlite.h>
#elif defined(USES_pg)
#include <msgbus/pg.h>
#elif defined(USES_nats)
#include <msgbus/nats.h>
#endif

int main(void)
{
#if defined(USES_sqlite)
    sqlite3 *db;
    msgbus_outbox_repo *repo;
    msgbus_error err;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        msgbus_sqlite_outbox_new(db, NULL, 0, &repo, &err) < 0)
        return 1;
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
#elif defined(USES_pg)
    /* No server here: only that the library links. */
    int (*volatile pg_new)(PGconn *, const char *, unsigned, msgbus_outbox_repo **,
                           msgbus_error *) = msgbus_pg_outbox_new;
    if (!pg_new)
        return 1;
#elif defined(USES_nats)
    msgbus_nats_publisher_options po;
    msgbus_nats_publisher_options_init(&po);
#endif
    puts(msgbus_strerror(MSGBUS_EINVAL));
    return 0;
}
