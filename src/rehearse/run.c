/*
 * run.c - the order of a rehearsal (include/sluice/rehearse.h):
 *
 *   1. read the rehearsed database's history (only reads; no history table
 *      is an error), list pending migrations, check --fail-at targets;
 *   2. make the scratch copy (scratch.c) - nothing is connected to the
 *      rehearsed database meanwhile but the admin connection the driver
 *      may close for a clone;
 *   3. fingerprint the scratch copy, run the rules on it;
 *   4. per round: up (observed: observe.c), verify, rules (first round),
 *      down, fingerprint and compare;
 *   5. a fault drill instead compares the scratch copy with a second one
 *      built to hold exactly what sluice reported;
 *   6. forecast (forecast.c), verdict (verdict.c), state store.
 * Checklist: every path out closes the scratch connections, then drops the
 * scratch databases (rh_scratch_drop keeps the error that ended the run).
 */
#include "rehearse/rehearse_int.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/schema.h"
#include "sluice/sql.h"

/* ---- small shared helpers ---- */

int64_t rh_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *rh_strdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		sl_error_nomem();
	return d;
}

int rh_push_line(char ***list, size_t *n, const char *fmt, ...)
{
	va_list ap;
	sl_buf b = SL_BUF_INIT;
	va_start(ap, fmt);
	int rc = sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char **v = rc ? NULL : realloc(*list, (*n + 1) * sizeof(*v));
	if (!rc && !v)
		rc = sl_error_nomem();
	if (!rc) {
		*list = v;
		v[*n] = sl_buf_detach(&b);
		if (!v[*n])
			rc = sl_error_nomem();
		else
			(*n)++;
	}
	sl_buf_free(&b);
	return rc;
}

void rh_progress(const sl_rehearse_opts *o, const char *phase, const char *fmt, ...)
{
	if (!o->on_progress)
		return;
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	o->on_progress(o->progress_ud, phase, detail);
}

/* ---- the run's state ---- */

static int cancelled(const sl_rehearse_opts *o)
{
	if (o->cancel && *o->cancel)
		return sl_error_set(SL_EINTERRUPTED,
				    "rehearsal interrupted; its scratch database is dropped");
	return 0;
}

typedef struct rh_run {
	sl_rehearsal *r;
	const sl_rehearse_opts *o;
	sl_config_rehearsal t;
	const char *prefix;
	sl_conn *admin, *scratch, *obs, *rules_conn;
	sl_conn *fp2; /* a second reader of the scratch copy for fingerprints */
	rh_scratch main;
	rh_observer *ob;
	sl_history *h;
	sl_migrate_status *st;
	rh_fp *before;
	const char **critical; /* tables of critical domains; NULL: every table */
	size_t ncritical;
	bool all_critical;
	int64_t **up_us, **down_us; /* [migration][round] */
	rh_target fail_at, drop_at;
	bool has_fail, has_drop;
	char *last_applied; /* the newest applied migration before the rehearsal, or NULL */
} rh_run;

static bool critical_table(void *ud, const char *table)
{
	rh_run *x = ud;
	if (x->all_critical)
		return true;
	if (strcmp(table, "*") == 0)
		return x->ncritical > 0;
	for (size_t i = 0; i < x->ncritical; i++)
		if (strcmp(x->critical[i], table) == 0)
			return true;
	return false;
}

/* Reads the tables of the critical domains from sluice.yaml's `domains` section. */
static int load_critical(rh_run *x)
{
	const sl_config *cfg = x->o->cfg;
	x->all_critical = x->t.ncritical_domains == 0;
	struct fy_node *d = cfg ? sl_config_section(cfg, "domains") : NULL;
	for (size_t i = 0; d && i < x->t.ncritical_domains; i++) {
		const char *name = x->t.critical_domains[i];
		struct fy_node *v = fy_node_mapping_lookup_by_string(d, name, strlen(name));
		if (v && fy_node_get_type(v) == FYNT_MAPPING)
			v = fy_node_mapping_lookup_by_string(v, "tables", 6);
		if (!v || fy_node_get_type(v) != FYNT_SEQUENCE)
			continue;
		void *it = NULL;
		struct fy_node *item;
		while ((item = fy_node_sequence_iterate(v, &it))) {
			const char *s;
			if (sl_config_string(&s, NULL, (sl_config *)cfg, item, "domains.tables") != 0)
				return SL_EINVALID;
			const char **n = realloc(x->critical, (x->ncritical + 1) * sizeof(*n));
			if (!n)
				return sl_error_nomem();
			x->critical = n;
			x->critical[x->ncritical++] = s;
		}
	}
	return 0;
}

