/*
 * resume.c - how a copy run starts, from the state the target holds
 * (sluice_copy_state): a fresh run on an empty target, --restart (drop what
 * the previous run created, asking before dropping tables it did not
 * create), --resume (go on at the recorded phase and statement), or a
 * refusal naming what is in the way. docs/copy.md describes the states.
 */
#include "run_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice/error.h"

/*
 * Tables in PostgreSQL schemas the copy does not read are never skipped in
 * silence: a notice says how many and where, and a selection that holds no
 * table at all while other schemas do is a usage error.
 */
int copy_left_behind(run *r)
{
	const sl_schema *s = r->plan->schema;
	int64_t n = sl_schema_others_count(s);
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	r->res->left_behind = n;
	if (n == 0)
		return 0;
	rc = sl_copy_left_behind(&b, s);
	if (!rc && r->plan->ntables == 0)
		rc = sl_error_set(SL_EINVALID, "nothing to copy: the schema%s read hold%s no table; %.*s",
				  s->nschemas == 1 ? "" : "s", s->nschemas == 1 ? "s" : "",
				  (int)(b.len ? b.len - 1 : 0), sl_buf_cstr(&b));
	else if (!rc)
		copy_notice(r, "%.*s", (int)(b.len ? b.len - 1 : 0), sl_buf_cstr(&b));
	sl_buf_free(&b);
	return rc;
}

/* ---- start: refuse, restart or resume ---- */

static int drop_plan_objects(run *r)
{
	sl_buf b = SL_BUF_INIT;
	const char *cascade = sl_conn_dialect(r->dst)->drop_cascade;
	bool enums = sl_conn_has(r->dst, SL_CAP_ENUM_TYPES);
	const sl_schema *s = r->plan->schema;
	int rc = sl_conn_bulk_fk_checks(r->dst, false);
	for (size_t i = 0; !rc && i < s->nviews; i++) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, s->views[i].name);
		if (!rc)
			rc = sl_buf_puts(&b, cascade);
		if (!rc)
			sl_conn_exec(r->dst, b.ptr); /* a materialized view is not a view: ignore */
	}
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TABLE IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, r->plan->tables[i].cast->name);
		if (!rc)
			rc = sl_buf_puts(&b, cascade);
		if (!rc)
			rc = sl_conn_exec(r->dst, b.ptr);
	}
	for (size_t i = 0; !rc && enums && i < r->plan->ntables; i++) {
		const sl_cast_table *ct = r->plan->tables[i].cast;
		for (size_t j = 0; !rc && j < ct->ncolumns; j++) {
			if (!ct->columns[j].enum_type)
				continue;
			sl_buf_clear(&b);
			rc = sl_buf_puts(&b, "DROP TYPE IF EXISTS ");
			if (!rc)
				rc = sl_conn_quote_ident(r->dst, &b, ct->columns[j].enum_type);
			if (!rc)
				rc = sl_buf_puts(&b, cascade);
			if (!rc)
				rc = sl_conn_exec(r->dst, b.ptr);
		}
	}
	/* named enum types of the source (only an engine with them has any) */
	for (size_t i = 0; !rc && enums && i < s->nenums; i++) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TYPE IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, s->enums[i].name);
		if (!rc)
			rc = sl_buf_puts(&b, cascade);
		if (!rc)
			rc = sl_conn_exec(r->dst, b.ptr);
	}
	if (!rc)
		rc = sl_conn_bulk_fk_checks(r->dst, true);
	sl_buf_free(&b);
	if (rc)
		sl_error_prefix("--restart: drop the tables of the previous copy");
	return rc;
}

/* What the target holds before a run starts: read before anything is written to it. */
typedef struct target_state {
	sl_schema *model;    /* the target's tables, sluice's own included */
	char *run_id;        /* the recorded run, NULL when there is none */
	char *phase;         /* its next phase */
	bool run_data_only;  /* it loaded into tables it did not create */
	sl_copy_part *parts; /* its parts: the tables it copied */
	size_t nparts;
} target_state;

