/*
 * scratch.c - the scratch databases of a rehearsal: named prefix + run id
 * (UTC time and process id, so leftovers can be told from a running
 * rehearsal on this machine), made beside the rehearsed database by the
 * driver (a native clone where the engine has one: SQLite's backup API,
 * PostgreSQL's TEMPLATE when nobody else is connected) or else created empty
 * and filled by sluice copy plus the history table's rows; dropped on every
 * path out; and found again by --cleanup after a crash.
 */
#include "rehearse/rehearse_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice/copy.h"
#include "sluice/error.h"

void rh_run_id(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d%02d%02dt%02d%02d%02d_%ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (long)getpid());
}

typedef struct copy_ctx {
	const sl_rehearse_opts *o;
	const sl_conn *admin;
	const char *name;
} copy_ctx;

static int copy_connect(sl_conn **out, sl_copy_side side, void *ud)
{
	copy_ctx *x = ud;
	if (side == SL_COPY_SOURCE)
		return x->o->connect(out, x->o->connect_ud, NULL, NULL);
	return x->o->connect(out, x->o->connect_ud, x->admin, x->name);
}

/* Fills an empty scratch database: sluice copy of every table, then the history rows. */
static int fill_by_copy(rh_scratch *s, sl_conn *admin, const sl_rehearse_opts *o, sl_rehearsal *r)
{
	copy_ctx x = { .o = o, .admin = admin, .name = s->name };
	sl_copy_opts co = SL_COPY_OPTS_INIT;
	sl_copy_result *res = NULL;
	sl_history *h = NULL;
	sl_conn *dst = NULL;
	co.connect = copy_connect;
	co.connect_ud = &x;
	rh_progress(o, "scratch", "copying into %s", s->name);
	int rc = sl_copy_run(&res, &co);
	/* the round trip is judged against the scratch copy itself; a less faithful copy is worth a note */
	for (size_t i = 0; !rc && r && res && i < res->nviolations; i++)
		rc = rh_push_line(&r->notes, &r->nnotes, "scratch copy differs from the database: \"%s\": %s",
				  res->violations[i].table,
				  res->violations[i].message ? res->violations[i].message : "");
	if (!rc && res && res->rejected)
		rc = sl_error_set(SL_EDB,
				  "the copy rejected %lld rows: the scratch copy would not be faithful",
				  (long long)res->rejected);
	if (rc)
		sl_error_prefix("fill scratch database \"%s\" with sluice copy", s->name);
	if (!rc)
		rc = sl_history_load(&h, admin, o->table);
	if (!rc)
		rc = o->connect(&dst, o->connect_ud, admin, s->name);
	if (!rc)
		rc = sl_history_replicate(dst, o->table, h);
	sl_conn_close(dst);
	sl_history_free(h);
	sl_copy_result_free(res);
	return rc;
}

int rh_scratch_make(rh_scratch *s, sl_conn *admin, const sl_rehearse_opts *o, sl_rehearsal *r,
		    const char *prefix, const char *run_id, const char *suffix, const char **method)
{
	memset(s, 0, sizeof(*s));
	if ((size_t)snprintf(s->name, sizeof(s->name), "%s%s%s%s", prefix, run_id, suffix ? "_" : "",
			     suffix ? suffix : "") >= sizeof(s->name))
		return sl_error_set(SL_EINVALID, "scratch database name \"%s%s\" is too long", prefix,
				    run_id);
	rh_progress(o, "scratch", "creating %s", s->name);
	int rc = sl_conn_scratch_create(admin, s->name, true, &s->cloned);
	if (rc)
		return rc;
	s->created = true;
	*method = s->cloned ? "clone" : "copy";
	if (!s->cloned)
		rc = fill_by_copy(s, admin, o, r);
	return rc;
}

int rh_scratch_drop(rh_scratch *s, sl_conn *admin)
{
	if (!s->created)
		return 0;
	sl_error e = *sl_error_last();
	char *msg = e.code && e.message ? strdup(e.message) : NULL;
	int rc = sl_conn_scratch_drop(admin, s->name);
	if (!rc)
		s->created = false;
	if (msg) /* keep the error that brought us here */
		sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", msg);
	free(msg);
	return rc;
}

/* ---- --cleanup ---- */

typedef struct names {
	char **v;
	size_t n;
} names;

static int collect(void *ud, const char *name, const char *detail)
{
	(void)detail;
	names *x = ud;
	return rh_push_line(&x->v, &x->n, "%s", name);
}

/* The process id in a run id "<utc>_<pid>[_suffix]" after the prefix; 0 when there is none. */
static long pid_of(const char *name, size_t plen)
{
	const char *p = name + plen, *us = strchr(p, '_');
	if (!us)
		return 0;
	char *end = NULL;
	long pid = strtol(us + 1, &end, 10);
	return end != us + 1 && (*end == '\0' || *end == '_') ? pid : 0;
}

int sl_rehearse_cleanup(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud)
{
	names x = { 0 };
	int rc = sl_conn_scratch_list(c, prefix, collect, &x);
	for (size_t i = 0; !rc && i < x.n; i++) {
		long pid = pid_of(x.v[i], strlen(prefix));
		char detail[64];
		if (pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
			snprintf(detail, sizeof(detail), "in use by process %ld", pid);
			rc = fn(ud, x.v[i], detail);
			continue;
		}
		rc = sl_conn_scratch_drop(c, x.v[i]);
		if (!rc)
			rc = fn(ud, x.v[i], "dropped");
	}
	for (size_t i = 0; i < x.n; i++)
		free(x.v[i]);
	free(x.v);
	return rc;
}