/* "MIGRATION:STATEMENT" naming a statement of a pending migration's up section. */
static int parse_target(rh_run *x, const char *opt, const char *spec, rh_target *t)
{
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	char *end = NULL, id[64];
	long n = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || end == colon + 1 || *end || n < 1 || (size_t)(colon - spec) >= sizeof(id) ||
	    colon == spec)
		return sl_error_set(SL_EINVALID,
				    "%s \"%s\": expected MIGRATION:STATEMENT, e.g. 20260310120000:2", opt,
				    spec ? spec : "");
	memcpy(id, spec, (size_t)(colon - spec));
	id[colon - spec] = '\0';
	sl_rehearsal *r = x->r;
	for (size_t i = 0; i < r->nmigrations; i++) {
		if (strcmp(r->migrations[i].id, id) != 0)
			continue;
		if ((size_t)n > r->migrations[i].statements)
			return sl_error_set(
				SL_EINVALID,
				"%s \"%s\": migration %s has %zu up statement(s) on %s; there is no "
				"statement %ld",
				opt, spec, id, r->migrations[i].statements, r->engine, n);
		t->migration = r->migrations[i].id;
		t->statement = (size_t)n;
		return 0;
	}
	sl_buf b = SL_BUF_INIT;
	for (size_t i = 0; i < r->nmigrations; i++)
		sl_buf_printf(&b, "%s%s", i ? ", " : "", r->migrations[i].id);
	int rc = sl_error_set(SL_EINVALID, "%s \"%s\": no pending migration has the id %s (pending: %s)", opt,
			      spec, id, b.len ? sl_buf_cstr(&b) : "none");
	sl_buf_free(&b);
	return rc;
}

/* Reads history and files: pending migrations become r->migrations. */
static int plan(rh_run *x)
{
	sl_rehearsal *r = x->r;
	sl_engine dialect = sl_conn_engine(x->admin);
	bool exists = false;
	int rc = sl_history_exists(x->admin, x->o->table, &exists);
	if (!rc && !exists)
		return sl_error_set(
			SL_EINVALID,
			"%s has no history table \"%s\": a rehearsal replays pending migrations "
			"against recorded ones; adopt the database with `sluice baseline` (or apply "
			"with `sluice up`) first",
			sl_conn_display(x->admin), x->o->table);
	if (!rc)
		rc = sl_history_load(&x->h, x->admin, x->o->table);
	if (!rc)
		rc = sl_migrate_status_build(&x->st, x->o->set, x->h, dialect);
	for (size_t i = 0; !rc && i < x->st->n; i++) {
		const sl_mig_status *s = &x->st->items[i];
		if (s->state == SL_MIG_DIRTY)
			return sl_error_set(
				SL_ECONFLICT,
				"migration %s is dirty in %s: run `sluice repair` before rehearsing", s->id,
				sl_conn_display(x->admin));
		if (s->state == SL_MIG_DRIFTED)
			return sl_error_set(
				SL_ECONFLICT,
				"migration %s was edited after it was applied to %s: `sluice status` shows "
				"how; rehearse what will really run",
				s->id, sl_conn_display(x->admin));
		if (s->state == SL_MIG_APPLIED || s->state == SL_MIG_BASELINE) {
			free(x->last_applied);
			x->last_applied = rh_strdup(s->id);
		}
		if (s->state != SL_MIG_PENDING)
			continue;
		sl_rh_migration *v = realloc(r->migrations, (r->nmigrations + 1) * sizeof(*v));
		if (!v)
			return sl_error_nomem();
		r->migrations = v;
		sl_rh_migration *m = &r->migrations[r->nmigrations++];
		memset(m, 0, sizeof(*m));
		m->id = rh_strdup(s->id);
		m->title = rh_strdup(s->file->title);
		memcpy(m->checksum, s->checksum, sizeof(m->checksum));
		sl_stmt_list list = SL_STMT_LIST_INIT;
		if (sl_migration_statements(&list, s->file, SL_SECTION_UP, dialect) == 0)
			m->statements = list.n;
		sl_stmt_list_free(&list);
	}
	r->no_pending = r->nmigrations == 0;
	if (!rc && x->o->fail_at && x->o->drop_at)
		rc = sl_error_set(SL_EINVALID, "--fail-at and --drop-connection-at: one fault per rehearsal");
	if (!rc && x->o->fail_at && (rc = parse_target(x, "--fail-at", x->o->fail_at, &x->fail_at)) == 0)
		x->has_fail = true;
	if (!rc && x->o->drop_at &&
	    (rc = parse_target(x, "--drop-connection-at", x->o->drop_at, &x->drop_at)) == 0)
		x->has_drop = true;
	if (!rc)
		rc = sl_rehearse_migrations_key(r->migrations_key, r);
	return rc;
}

