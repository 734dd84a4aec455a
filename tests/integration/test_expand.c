/*
 * test_expand.c - expand/contract migrations under load, on SQLite,
 * PostgreSQL and MariaDB, driving the real binary.
 *
 * A table of seeded accounts gets a migration that renames a column and
 * changes a type (integer cents to a decimal amount). Two writers run at
 * full speed, one through the old shape (the base table) and one through the
 * new version's views; each inserts rows, updates the seeded rows it owns,
 * reads back its own writes and reads the other's rows through its own
 * shape. The scenarios:
 *
 *   contract  the backfill is SIGKILLed half-way and resumed, both writers
 *             run while both versions are live, contract (refused on
 *             PostgreSQL while the old writer is connected), the new writer
 *             keeps writing, and the table is diffed (`sluice diff`) against
 *             an expected table built from what the writers wrote;
 *   down      both writers run in expand, then `sluice down` while the old
 *             writer keeps writing; the old shape, diffed against the
 *             expected table, holds every write of both.
 */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sluice/conn.h"

#define NSEED    20000
#define OLD_BASE 1000000
#define NEW_BASE 2000000

/* ---- the project ----------------------------------------------------------------------------------- */

static const char INIT[] =
	"-- title: accounts\n"
	"-- +sluice up dialect=postgres\n"
	"CREATE TABLE accounts (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, balance INTEGER);\n"
	"INSERT INTO accounts SELECT g, 's' || g, (g * 7) %% 100000 FROM generate_series(1, %d) g;\n"
	"-- +sluice up dialect=mysql\n"
	"CREATE TABLE accounts (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, balance INTEGER);\n"
	"INSERT INTO accounts SELECT g, CONCAT('s', g), (g * 7) %% 100000 FROM (SELECT a.n + 10 * b.n + 100 "
	"* c.n\n"
	"  + 1000 * d.n + 10000 * e.n + 1 AS g FROM (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION "
	"ALL\n"
	"  SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL "
	"SELECT 8\n"
	"  UNION ALL SELECT 9) a, (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION "
	"ALL\n"
	"  SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL "
	"SELECT 9) b,\n"
	"  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION "
	"ALL\n"
	"  SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,\n"
	"  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION "
	"ALL\n"
	"  SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d,\n"
	"  (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION "
	"ALL\n"
	"  SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e) s WHERE "
	"g <= %d;\n"
	"-- +sluice up dialect=sqlite\n"
	"CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, balance INTEGER);\n"
	"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d)\n"
	"  INSERT INTO accounts SELECT g, 's' || g, (g * 7) %% 100000 FROM s;\n"
	"-- +sluice down\n"
	"DROP TABLE accounts;\n";

static const char EXPAND[] =
	"-- title: balance in currency units, name is full_name\n"
	"-- +sluice expand dialect=postgres\n"
	"rename column accounts.name to full_name;\n"
	"change type accounts.balance to numeric(14,2) up (balance::numeric / 100) down (round(balance * "
	"100)::integer);\n"
	"-- +sluice expand dialect=mysql\n"
	"rename column accounts.name to full_name;\n"
	"change type accounts.balance to decimal(14,2) up (balance / 100) down (round(balance * 100));\n"
	"-- +sluice expand dialect=sqlite\n"
	"rename column accounts.name to full_name;\n"
	"change type accounts.balance to NUMERIC(14,2) up (round(balance / 100.0, 2))\n"
	"  down (CAST(round(balance * 100) AS INTEGER));\n";

