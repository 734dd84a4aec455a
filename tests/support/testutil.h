/*
 * testutil.h - helpers shared by the cmocka tests.
 *
 * Integration tests get server URLs from the environment that
 * tests/servers/servers.sh writes (SLUICE_TEST_PG_URL, SLUICE_TEST_MY_URL).
 * When a URL is missing the test is skipped - unless SLUICE_TEST_REQUIRE=1
 * (set by `make check`), where a missing server is a failure.
 *
 * Each test that needs a database calls sl_test_scratch_url(), which creates
 * a fresh, uniquely named database (SQLite: a temp file) and returns its URL;
 * sl_test_scratch_drop() removes it.
 */
#ifndef SLUICE_TESTUTIL_H
#define SLUICE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sluice/conn.h"
#include "sluice/error.h"

/* Engines a test may run on. */
typedef enum { SL_TEST_SQLITE, SL_TEST_PG, SL_TEST_MY, SL_TEST__N } sl_test_engine;

const char *sl_test_engine_name(sl_test_engine e);
/* The server URL for e (SQLite: NULL), or NULL when not configured. */
const char *sl_test_server_url(sl_test_engine e);
/* True when the engine can be tested now; otherwise skips (or fails under SLUICE_TEST_REQUIRE=1). */
int sl_test_available(sl_test_engine e);

/* Creates a fresh empty database and returns its URL (malloc'd). */
char *sl_test_scratch_url(sl_test_engine e);
void sl_test_scratch_drop(sl_test_engine e, char *url);

/*
 * Two scratch databases on two engines, open: the state of tests that
 * compare or move data between a source and a target. The setups skip when
 * an engine is unavailable; the teardown closes and drops both.
 */
typedef struct sl_test_pair {
	sl_test_engine se, de;
	char *surl, *durl;
	sl_conn *s, *d;
} sl_test_pair;

int sl_test_pair_setup(void **state, sl_test_engine se, sl_test_engine de);
int sl_test_pair_teardown(void **state);
int sl_test_pair_sqlite_sqlite(void **state);
int sl_test_pair_sqlite_pg(void **state);
int sl_test_pair_sqlite_my(void **state);
int sl_test_pair_pg_my(void **state);
int sl_test_pair_my_sqlite(void **state);

/* Opens url or fails the test with the library's message. */
sl_conn *sl_test_open(const char *url);
/* Runs sql or fails the test with the message. */
void sl_test_exec(sl_conn *c, const char *sql);
int64_t sl_test_int(sl_conn *c, const char *sql);

/*
 * A scratch database of engine e loaded with tests/fixtures/<set>/<engine>.sql
 * (engine: sqlite, postgres or mysql); returns its URL (malloc'd, drop it with
 * sl_test_scratch_drop).
 */
char *sl_test_load_fixture(sl_test_engine e, const char *set);

/* Runs a shell command, capturing stdout+stderr into *out (malloc'd); returns the exit status. */
int sl_test_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails the test printing the last sluice error when rc != 0. */
#define SL_OK_OR_FAIL(expr)                                                                                  \
	do {                                                                                                 \
		int rc_ = (expr);                                                                            \
		if (rc_ != 0)                                                                                \
			fail_msg("%s -> %d: %s", #expr, rc_, sl_error_last()->message);                      \
	} while (0)

#endif