/* ---- rules on the scratch copy ---- */

static int run_rules(rh_run *x, bool after)
{
	const sl_rules *rules = x->o->rules;
	sl_rehearsal *r = x->r;
	sl_schema *schema = NULL;
	if (!rules || !rules->n)
		return 0;
	int64_t t0 = rh_now_us();
	int rc = sl_conn_introspect(&schema, x->rules_conn, NULL);
	if (!rc && !r->rules) {
		if (!(r->rules = calloc(rules->n, sizeof(*r->rules))))
			rc = sl_error_nomem();
		for (size_t i = 0; !rc && i < rules->n; i++) {
			r->rules[i].name = rh_strdup(rules->rules[i].name);
			r->rules[i].status_before = r->rules[i].status_after = "skipped";
			r->rules[i].before = r->rules[i].after = -1;
		}
		if (!rc)
			r->nrules = rules->n;
	}
	for (size_t i = 0; !rc && i < rules->n; i++) {
		const sl_rule *rule = &rules->rules[i];
		sl_rh_rule *out = &r->rules[i];
		if (rule->type == SL_RULE_RECONCILE)
			continue; /* compares two environments: nothing to compare on a scratch copy */
		sl_rule_result *res = NULL;
		const char *status;
		int64_t v = -1;
		if (sl_rule_validate(rule, schema) != 0 ||
		    sl_rule_run(&res, rule, x->rules_conn, schema) != 0) {
			status = "error";
			if (after) {
				free(out->message);
				out->message = rh_strdup(sl_error_last()->message);
			}
			sl_error_clear();
		} else {
			v = res->violations;
			status = sl_rule_status_name(sl_rule_judge(rule, res->violations, res->rows_checked));
		}
		sl_rule_result_free(res);
		if (after) {
			out->after = v;
			out->status_after = status;
			if (v < 0 && out->before >= 0)
				r->rule_discrepancies++; /* the migrations broke the rule */
			else if (v > out->before && out->before >= 0)
				r->rule_discrepancies += v - out->before;
		} else {
			out->before = v;
			out->status_before = status;
		}
	}
	sl_schema_free(schema);
	r->rules_us += rh_now_us() - t0;
	return rc;
}

/* ---- verify ---- */

static void on_verify(void *ud, const sl_migrate_event *ev)
{
	rh_run *x = ud;
	if (ev->kind != SL_MEV_FAILED)
		return;
	for (size_t i = 0; i < x->r->nmigrations; i++)
		if (strcmp(x->r->migrations[i].id, ev->id) == 0 && !x->r->migrations[i].verify_failed) {
			x->r->migrations[i].verify_failed = true;
			x->r->migrations[i].verify_error = rh_strdup(ev->detail);
			x->r->verify_failures++;
		}
}

static sl_migrate_opts migrate_opts(rh_run *x, bool observed)
{
	sl_migrate_opts mo = SL_MIGRATE_OPTS_INIT;
	mo.table = x->o->table;
	mo.applied_by = "sluice rehearse";
	mo.out_of_order = true; /* the order was checked against the real history */
	mo.on_event = observed ? rh_observer_event : NULL;
	mo.ud = x->ob;
	return mo;
}

/* ---- fault drills ---- */

/*
 * After the fault: what sluice reported (the error, the history row, the
 * statements the journal says ran) against what the scratch database holds,
 * compared with a second scratch copy made to hold exactly that.
 */
/*
 * Brings the expected database exp up to the last migration before the
 * faulty one that the history says this run applied: all of them, or (SQLite,
 * whose run is one write transaction) none when the cut rolled the run back.
 */