typedef struct world {
	sl_test_engine e;
	char *url;
	char dir[256];
	char version[128];
} world;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void world_init(world *w, sl_test_engine e)
{
	char path[400], text[4096];
	memset(w, 0, sizeof(*w));
	w->e = e;
	w->url = sl_test_scratch_url(e);
	snprintf(w->dir, sizeof(w->dir), "%s/sluice-expand-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(w->dir));
	snprintf(path, sizeof(path), "%s/001_accounts.sql", w->dir);
	snprintf(text, sizeof(text), INIT, NSEED, NSEED, NSEED);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/002_balance_units.sql", w->dir);
	write_file(path, EXPAND);
	if (e == SL_TEST_SQLITE) {
		sl_conn *c = sl_test_open(w->url);
		sl_test_exec(c, "PRAGMA journal_mode = WAL");
		sl_conn_close(c);
	}
}

static void drop_version(world *w)
{
	if (w->e != SL_TEST_MY || !w->version[0])
		return;
	sl_conn *c = sl_test_open(sl_test_server_url(w->e));
	char sql[200];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", w->version);
	sl_test_exec(c, sql);
	sl_conn_close(c);
}

static void world_free(world *w)
{
	char *out = NULL;
	drop_version(w);
	sl_test_scratch_drop(w->e, w->url);
	sl_test_run(&out, "rm -rf '%s'", w->dir);
	free(out);
}

/* Runs the binary with args after "sluice"; returns its exit status, output in *out. */
static int sluice(char **out, const world *w, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int sluice(char **out, const world *w, const char *fmt, ...)
{
	char args[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return sl_test_run(out, "'%s' %s --dir '%s'", SLUICE_BINARY, args, w->dir);
}

static int64_t query_int(const char *url, const char *sql, int64_t dflt)
{
	sl_conn *c = NULL;
	int64_t v = dflt;
	if (sl_conn_open(&c, url) == 0 && sl_conn_query_int(c, sql, &v) != 0)
		v = dflt;
	sl_conn_close(c);
	return v;
}

static void read_version(world *w)
{
	sl_conn *c = sl_test_open(w->url);
	char *v = NULL;
	SL_OK_OR_FAIL(
		sl_conn_query_text(c, "SELECT version FROM sluice_migrations_expand WHERE id = '002'", &v));
	assert_non_null(v);
	snprintf(w->version, sizeof(w->version), "%s", v);
	free(v);
	sl_conn_close(c);
}

/* ---- writers --------------------------------------------------------------------------------------- */

typedef struct row {
	int64_t id, cents;
} row;

typedef struct writer {
	world *w;
	bool new_shape;
	pthread_t th;
	atomic_bool stop;
	pthread_mutex_t mu;
	row *inserted; /* immutable once inserted; the other writer reads them */
	size_t ninserted, cap;
	int64_t seeded[NSEED + 1]; /* cents of the seeded rows it owns, -1 untouched */
	struct writer *other;
	long ops, reads_own, reads_other, errors;
	char failure[512]; /* the first wrong read */
	char first_error[512];
	unsigned seed;
} writer;

static const char *table_of(const writer *wr, char *buf, size_t n)
{
	if (wr->new_shape && wr->w->e == SL_TEST_SQLITE)
		snprintf(buf, n, "\"%s_accounts\"", wr->w->version);
	else
		snprintf(buf, n, "accounts");
	return buf;
}

/* The row's name and cents as the writer's shape shows them: 1, 0 when absent, -1 on an error. */
static int read_row(writer *wr, sl_conn *c, int64_t id, char *name, size_t nn, int64_t *cents, bool *is_null)
{
	char sql[256], t[160];
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int found = 0;
	snprintf(sql, sizeof(sql), "SELECT %s, balance FROM %s WHERE id = %lld",
		 wr->new_shape ? "full_name" : "name", table_of(wr, t, sizeof(t)), (long long)id);
	if (sl_conn_query(&cur, c, sql) != 0 || sl_batch_init(&b, 2, 1) != 0) {
		wr->errors++;
		if (!wr->first_error[0])
			snprintf(wr->first_error, sizeof(wr->first_error), "%s", sl_error_last()->message);
		found = -1;
		goto done;
	}
	if (sl_cursor_fetch(cur, &b, 1) > 0) {
		const sl_value *v = sl_batch_row(&b, 0);
		sl_buf s = SL_BUF_INIT;
		sl_value_format(&s, &v[0]);
		snprintf(name, nn, "%s", sl_buf_cstr(&s));
		sl_buf_free(&s);
		*is_null = v[1].type == SL_V_NULL;
		double d = 0;
		if (v[1].type == SL_V_INT)
			d = (double)v[1].u.i;
		else if (v[1].type == SL_V_DOUBLE)
			d = v[1].u.d;
		else if (v[1].type == SL_V_DECIMAL || v[1].type == SL_V_TEXT)
			d = strtod(v[1].u.s.ptr, NULL);
		*cents = wr->new_shape ? (int64_t)(d * 100 + (d >= 0 ? 0.5 : -0.5))
				       : (int64_t)(d + (d >= 0 ? 0.5 : -0.5));
		found = 1;
	}
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return found;
}

static void note_error(writer *wr)
{
	wr->errors++;
	if (!wr->first_error[0])
		snprintf(wr->first_error, sizeof(wr->first_error), "%s", sl_error_last()->message);
}

static void fail_once(writer *wr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_once(writer *wr, const char *fmt, ...)
{
	va_list ap;
	if (wr->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(wr->failure, sizeof(wr->failure), fmt, ap);
	va_end(ap);
}

static void value_sql(const writer *wr, int64_t cents, char *buf, size_t n)
{
	if (wr->new_shape)
		snprintf(buf, n, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
	else
		snprintf(buf, n, "%lld", (long long)cents);
}

static void one_op(writer *wr, sl_conn *c, long k)
{
	char sql[320], t[160], val[40], name[128];
	int64_t cents = rand_r(&wr->seed) % 1000000;
	int64_t got = 0;
	bool null = false;
	value_sql(wr, cents, val, sizeof(val));
	switch (k % 4) {
	case 0:
	case 1: { /* insert a row of its own */
		int64_t id = (wr->new_shape ? NEW_BASE : OLD_BASE) + (int64_t)wr->ninserted;
		snprintf(sql, sizeof(sql), "INSERT INTO %s (id, %s, balance) VALUES (%lld, '%c%lld', %s)",
			 table_of(wr, t, sizeof(t)), wr->new_shape ? "full_name" : "name", (long long)id,
			 wr->new_shape ? 'n' : 'o', (long long)id, val);
		if (sl_conn_exec(c, sql) != 0) {
			note_error(wr);
			return;
		}
		pthread_mutex_lock(&wr->mu);
		if (wr->ninserted == wr->cap) {
			wr->cap = wr->cap ? wr->cap * 2 : 1024;
			wr->inserted = realloc(wr->inserted, wr->cap * sizeof(*wr->inserted));
		}
		wr->inserted[wr->ninserted++] = (row){ .id = id, .cents = cents };
		pthread_mutex_unlock(&wr->mu);
		break;
	}
	case 2: { /* update a seeded row it owns (odd ids: old writer, even: new) */
		int64_t id = 1 + rand_r(&wr->seed) % NSEED;
		if ((id % 2 == 0) != wr->new_shape)
			id = id == NSEED ? id - 1 : id + 1;
		snprintf(sql, sizeof(sql), "UPDATE %s SET balance = %s WHERE id = %lld",
			 table_of(wr, t, sizeof(t)), val, (long long)id);
		if (sl_conn_exec(c, sql) != 0) {
			note_error(wr);
			return;
		}
		wr->seeded[id] = cents;
		if (read_row(wr, c, id, name, sizeof(name), &got, &null) > 0) {
			wr->reads_own++;
			if (null || got != cents)
				fail_once(wr, "%s writer: row %lld reads %lld cents after writing %lld",
					  wr->new_shape ? "new" : "old", (long long)id, (long long)got,
					  (long long)cents);
		}
		break;
	}
	default: { /* read a row the other writer inserted, through this writer's shape */
		writer *o = wr->other;
		row r = { 0 };
		pthread_mutex_lock(&o->mu);
		if (o->ninserted)
			r = o->inserted[rand_r(&wr->seed) % o->ninserted];
		pthread_mutex_unlock(&o->mu);
		if (!r.id)
			break;
		int found = read_row(wr, c, r.id, name, sizeof(name), &got, &null);
		if (found < 0)
			break;
		if (!found) {
			fail_once(wr, "%s writer: row %lld of the other writer is missing",
				  wr->new_shape ? "new" : "old", (long long)r.id);
			break;
		}
		wr->reads_other++;
		char want[64];
		snprintf(want, sizeof(want), "%c%lld", o->new_shape ? 'n' : 'o', (long long)r.id);
		if (null || got != r.cents || strcmp(name, want) != 0)
			fail_once(wr, "%s writer: row %lld of the other reads %s/%lld, written as %s/%lld",
				  wr->new_shape ? "new" : "old", (long long)r.id, name, (long long)got, want,
				  (long long)r.cents);
	}
	}
	wr->ops++;
}

static void *writer_main(void *arg)
{
	writer *wr = arg;
	sl_conn *c = NULL;
	char sql[256];
	if (sl_conn_open(&c, wr->w->url) != 0) {
		fail_once(wr, "writer cannot connect: %s", sl_error_last()->message);
		return NULL;
	}
	if (wr->w->e == SL_TEST_PG) {
		if (wr->new_shape)
			snprintf(sql, sizeof(sql),
				 "SET search_path TO \"%s\", public; SET application_name = 'test@%s'",
				 wr->w->version, wr->w->version);
		else
			snprintf(sql, sizeof(sql), "SET application_name = 'test-old'");
		if (sl_conn_exec(c, sql) != 0)
			fail_once(wr, "writer setup: %s", sl_error_last()->message);
	} else if (wr->w->e == SL_TEST_MY && wr->new_shape) {
		snprintf(sql, sizeof(sql), "USE `%s`", wr->w->version);
		if (sl_conn_exec(c, sql) != 0)
			fail_once(wr, "writer setup: %s", sl_error_last()->message);
	}
	for (long k = 0; !atomic_load(&wr->stop); k++) {
		one_op(wr, c, k);
		/*
		 * SQLite has one writer at a time and its busy handler backs off for
		 * milliseconds: without a pause, the writer that just committed takes
		 * the lock again and again and the other starves.
		 */
		if (wr->w->e == SL_TEST_SQLITE)
			usleep(500);
	}
	sl_conn_close(c);
	return NULL;
}

/* Both writers are set up before either starts: each reads the other's list of rows. */
static void writers_init(writer *old, writer *nw, world *w)
{
	for (int k = 0; k < 2; k++) {
		writer *wr = k ? nw : old;
		memset(wr, 0, sizeof(*wr));
		wr->w = w;
		wr->new_shape = k == 1;
		wr->other = k ? old : nw;
		wr->seed = k ? 7 : 11;
		for (size_t i = 0; i <= NSEED; i++)
			wr->seeded[i] = -1;
		pthread_mutex_init(&wr->mu, NULL);
	}
}

static void writer_start(writer *wr)
{
	assert_int_equal(pthread_create(&wr->th, NULL, writer_main, wr), 0);
}

static void writer_stop(writer *wr)
{
	atomic_store(&wr->stop, true);
	pthread_join(wr->th, NULL);
}

static void writers_free(writer *old, writer *nw)
{
	for (int k = 0; k < 2; k++) {
		writer *wr = k ? nw : old;
		free(wr->inserted);
		wr->inserted = NULL;
		pthread_mutex_destroy(&wr->mu);
	}
}

static void writer_check(const writer *wr, bool errors_allowed)
{
	print_message(
		"  %s writer: %ld operations, %ld own reads, %ld reads of the other's rows, %ld errors%s%s\n",
		wr->new_shape ? "new" : "old", wr->ops, wr->reads_own, wr->reads_other, wr->errors,
		wr->errors ? "; first: " : "", wr->first_error);
	if (wr->failure[0])
		fail_msg("%s", wr->failure);
	assert_true(wr->ops > 100);
	assert_true(wr->reads_own > 0);
	if (!errors_allowed)
		assert_int_equal(wr->errors, 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- the expected table ------------------------------------------------------------------------------ */

/*
 * A database of the same engine holding table accounts as both writers
 * wrote it, in the new shape (full_name, balance in units) or the old one
 * (name, balance in cents). Returns its URL.
 */
static char *expected_db(world *w, writer *old, writer *nw, bool new_shape)
{
	char *url = sl_test_scratch_url(w->e);
	sl_conn *c = sl_test_open(url);
	sl_buf b = SL_BUF_INIT;
	const char *dec = w->e == SL_TEST_SQLITE ? "NUMERIC(14,2)"
			  : w->e == SL_TEST_PG   ? "numeric(14,2)"
						 : "decimal(14,2)";
	sl_buf_printf(&b, "CREATE TABLE accounts (id %s PRIMARY KEY, %s VARCHAR(100) NOT NULL, balance %s)",
		      w->e == SL_TEST_SQLITE ? "INTEGER" : "BIGINT", new_shape ? "full_name" : "name",
		      new_shape ? dec : "INTEGER");
	sl_test_exec(c, sl_buf_cstr(&b));
	sl_buf_clear(&b);
	size_t n = 0;
	sl_test_exec(c, w->e == SL_TEST_MY ? "START TRANSACTION" : "BEGIN");
	for (int pass = 0; pass < 3; pass++) {
		writer *wr = pass == 1 ? old : nw;
		size_t count = pass == 0 ? NSEED : wr->ninserted;
		for (size_t i = 0; i < count; i++) {
			int64_t id, cents;
			char name[32];
			if (pass == 0) {
				id = (int64_t)i + 1;
				writer *owner = id % 2 ? old : nw;
				cents = owner->seeded[id] >= 0 ? owner->seeded[id] : (id * 7) % 100000;
				snprintf(name, sizeof(name), "s%lld", (long long)id);
			} else {
				id = wr->inserted[i].id;
				cents = wr->inserted[i].cents;
				snprintf(name, sizeof(name), "%c%lld", wr->new_shape ? 'n' : 'o',
					 (long long)id);
			}
			if (!b.len)
				sl_buf_printf(&b, "INSERT INTO accounts VALUES ");
			else
				sl_buf_puts(&b, ", ");
			if (new_shape)
				sl_buf_printf(&b, "(%lld, '%s', %lld.%02lld)", (long long)id, name,
					      (long long)(cents / 100), (long long)(cents % 100));
			else
				sl_buf_printf(&b, "(%lld, '%s', %lld)", (long long)id, name,
					      (long long)cents);
			if (++n % 500 == 0) {
				sl_test_exec(c, sl_buf_cstr(&b));
				sl_buf_clear(&b);
			}
		}
	}
	if (b.len)
		sl_test_exec(c, sl_buf_cstr(&b));
	sl_test_exec(c, "COMMIT");
	sl_buf_free(&b);
	sl_conn_close(c);
	return url;
}

static void diff_against(world *w, writer *old, writer *nw, bool new_shape)
{
	char *out = NULL;
	char *exp = expected_db(w, old, nw, new_shape);
	int rc = sl_test_run(&out, "'%s' diff '%s' '%s' --tables accounts", SLUICE_BINARY, w->url, exp);
	if (rc != 0)
		fail_msg("diff against the expected table: exit %d\n%s", rc, out);
	print_message("  diff against the expected table (%zu + %zu inserted rows): identical\n",
		      old->ninserted, nw->ninserted);
	free(out);
	sl_test_scratch_drop(w->e, exp);
}

/* ---- scenarios ----------------------------------------------------------------------------------------- */

/* Starts `sluice up` and SIGKILLs it once the backfill has committed some batches but not finished. */
static int64_t kill_during_backfill(world *w)
{
	char batch_sql[] = "SELECT batches FROM sluice_migrations_backfill WHERE done = 0";
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(SLUICE_BINARY, SLUICE_BINARY, "up", w->url, "--dir", w->dir, "--batch-size", "400",
		      "--throttle", "30", "--lock-timeout", "60", (char *)NULL);
		_exit(127);
	}
	int64_t batches = -1;
	for (int i = 0; i < 3000 && batches < 3; i++) {
		sleep_ms(10);
		batches = query_int(w->url, batch_sql, -1);
	}
	kill(pid, SIGKILL);
	int st = 0;
	waitpid(pid, &st, 0);
	assert_true(WIFSIGNALED(st));
	batches = query_int(w->url, batch_sql, -1);
	print_message("  backfill killed after %lld committed batches\n", (long long)batches);
	assert_true(batches >= 3);
	return batches;
}

static void scenario_contract(sl_test_engine e)
{
	world w;
	writer old, nw;
	char *out = NULL;
	if (!sl_test_available(e))
		skip();
	world_init(&w, e);
	assert_int_equal(sluice(&out, &w, "up '%s' --to 001 --lock-timeout 60", w.url), 0);
	free(out);
	writers_init(&old, &nw, &w);
	writer_start(&old);
	int64_t batches = kill_during_backfill(&w);
	assert_int_equal(
		query_int(w.url,
			  "SELECT count(*) FROM sluice_migrations WHERE id = '002' AND status = 'expanding'",
			  0),
		1);
	assert_int_equal(sluice(&out, &w, "status '%s'", w.url), 0);
	if (!strstr(out, "interrupted"))
		fail_msg("status after the kill does not say the backfill was interrupted:\n%s", out);
	free(out);
	assert_int_equal(sluice(&out, &w, "up '%s' --lock-timeout 60 --batch-size 400", w.url), 0);
	if (!strstr(out, "resuming"))
		fail_msg("the second up did not resume:\n%s", out);
	free(out);
	assert_true(query_int(w.url, "SELECT batches FROM sluice_migrations_backfill WHERE done = 1", 0) >
		    batches);
	read_version(&w);
	writer_start(&nw);
	sleep_ms(2000);
	if (e == SL_TEST_PG) { /* the old writer's session shows no version: contract needs a confirmation */
		int rc = sluice(&out, &w, "contract '%s'", w.url);
		if (rc != 5 || !strstr(out, "session"))
			fail_msg("contract with the old writer connected: exit %d\n%s", rc, out);
		free(out);
	}
	writer_stop(&old);
	/* PostgreSQL: every session left names the new version; elsewhere only a confirmation will do */
	int rc = sluice(&out, &w, "contract '%s' --lock-timeout 60%s", w.url,
			e == SL_TEST_PG ? "" : " --confirm");
	if (rc != 0)
		fail_msg("contract: exit %d\n%s", rc, out);
	free(out);
	sleep_ms(500);
	writer_stop(&nw);
	writer_check(&old, false);
	writer_check(&nw,
		     e == SL_TEST_MY); /* MySQL views cannot follow a rename: a write may fail meanwhile */
	assert_true(old.reads_other > 0 && nw.reads_other > 0);
	diff_against(&w, &old, &nw, true);
	writers_free(&old, &nw);
	world_free(&w);
}

static void scenario_down(sl_test_engine e)
{
	world w;
	writer old, nw;
	char *out = NULL;
	if (!sl_test_available(e))
		skip();
	world_init(&w, e);
	assert_int_equal(sluice(&out, &w, "up '%s' --to 001 --lock-timeout 60", w.url), 0);
	free(out);
	assert_int_equal(sluice(&out, &w, "up '%s' --batch-size 5000 --lock-timeout 60", w.url), 0);
	free(out);
	read_version(&w);
	writers_init(&old, &nw, &w);
	writer_start(&old);
	writer_start(&nw);
	sleep_ms(1500);
	writer_stop(&nw);
	int rc = sluice(&out, &w, "down '%s' --lock-timeout 60", w.url);
	if (rc != 0)
		fail_msg("down during expand: exit %d\n%s", rc, out);
	free(out);
	sleep_ms(300);
	writer_stop(&old);
	writer_check(&old, false);
	writer_check(&nw, false);
	/* nothing of the expand is left */
	sl_conn *c = sl_test_open(w.url);
	sl_schema *m = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	SL_OK_OR_FAIL(sl_conn_introspect(&m, c, &io));
	sl_table *t = sl_schema_find_table(m, NULL, "accounts");
	assert_non_null(t);
	assert_int_equal(t->ncolumns, 3);
	assert_int_equal(m->nviews, 0);
	assert_int_equal(m->ntriggers, 0);
	sl_schema_free(m);
	sl_conn_close(c);
	diff_against(&w, &old, &nw, false);
	writers_free(&old, &nw);
	world_free(&w);
}

static void contract_sqlite(void **state)
{
	(void)state;
	scenario_contract(SL_TEST_SQLITE);
}
static void contract_pg(void **state)
{
	(void)state;
	scenario_contract(SL_TEST_PG);
}
static void contract_my(void **state)
{
	(void)state;
	scenario_contract(SL_TEST_MY);
}
static void down_sqlite(void **state)
{
	(void)state;
	scenario_down(SL_TEST_SQLITE);
}
static void down_pg(void **state)
{
	(void)state;
	scenario_down(SL_TEST_PG);
}
static void down_my(void **state)
{
	(void)state;
	scenario_down(SL_TEST_MY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contract_sqlite), cmocka_unit_test(contract_pg),
		cmocka_unit_test(contract_my),     cmocka_unit_test(down_sqlite),
		cmocka_unit_test(down_pg),         cmocka_unit_test(down_my),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