static int read_target(run *r, target_state *ts)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	io.include_sluice = true;
	int rc = sl_conn_introspect(&ts->model, r->dst, &io);
	if (rc || !sl_schema_find_table(ts->model, NULL, SL_COPY_STATE_TABLE))
		return rc;
	rc = sl_copy_state_upgrade(r->dst);
	if (!rc)
		rc = sl_copy_state_run(r->dst, &ts->run_id, &ts->phase, &ts->run_data_only);
	if (rc == SL_ENOTFOUND)
		return 0;
	if (!rc)
		rc = sl_copy_state_parts(r->dst, &ts->parts, &ts->nparts);
	return rc;
}

static void target_state_free(target_state *ts)
{
	sl_schema_free(ts->model);
	free(ts->run_id);
	free(ts->phase);
	sl_copy_parts_free(ts->parts, ts->nparts);
}

/* True when the recorded run created the target table of source table src (so --restart may drop it). */
static bool created_by_sluice(const target_state *ts, const char *src)
{
	for (size_t i = 0; ts->run_id && !ts->run_data_only && i < ts->nparts; i++)
		if (strcmp(ts->parts[i].table, src) == 0)
			return true;
	return false;
}

/* Refuses to create tables over existing ones (unless --data-only). */
static int check_target_empty(run *r, const target_state *ts)
{
	for (size_t i = 0; i < r->plan->ntables; i++) {
		const char *name = r->plan->tables[i].cast->name;
		if (sl_schema_find_table(ts->model, NULL, name))
			return sl_error_set(SL_EREFUSED,
					    "the target already has a table \"%s\": copy into an empty "
					    "database, load into the existing tables with --data-only, or "
					    "drop them with --restart",
					    name);
	}
	return 0;
}

/*
 * --restart drops the plan's tables the target holds. Those a recorded run
 * of sluice created go without a question; any other (the target had them
 * before sluice came, or a --data-only run loaded into them) is dropped only
 * with --force or when opts->confirm_drop says yes. Nothing is written
 * before this decision.
 */
static int confirm_drops(run *r, const target_state *ts)
{
	const char **foreign = calloc(r->plan->ntables + 1, sizeof(*foreign));
	sl_buf names = SL_BUF_INIT;
	size_t n = 0;
	int rc = foreign ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		const sl_copy_tplan *t = &r->plan->tables[i];
		if (sl_schema_find_table(ts->model, NULL, t->cast->name) && !created_by_sluice(ts, t->ref))
			foreign[n++] = t->cast->name;
	}
	if (rc || n == 0 || r->o->force)
		goto done;
	if (r->o->confirm_drop && r->o->confirm_drop(r->o->confirm_ud, foreign, n))
		goto done;
	for (size_t i = 0; !rc && i < n && i < 10; i++)
		rc = sl_buf_printf(&names, "%s\"%s\"", i ? ", " : "", foreign[i]);
	if (!rc && n > 10)
		rc = sl_buf_printf(&names, " and %zu more", n - 10);
	if (!rc)
		rc = sl_error_set(
			SL_EREFUSED,
			"--restart would drop %zu table%s that sluice did not create: %s; nothing was "
			"dropped (%s)",
			n, n == 1 ? "" : "s", sl_buf_cstr(&names),
			r->o->confirm_drop ? "not confirmed" : "confirm on a terminal or add --force");
done:
	free(foreign);
	sl_buf_free(&names);
	return rc;
}

static char *new_run_id(void)
{
	char buf[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf + n, sizeof(buf) - n, "-%05x%04lx", (unsigned)getpid() & 0xfffff,
		 (long)(ts.tv_nsec / 1000) & 0xffff);
	return strdup(buf);
}

/*
 * --resume goes on with the flavour the run was planned for: its tables,
 * keys and statements were made for that target (a run recorded before the
 * flavour was recorded is not checked).
 */
static int check_flavour(run *r, const target_state *ts)
{
	char *had = NULL;
	const char *now = r->o->flavour ? r->o->flavour->name : SL_COPY_NO_FLAVOUR;
	int rc = sl_copy_state_flavour(r->dst, &had);
	if (!rc && had && strcmp(had, now) != 0) {
		bool had_none = strcmp(had, SL_COPY_NO_FLAVOUR) == 0, now_none = !r->o->flavour;
		rc = sl_error_set(SL_ECONFLICT,
				  "the copy in the target (run %s) was planned with %s%s; this --resume "
				  "has %s%s: resume it with the flavour it was planned with, or start "
				  "again with --restart",
				  ts->run_id, had_none ? "no --target-flavour" : "--target-flavour ",
				  had_none ? "" : had, now_none ? "no --target-flavour" : "--target-flavour ",
				  now_none ? "" : now);
	}
	free(had);
	return rc;
}