static int expect_before(rh_run *x, const rh_target *t, const sl_history *h, sl_conn *exp)
{
	sl_rehearsal *r = x->r;
	sl_rh_fault *f = &r->fault;
	int rc = 0;
	sl_migrate_opts mo = migrate_opts(x, false);
	const char *prev = NULL;
	size_t before = 0, recorded = 0;
	for (size_t i = 0; i < r->nmigrations && strcmp(r->migrations[i].id, t->migration) != 0; i++) {
		const sl_history_row *hr = sl_history_find(h, r->migrations[i].id);
		before++;
		if (hr && strcmp(hr->status, "applied") == 0) {
			prev = r->migrations[i].id;
			recorded++;
		}
	}
	f->earlier_recorded = recorded;
	f->earlier = before;
	mo.to = prev;
	if (prev)
		rc = sl_migrate_up(exp, x->o->set, &mo, NULL);
	return rc;
}

/* Whether what sluice reported of the fault is true (history, message, database), and why. */
static void explain_fault(sl_rh_fault *f, const rh_target *t, const sl_rh_migration *m,
			  const sl_history_row *row, bool drop, const sl_rehearsal *tmp)
{
	bool same = tmp->fidelity_ok;
	bool tx = m && m->transactional;
	bool hist_ok;
	const char *why;
	if (tx) {
		hist_ok = !row;
		why = "the migration ran in one transaction: sluice reports nothing of it applied "
		      "and no history "
		      "row";
	} else if (drop) {
		hist_ok = row && strcmp(row->status, "running") == 0;
		why = "the connection died before sluice could record the failure: the history row "
		      "still says "
		      "\"running\" (interrupted), and the journal says which statements ran";
	} else {
		hist_ok = row && strcmp(row->status, "dirty") == 0 && row->failed_statement;
		why = "the migration ran statement by statement: the history row says \"dirty\" and "
		      "names the "
		      "failed statement; the statements before it ran";
	}
	/* the message must say what the history holds, too */
	bool says_dirty = f->error && strstr(f->error, "recorded as dirty");
	bool msg_ok = !says_dirty || (row && strcmp(row->status, "dirty") == 0);
	f->truthful = same && hist_ok && msg_ok;
	sl_buf e = SL_BUF_INIT;
	sl_buf_printf(&e, "%s; %zu statement(s) of %s ran before the fault; history row: %s; database %s",
		      why, tx ? (size_t)0 : f->statements_ran, t->migration, f->history_status,
		      same ? "identical to one where exactly that ran" : "differs from what was reported");
	if (!msg_ok)
		sl_buf_printf(&e, "; but the error says \"recorded as dirty\" and the history row is %s",
			      f->history_status);
	for (size_t i = 0; i < tmp->nfidelity_diffs && i < 5; i++)
		sl_buf_printf(&e, "; %s", tmp->fidelity_diffs[i]);
	f->explanation = sl_buf_detach(&e);
	sl_buf_free(&e);
}

