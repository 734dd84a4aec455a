/*
 * testutil.c - scratch databases and small helpers for the cmocka tests
 * (see testutil.h).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int counter;

const char *sl_test_engine_name(sl_test_engine e)
{
	static const char *const n[] = { "sqlite", "postgres", "mysql" };
	return e < SL_TEST__N ? n[e] : "?";
}

const char *sl_test_server_url(sl_test_engine e)
{
	const char *v = NULL;
	if (e == SL_TEST_PG)
		v = getenv("SLUICE_TEST_PG_URL");
	else if (e == SL_TEST_MY)
		v = getenv("SLUICE_TEST_MY_URL");
	return v && *v ? v : NULL;
}

int sl_test_available(sl_test_engine e)
{
	if (e == SL_TEST_SQLITE || sl_test_server_url(e))
		return 1;
	const char *req = getenv("SLUICE_TEST_REQUIRE");
	if (req && strcmp(req, "1") == 0)
		fail_msg("%s server not configured but SLUICE_TEST_REQUIRE=1", sl_test_engine_name(e));
	return 0;
}

/* Replaces the database part of a server URL ("...:port/db?x" -> "...:port/name?x"). */
static char *with_database(const char *url, const char *name)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	const char *q = p ? strchr(p, '?') : strchr(url, '?');
	size_t head = p ? (size_t)(p - url) : (q ? (size_t)(q - url) : strlen(url));
	size_t n = strlen(url) + strlen(name) + 4;
	char *r = malloc(n);
	assert_non_null(r);
	snprintf(r, n, "%.*s/%s%s", (int)head, url, name, q ? q : "");
	return r;
}

char *sl_test_scratch_url(sl_test_engine e)
{
	char name[64];
	snprintf(name, sizeof(name), "sluice_t_%d_%d", (int)getpid(), counter++);
	if (e == SL_TEST_SQLITE) {
		char *r = malloc(128);
		assert_non_null(r);
		const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(r, 128, "sqlite:%s/%s.db", tmp, name);
		unlink(r + 7);
		return r;
	}
	sl_conn *c = sl_test_open(sl_test_server_url(e));
	char sql[160];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	sl_test_exec(c, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	sl_test_exec(c, sql);
	sl_conn_close(c);
	return with_database(sl_test_server_url(e), name);
}

void sl_test_scratch_drop(sl_test_engine e, char *url)
{
	if (!url)
		return;
	if (e == SL_TEST_SQLITE) {
		unlink(url + 7);
	} else {
		const char *slash = strrchr(url, '/');
		char name[64];
		snprintf(name, sizeof(name), "%s", slash ? slash + 1 : "");
		char *q = strchr(name, '?');
		if (q)
			*q = '\0';
		sl_conn *c = sl_test_open(sl_test_server_url(e));
		char sql[160];
		snprintf(sql, sizeof(sql),
			 e == SL_TEST_PG ? "DROP DATABASE IF EXISTS %s WITH (FORCE)"
					 : "DROP DATABASE IF EXISTS %s",
			 name);
		sl_test_exec(c, sql);
		sl_conn_close(c);
	}
	free(url);
}

sl_conn *sl_test_open(const char *url)
{
	sl_conn *c = NULL;
	sl_url *u = NULL;
	int rc = sl_url_parse(&u, url);
	if (!rc) {
		u->create = true; /* tests open scratch files they have just named */
		rc = sl_conn_open_url(&c, u);
	}
	sl_url_free(u);
	if (rc)
		fail_msg("open %s: %s", url, sl_error_last()->message);
	return c;
}

void sl_test_exec(sl_conn *c, const char *sql)
{
	int rc = sl_conn_exec(c, sql);
	if (rc)
		fail_msg("exec on %s failed: %s\n  SQL: %.300s", sl_conn_display(c), sl_error_last()->message,
			 sql);
}

int64_t sl_test_int(sl_conn *c, const char *sql)
{
	int64_t v = 0;
	int rc = sl_conn_query_int(c, sql, &v);
	if (rc)
		fail_msg("query failed: %s\n  SQL: %s", sl_error_last()->message, sql);
	return v;
}

int sl_test_run(char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char full[8300];
	snprintf(full, sizeof(full), "(%s) 2>&1", cmd);
	FILE *f = popen(full, "r");
	assert_non_null(f);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	int st = pclose(f);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int sl_test_pair_setup(void **state, sl_test_engine se, sl_test_engine de)
{
	if (!sl_test_available(se) || !sl_test_available(de))
		skip();
	sl_test_pair *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->se = se;
	p->de = de;
	p->surl = sl_test_scratch_url(se);
	p->durl = sl_test_scratch_url(de);
	p->s = sl_test_open(p->surl);
	p->d = sl_test_open(p->durl);
	*state = p;
	return 0;
}

int sl_test_pair_teardown(void **state)
{
	sl_test_pair *p = *state;
	if (!p)
		return 0;
	sl_conn_close(p->s);
	sl_conn_close(p->d);
	sl_test_scratch_drop(p->se, p->surl);
	sl_test_scratch_drop(p->de, p->durl);
	free(p);
	return 0;
}

int sl_test_pair_sqlite_sqlite(void **state)
{
	return sl_test_pair_setup(state, SL_TEST_SQLITE, SL_TEST_SQLITE);
}
int sl_test_pair_sqlite_pg(void **state)
{
	return sl_test_pair_setup(state, SL_TEST_SQLITE, SL_TEST_PG);
}
int sl_test_pair_sqlite_my(void **state)
{
	return sl_test_pair_setup(state, SL_TEST_SQLITE, SL_TEST_MY);
}
int sl_test_pair_pg_my(void **state)
{
	return sl_test_pair_setup(state, SL_TEST_PG, SL_TEST_MY);
}
int sl_test_pair_my_sqlite(void **state)
{
	return sl_test_pair_setup(state, SL_TEST_MY, SL_TEST_SQLITE);
}

char *sl_test_load_fixture(sl_test_engine e, const char *set)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fixtures/%s/%s.sql", SLUICE_SOURCE_DIR, set,
		 sl_test_engine_name(e));
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	sl_buf sql = SL_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(sl_buf_put(&sql, chunk, n), 0);
	fclose(f);
	char *url = sl_test_scratch_url(e);
	sl_conn *c = sl_test_open(url);
	sl_test_exec(c, sl_buf_cstr(&sql));
	sl_conn_close(c);
	sl_buf_free(&sql);
	return url;
}