/* The target holds an earlier run and --restart is not given: refuse, or resume it with --resume. */
static int resume_existing(run *r, target_state *ts, int *phase, int *stmt)
{
	int rc = 0;
	if (!r->o->resume) {
		bool fin = strcmp(ts->phase, "finished") == 0;
		if (strcmp(ts->phase, "incomplete") == 0)
			rc = sl_error_set(SL_ECONFLICT,
					  "the target holds an incomplete copy (run %s): tables the "
					  "target refused to create were left out; fix them (a cast rule "
					  "in sluice.yaml) and continue with --resume, or start again "
					  "with --restart",
					  ts->run_id);
		else
			rc = sl_error_set(SL_ECONFLICT,
					  fin ? "the target already holds a finished copy (run %s): use "
						"--restart to copy again"
					      : "the target holds an unfinished copy (run %s, phase %s): "
						"continue it with "
						"--resume, or start again with --restart",
					  ts->run_id, ts->phase);
		goto done;
	}
	rc = check_flavour(r, ts);
	if (rc)
		goto done;
	int64_t nfailed = 0;
	rc = sl_conn_query_int(r->dst,
			       "SELECT count(*) FROM " SL_COPY_STATE_TABLE
			       " WHERE part >= 0 AND status = 'failed'",
			       &nfailed);
	if (rc)
		goto done;
	*phase = strcmp(ts->phase, "incomplete") == 0 ? 0 : copy_phase_index(ts->phase, stmt);
	if (nfailed > 0) {
		/* tables the target refused: from the tables phase again, skipping what is done */
		*phase = 0;
		*stmt = 0;
	}
	if (*phase < 0) {
		rc = sl_error_set(SL_ECONFLICT, "the copy state in the target names an unknown phase \"%s\"",
				  ts->phase);
		goto done;
	}
	r->run_id = ts->run_id;
	ts->run_id = NULL;
	copy_notice(r, "resuming copy %s at phase %s", r->run_id, ts->phase);
done:
	return rc;
}

int copy_start(run *r, int *phase, int *stmt)
{
	target_state ts = { 0 };
	int rc = read_target(r, &ts);
	if (rc)
		goto done;
	if (ts.run_id && !r->o->restart) {
		rc = resume_existing(r, &ts, phase, stmt);
		goto done;
	}
	/* every refusal comes before the first write */
	if (!r->o->data_only)
		rc = r->o->restart ? confirm_drops(r, &ts) : check_target_empty(r, &ts);
	if (!rc)
		rc = sl_copy_state_create(r->dst);
	if (!rc && ts.run_id) {
		copy_notice(r, "--restart: forgetting copy %s (phase %s) and dropping its tables", ts.run_id,
			    ts.phase);
		rc = sl_copy_state_clear(r->dst);
		if (!rc)
			rc = sl_conn_exec(r->dst, "DELETE FROM " SL_COPY_REJECTS_TABLE);
	}
	if (!rc && r->o->restart && !r->o->data_only)
		rc = drop_plan_objects(r);
	if (rc)
		goto done;
	r->run_id = new_run_id();
	if (!r->run_id) {
		rc = sl_error_nomem();
		goto done;
	}
	*phase = r->o->data_only ? 1 : 0;
	*stmt = 0;
	rc = sl_copy_state_new_run(r->dst, r->run_id, copy_phase_name(*phase), r->o->data_only,
				   r->o->flavour ? r->o->flavour->name : NULL);
	if (!rc && r->o->data_only) {
		rc = sl_conn_begin(r->dst);
		if (!rc)
			rc = copy_make_all_parts(r);
		rc = rc ? (sl_conn_rollback(r->dst), rc) : sl_conn_commit(r->dst);
	}
done:
	target_state_free(&ts);
	return rc;
}