static int judge_fault(rh_run *x, const rh_target *t, bool drop, int up_rc)
{
	sl_rehearsal *r = x->r;
	sl_rh_fault *f = &r->fault;
	sl_conn *fresh = NULL, *exp = NULL;
	sl_history *h = NULL;
	rh_scratch expect = { 0 };
	rh_fp *a = NULL, *b = NULL;
	sl_rehearsal tmp = { 0 };
	const char *method = NULL;
	sl_rh_migration *m = NULL;
	for (size_t i = 0; i < r->nmigrations; i++)
		if (strcmp(r->migrations[i].id, t->migration) == 0)
			m = &r->migrations[i];
	f->kind = drop ? "drop-connection" : "fail-at";
	f->migration = rh_strdup(t->migration);
	f->statement = t->statement;
	f->fired = rh_observer_fired(x->ob);
	f->error = rh_strdup(up_rc ? sl_error_last()->message : NULL);
	f->statements_ran = rh_observer_ran(x->ob, t->migration);
	if (!f->fired || !up_rc) {
		f->explanation = rh_strdup(!f->fired ? "the statement was never reached"
						     : "the migration did not fail");
		return 0;
	}
	sl_conn_close(x->scratch); /* may be cut; the server ends the session either way */
	x->scratch = NULL;
	int rc = x->o->connect(&fresh, x->o->connect_ud, x->admin, x->main.name);
	if (!rc)
		rc = sl_history_load(&h, fresh, x->o->table);
	const sl_history_row *row = rc ? NULL : sl_history_find(h, t->migration);
	if (!rc) {
		f->history_status = rh_strdup(row ? row->status : "absent");
		f->recorded_statement = rh_strdup(row ? row->failed_statement : NULL);
	}
	/* the expected database: migrations before the faulty one, then the statements the journal says ran
	 */
	if (!rc)
		rc = rh_scratch_make(&expect, x->admin, x->o, NULL, x->prefix, r->run_id, "expect", &method);
	if (!rc)
		rc = x->o->connect(&exp, x->o->connect_ud, x->admin, expect.name);
	if (!rc)
		rc = expect_before(x, t, h, exp);
	bool partial = row && (strcmp(row->status, "dirty") == 0 || strcmp(row->status, "running") == 0);
	size_t expect_ran = partial ? f->statements_ran : 0;
	if (!rc && expect_ran) {
		sl_stmt_list list = SL_STMT_LIST_INIT;
		rc = sl_migration_statements(&list, sl_migration_set_find(x->o->set, t->migration),
					     SL_SECTION_UP, sl_conn_engine(exp));
		for (size_t i = 0; !rc && i < expect_ran && i < list.n; i++)
			rc = sl_conn_exec(exp, list.items[i].text);
		sl_stmt_list_free(&list);
	}
	if (!rc)
		rc = rh_fingerprint(&a, exp, NULL);
	if (!rc)
		rc = rh_fingerprint(&b, fresh, NULL);
	if (!rc)
		rc = rh_fp_compare(&tmp, a, b, NULL, fresh);
	if (!rc)
		explain_fault(f, t, m, row, drop, &tmp);
	for (size_t i = 0; i < tmp.nfidelity_diffs; i++)
		free(tmp.fidelity_diffs[i]);
	free(tmp.fidelity_diffs);
	rh_fp_free(a);
	rh_fp_free(b);
	sl_history_free(h);
	sl_conn_close(fresh);
	sl_conn_close(exp);
	int drc = rh_scratch_drop(&expect, x->admin);
	return rc ? rc : drc;
}

/* ---- rounds ---- */

static int fail_line(rh_run *x, const char *what)
{
	return rh_push_line(&x->r->failed, &x->r->nfailed, "%s: %s", what, sl_error_last()->message);
}

static int round_trip(rh_run *x, int round)
{
	sl_rehearsal *r = x->r;
	size_t applied = 0, reverted = 0;
	rh_observer_round(x->ob, round, round == 1);
	rh_observer_faults(x->ob, round == 1 && x->has_fail ? &x->fail_at : NULL,
			   round == 1 && x->has_drop ? &x->drop_at : NULL);
	int crc = cancelled(x->o);
	if (crc)
		return crc;
	sl_migrate_opts mo = migrate_opts(x, true);
	int up_rc = r->nmigrations ? sl_migrate_up(x->scratch, x->o->set, &mo, &applied) : 0;
	for (size_t i = 0; i < r->nmigrations; i++)
		x->up_us[i][round - 1] = rh_observer_mig_us(x->ob, r->migrations[i].id, false);
	if (x->has_fail || x->has_drop)
		return judge_fault(x, x->has_fail ? &x->fail_at : &x->drop_at, x->has_drop, up_rc);
	if (up_rc)
		return fail_line(x, "up");
	if (round == 1) {
		sl_migrate_opts vo = migrate_opts(x, false);
		vo.on_event = on_verify;
		vo.ud = x;
		size_t nfail = 0;
		int64_t t0 = rh_now_us();
		rh_progress(x->o, "verify", "every applied migration");
		int rc = sl_migrate_verify(x->scratch, x->o->set, &vo, &nfail);
		r->verify_us = rh_now_us() - t0;
		if (rc)
			return fail_line(x, "verify");
		rh_progress(x->o, "rules", "after up");
		if ((rc = run_rules(x, true)) != 0)
			return rc;
	}
	mo.steps = (long)applied;
	if ((crc = cancelled(x->o)) != 0)
		return crc;
	if (applied) {
		int rc = sl_migrate_down(x->scratch, x->o->set, &mo, &reverted);
		for (size_t i = 0; i < r->nmigrations; i++)
			x->down_us[i][round - 1] = rh_observer_mig_us(x->ob, r->migrations[i].id, true);
		if (rc)
			return fail_line(x, "down");
	}
	rh_fp *after = NULL;
	int64_t t0 = rh_now_us();
	rh_progress(x->o, "fingerprint", "after the round trip");
	for (size_t i = 0; i < r->nfidelity_diffs; i++)
		free(r->fidelity_diffs[i]);
	r->nfidelity_diffs = 0;
	int rc = rh_fingerprint(&after, x->scratch, x->fp2);
	sl_conn *src = NULL;
	if (!rc && x->o->connect(&src, x->o->connect_ud, NULL, NULL) == 0)
		sl_rules_read_only(src);
	else
		sl_error_clear();
	if (!rc)
		rc = rh_fp_compare(r, x->before, after, src, x->scratch);
	sl_conn_close(src);
	r->fingerprint_us += rh_now_us() - t0;
	rh_fp_free(after);
	return rc;
}

