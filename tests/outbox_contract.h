/* outbox_contract.h - behaviour every outbox repository must show, run
 * against the memory repository (test_outbox), SQLite (test_outbox_sqlite)
 * and PostgreSQL (test_pg). */
#ifndef OUTBOX_CONTRACT_H
#define OUTBOX_CONTRACT_H

#include <check.h>
#include <msgbus/msgbus.h>

/* Provided by each test program: a fresh, empty repository, and its end. */
msgbus_outbox_repo *test_repo_new(void);
void test_repo_free(msgbus_outbox_repo *repo);

TCase *outbox_contract_tcase(void);

#endif /* OUTBOX_CONTRACT_H */
