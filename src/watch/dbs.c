/*
 * dbs.c - the databases of one watch run and the figures it collects.
 *
 * A run opens each database it needs once (through the caller's open
 * callback, so the library never sees how a password was found), makes the
 * session read-only (a watch never writes where it looks) and closes them
 * all when the run is recorded: a server restart between runs costs
 * nothing, one during a run costs a gap. A database that failed once in a
 * run fails at once for the rest of it, with the same message, rather than
 * waiting for another connect timeout per check.
 */
#include "watch_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/rules.h"
#include "sluice/url.h"

const char *watch_display(sl_arena *a, const char *spec)
{
	sl_url *u = NULL;
	const char *out;
	if (!spec)
		return sl_arena_strdup(a, "(default)");
	if (!strchr(spec, ':'))
		return sl_arena_strdup(a, spec);
	if (sl_url_parse(&u, spec) != 0) {
		sl_error_clear();
		return sl_arena_strdup(a, "(a URL that does not parse)");
	}
	out = sl_arena_strdup(a, u->redacted);
	sl_url_free(u);
	return out;
}

/* Remembers db's failure (the current error) so later uses fail alike; returns rc. */
static int fail(watch_run *r, watch_db *db, int rc)
{
	const sl_error *e = sl_error_last();
	char sqlstate[sizeof(e->sqlstate)];
	memcpy(sqlstate, e->sqlstate, sizeof(sqlstate));
	db->failed = rc;
	db->error = sl_arena_strdup(r->a, e->message);
	if (!db->error)
		return sl_error_nomem();
	sl_conn_close(db->conn);
	db->conn = NULL;
	return sl_error_set_db(rc, sqlstate[0] ? sqlstate : NULL, e->engine_code, "%s", db->error);
}

int watch_db_get(watch_db **out, watch_run *r, const char *spec)
{
	watch_db *db = NULL;
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < r->ndbs && !db; i++)
		if (!strcmp(r->dbs[i].spec, spec))
			db = &r->dbs[i];
	if (db && db->failed)
		return sl_error_set(db->failed, "%s", db->error);
	if (db) {
		*out = db;
		return 0;
	}
	if (r->ndbs == WATCH_MAX_DBS)
		return sl_error_set(SL_EINVALID, "a watch run reaches at most %d databases", WATCH_MAX_DBS);
	db = &r->dbs[r->ndbs];
	memset(db, 0, sizeof(*db));
	db->spec = sl_arena_strdup(r->a, spec);
	db->display = watch_display(r->a, spec);
	if (!db->spec || !db->display)
		return sl_error_nomem();
	r->ndbs++;
	rc = r->o->open(&db->conn, spec, r->o->open_ud);
	if (!rc)
		rc = sl_rules_read_only(db->conn);
	if (rc) {
		sl_error_prefix("\"%s\"", db->display);
		return fail(r, db, rc);
	}
	*out = db;
	return 0;
}

int watch_db_schema(const sl_schema **out, watch_db *db)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false; /* estimates: enough to choose bisection */
	*out = NULL;
	if (!db->schema) {
		int rc = sl_conn_introspect(&db->schema, db->conn, &io);
		if (rc) {
			sl_error_prefix("read the schema of \"%s\"", db->display);
			return rc;
		}
	}
	*out = db->schema;
	return 0;
}

void watch_dbs_close(watch_run *r)
{
	for (size_t i = 0; i < r->ndbs; i++) {
		sl_schema_free(r->dbs[i].schema);
		sl_conn_close(r->dbs[i].conn);
	}
	r->ndbs = 0;
}

bool watch_stopping(watch_run *r)
{
	if (r->o->stop && *r->o->stop)
		r->stopped = true;
	return r->stopped;
}

int watch_figure(watch_run *r, const char *check, const char *item, double value, const char *unit,
		 const char *level, const char *threshold, const char *detail, int64_t ms)
{
	sl_state_watch_figure *f = sl_arena_push(r->a, &r->figs, &r->nfigs, &r->capfigs, sizeof(*f));
	if (!f)
		return sl_error_nomem();
	*f = (sl_state_watch_figure){
		.check = check,
		.item = sl_arena_strdup(r->a, item ? item : ""),
		.value = value,
		.unit = unit,
		.level = level,
		.threshold = threshold ? sl_arena_strdup(r->a, threshold) : NULL,
		.detail = detail ? sl_arena_strdup(r->a, detail) : NULL,
		.duration_ms = ms,
	};
	if (!f->item || (threshold && !f->threshold) || (detail && !f->detail))
		return sl_error_nomem();
	return 0;
}

int watch_failed(watch_run *r, int rc, const char *check, const char *item, const char *unit, int64_t ms)
{
	if (rc == SL_ENOMEM)
		return rc;
	bool gap = sl_error_is_disconnect(rc);
	const char *why = sl_error_last()->message;
	if (gap && r->complete) {
		r->complete = false;
		r->gap_reason = sl_arena_printf(r->a, "%s: %s", check, why);
		if (!r->gap_reason)
			return sl_error_nomem();
	}
	rc = watch_figure(r, check, item, NAN, unit, gap ? "gap" : "breach", NULL, why, ms);
	sl_error_clear();
	return rc;
}