static void fill_spreads(rh_run *x)
{
	sl_rehearsal *r = x->r;
	for (size_t i = 0; i < r->nmigrations; i++) {
		int64_t up[256], down[256];
		size_t nu = 0, nd = 0;
		for (int k = 0; k < r->repeat && k < 256; k++) {
			if (x->up_us[i][k] >= 0)
				up[nu++] = x->up_us[i][k];
			if (x->down_us[i][k] >= 0)
				down[nd++] = x->down_us[i][k];
		}
		rh_spread(&r->migrations[i].up, up, nu);
		rh_spread(&r->migrations[i].down, down, nd);
	}
}

/* ---- recording ---- */

static int record(rh_run *x)
{
	sl_rehearsal *r = x->r;
	sl_buf json = SL_BUF_INIT, failed = SL_BUF_INIT;
	sl_state_rehearsal_mig *ms = calloc(r->nmigrations ? r->nmigrations : 1, sizeof(*ms));
	int rc = ms ? sl_rehearsal_json(&json, r) : sl_error_nomem();
	if (!rc)
		rc = sl_buf_putc(&failed, '[');
	for (size_t i = 0; !rc && i < r->nfailed; i++) {
		sl_buf_puts(&failed, i ? ", " : "");
		sl_buf_putc(&failed, '"');
		for (const char *p = r->failed[i]; *p; p++)
			rc = (*p == '"' || *p == '\\')  ? sl_buf_printf(&failed, "\\%c", *p)
			     : (unsigned char)*p < 0x20 ? sl_buf_printf(&failed, "\\u%04x", *p)
							: sl_buf_putc(&failed, *p);
		sl_buf_putc(&failed, '"');
	}
	if (!rc)
		rc = sl_buf_putc(&failed, ']');
	for (size_t i = 0; !rc && i < r->nmigrations; i++) {
		const sl_rh_migration *m = &r->migrations[i];
		ms[i] = (sl_state_rehearsal_mig){ .id = m->id,
						  .checksum = m->checksum,
						  .up_ms = m->up.max_us / 1000,
						  .down_ms = m->down.max_us / 1000,
						  .rewrites = (int64_t)m->rewrites,
						  .exclusive_lock_ms = m->block_us / 1000 };
	}
	sl_state_rehearsal sr = { .verdict = r->verdict,
				  .migrations_key = r->migrations_key,
				  .failed_json = sl_buf_cstr(&failed),
				  .report_json = sl_buf_cstr(&json),
				  .total_ms = r->total_us / 1000,
				  .migrations = ms,
				  .nmigrations = r->nmigrations };
	if (!rc)
		rc = sl_state_rehearsal_finish(x->o->state, r->state_id, &sr);
	free(ms);
	sl_buf_free(&json);
	sl_buf_free(&failed);
	return rc;
}

/* ---- the whole ---- */

static int prepare_scratch(rh_run *x)
{
	sl_rehearsal *r = x->r;
	const char *method = NULL;
	int64_t t0 = rh_now_us();
	int rc = rh_scratch_make(&x->main, x->admin, x->o, r, x->prefix, r->run_id, NULL, &method);
	r->scratch_us = rh_now_us() - t0;
	r->scratch = rh_strdup(x->main.name);
	if (method && strcmp(method, "clone") == 0)
		rh_push_line(&r->notes, &r->nnotes, "scratch copy: a native clone of the database");
	r->scratch_method = rh_strdup(method ? method : "none");
	if (!rc)
		rc = x->o->connect(&x->scratch, x->o->connect_ud, x->admin, x->main.name);
	if (!rc && x->o->rules && x->o->rules->n) {
		rc = x->o->connect(&x->rules_conn, x->o->connect_ud, x->admin, x->main.name);
		if (!rc)
			rc = sl_rules_read_only(x->rules_conn);
	}
	if (!rc && x->o->connect(&x->fp2, x->o->connect_ud, x->admin, x->main.name) != 0) {
		sl_error_clear(); /* one reader is slower, not wrong */
		x->fp2 = NULL;
	}
	if (!rc && sl_conn_has(x->scratch, SL_CAP_LOCK_OBSERVE))
		rc = x->o->connect(&x->obs, x->o->connect_ud, x->admin, x->main.name);
	else if (!rc && sl_conn_has(x->scratch, SL_CAP_DB_WRITE_LOCK))
		rh_push_line(&r->notes, &r->nnotes,
			     "locks: a write transaction locks the whole %s database against other writers "
			     "(readers "
			     "go on in WAL mode); shown as a database write lock for each migration",
			     r->engine);
	else if (!rc)
		rh_push_line(
			&r->notes, &r->nnotes,
			"locks: %s shows no other session's table locks; writers are counted as blocked only "
			"while a table is rebuilt with ALGORITHM=COPY, brief metadata locks are not measured",
			r->engine);
	if (!rc)
		rc = rh_observer_new(&x->ob, r, x->scratch, x->obs, x->o, critical_table, x);
	return rc;
}

static int rehearse(rh_run *x)
{
	sl_rehearsal *r = x->r;
	int rc = x->o->connect(&x->admin, x->o->connect_ud, NULL, NULL);
	if (rc)
		return rc;
	r->engine = sl_engine_name(sl_conn_engine(x->admin));
	r->server_version = rh_strdup(sl_conn_server_version(x->admin));
	if ((rc = plan(x)) != 0 || (rc = load_critical(x)) != 0)
		return rc;
	if (x->o->state &&
	    (rc = sl_state_rehearsal_begin(x->o->state, &r->state_id, r->environment, r->engine)))
		return rc;
	if (r->no_pending)
		rh_push_line(&r->notes, &r->nnotes,
			     "no pending migrations: verify and the rules were still measured");
	size_t nm = r->nmigrations ? r->nmigrations : 1;
	x->up_us = calloc(nm, sizeof(*x->up_us));
	x->down_us = calloc(nm, sizeof(*x->down_us));
	if (!x->up_us || !x->down_us)
		return sl_error_nomem();
	for (size_t i = 0; i < r->nmigrations; i++) {
		x->up_us[i] = malloc((size_t)r->repeat * sizeof(int64_t));
		x->down_us[i] = malloc((size_t)r->repeat * sizeof(int64_t));
		if (!x->up_us[i] || !x->down_us[i])
			return sl_error_nomem();
		for (int k = 0; k < r->repeat; k++)
			x->up_us[i][k] = x->down_us[i][k] = -1;
	}
	if ((rc = cancelled(x->o)) != 0 || (rc = prepare_scratch(x)) != 0 || (rc = cancelled(x->o)) != 0)
		return rc;
	int64_t t0 = rh_now_us();
	rh_progress(x->o, "fingerprint", "before up");
	rc = rh_fingerprint(&x->before, x->scratch, x->fp2);
	r->fingerprint_us = rh_now_us() - t0;
	if (!rc)
		rc = cancelled(x->o);
	if (!rc) {
		rh_progress(x->o, "rules", "before up");
		rc = run_rules(x, false);
	}
	for (int round = 1; !rc && round <= r->repeat; round++) {
		size_t failed_before = r->nfailed;
		rc = round_trip(x, round);
		if (rc || r->nfailed > failed_before || (r->fidelity_checked && !r->fidelity_ok) ||
		    r->fault.kind)
			break;
	}
	fill_spreads(x);
	if (!rc)
		rc = cancelled(x->o);
	if (!rc && x->o->forecast_rows > 0 && !r->fault.kind && r->nfailed == 0 && r->nmigrations) {
		sl_migrate_opts mo = migrate_opts(x, false);
		rc = rh_forecast(r, x->admin, x->o, x->prefix, &mo, rh_fp_rows(x->before));
	}
	return rc;
}

int sl_rehearse_run(sl_rehearsal **out, const sl_rehearse_opts *o)
{
	int64_t t0 = rh_now_us();
	rh_run x = { .o = o };
	char run_id[64];
	*out = NULL;
	if (!o->connect || !o->set)
		return sl_error_set(SL_EINVALID, "rehearse: no connection callback or migration set");
	if (!(x.r = calloc(1, sizeof(*x.r))))
		return sl_error_nomem();
	sl_rehearsal *r = x.r;
	if (o->cfg)
		x.t = o->cfg->rehearsal;
	else
		x.t = (sl_config_rehearsal){ .max_migration_ms = -1,
					     .max_total_ms = -1,
					     .max_exclusive_lock_ms = -1,
					     .allow_rewrites = true,
					     .require_rollback_fidelity = true,
					     .scratch_prefix = "sluice_rehearse_" };
	x.prefix = o->prefix ? o->prefix : x.t.scratch_prefix;
	rh_run_id(run_id, sizeof(run_id));
	r->run_id = rh_strdup(run_id);
	r->environment = rh_strdup(o->environment ? o->environment : "");
	r->repeat = o->repeat > 0 ? o->repeat : 1;
	if (r->repeat > 256)
		r->repeat = 256;
	if ((o->fail_at || o->drop_at) && r->repeat > 1)
		r->repeat = 1; /* a drill runs once */
	r->forecast_rows = o->forecast_rows;
	int rc = rehearse(&x);
	/* every path: connections to the scratch database first, then the drop */
	rh_observer_free(x.ob);
	sl_conn_close(x.scratch);
	sl_conn_close(x.obs);
	sl_conn_close(x.rules_conn);
	sl_conn_close(x.fp2);
	if (x.admin) {
		rh_progress(o, "scratch", "dropping %s", x.main.name);
		int drc = rh_scratch_drop(&x.main, x.admin);
		if (!rc && drc)
			rc = drc;
	}
	r->total_us = rh_now_us() - t0;
	if (!rc)
		rc = rh_judge(r, &x.t);
	else if (!r->verdict)
		r->verdict = "ERROR";
	if (o->state && r->state_id) {
		sl_error e = *sl_error_last();
		char *msg = rc && e.message ? strdup(e.message) : NULL;
		if (rc && !r->nfailed)
			rh_push_line(&r->failed, &r->nfailed, "error: %s",
				     msg ? msg : "the rehearsal stopped");
		int src = record(&x);
		if (msg)
			sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", msg);
		free(msg);
		if (!rc)
			rc = src;
	}
	for (size_t i = 0; i < r->nmigrations; i++) {
		if (x.up_us)
			free(x.up_us[i]);
		if (x.down_us)
			free(x.down_us[i]);
	}
	free(x.up_us);
	free(x.down_us);
	free(x.critical);
	free(x.last_applied);
	rh_fp_free(x.before);
	sl_migrate_status_free(x.st);
	sl_history_free(x.h);
	sl_conn_close(x.admin);
	*out = r;
	return rc;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void sl_rehearsal_free(sl_rehearsal *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmigrations; i++) {
		free(r->migrations[i].id);
		free(r->migrations[i].title);
		free(r->migrations[i].block_table);
		free(r->migrations[i].verify_error);
	}
	free(r->migrations);
	for (size_t i = 0; i < r->nstmts; i++) {
		sl_rh_stmt *s = &r->stmts[i];
		free(s->migration);
		free(s->sql);
		free_lines(s->rewritten, s->nrewritten);
		free_lines(s->rewrite_notes, s->nrewritten);
		for (size_t k = 0; k < s->nlocks; k++) {
			free(s->locks[k].table);
			free(s->locks[k].mode);
		}
		free(s->locks);
	}
	free(r->stmts);
	for (size_t i = 0; i < r->nrules; i++) {
		free(r->rules[i].name);
		free(r->rules[i].message);
	}
	free(r->rules);
	free_lines(r->fidelity_diffs, r->nfidelity_diffs);
	free_lines(r->failed, r->nfailed);
	free_lines(r->notes, r->nnotes);
	free(r->fault.migration);
	free(r->fault.error);
	free(r->fault.history_status);
	free(r->fault.recorded_statement);
	free(r->fault.explanation);
	free(r->run_id);
	free(r->scratch);
	free(r->scratch_method);
	free(r->environment);
	free(r->server_version);
	free(r);
}
