/*
 * phases.c - the DDL phases of a copy run after the data: indexes (in
 * parallel on several connections where the target allows), constraints,
 * foreign keys (each on its own; a failure is counted and reported with the
 * rows that break it), sequences, views and triggers; and the TABLES phase,
 * where a CREATE TABLE the target refuses is pinned on its columns and its
 * table left out. A statement repeated by a resume that finds its object
 * already there is skipped (sl_error_is, SL_ERRCLASS_EXISTS).
 */
#include "run_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice/error.h"

/*
 * Runs the statements of a DDL phase from number `from`. Transactional
 * targets: all of them and the phase change in one transaction. Others: one
 * by one, the count recorded after each (a crash repeats at most one, and a
 * repeated statement that finds its object already there is skipped).
 * tolerant: a statement the data refuses (a unique key over duplicates, a
 * check the rows break) is reported as a violation and the phase goes on.
 */
int copy_run_ddl_phase(run *r, const sl_ddl *d, sl_ddl_phase ph, int from, const char *next, bool tolerant)
{
	size_t n = sl_ddl_count(d, ph);
	bool tx = copy_transactional(r);
	int rc = tx ? sl_conn_begin(r->dst) : 0;
	for (size_t i = (size_t)from; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, ph, i);
		if ((rc = copy_check_interrupt(r)) != 0)
			break;
		if (copy_on_failed_table(r, st)) {
			rc = tx ? 0 : copy_set_phase(r, sl_ddl_phase_name(ph), (int)i + 1);
			continue; /* its table was not created: --resume runs it */
		}
		if (tx && tolerant)
			rc = sl_conn_savepoint(r->dst, "sluice_ddl");
		if (!rc)
			rc = sl_conn_exec(r->dst, st->sql);
		if (rc == SL_EDB && tolerant && sl_error_is(sl_error_last(), SL_ERRCLASS_EXISTS)) {
			/* made by an earlier attempt of this copy (a resume) */
			rc = tx ? sl_conn_rollback_to(r->dst, "sluice_ddl") : 0;
		} else if (rc && !tx && (int)i == from && from > 0) {
			/* repeated after a crash: the object may exist already */
			copy_notice(r,
				    "statement %zu of phase %s was already run before the interruption: %s",
				    i + 1, sl_ddl_phase_name(ph), sl_error_last()->message);
			rc = 0;
		}
		if (rc == SL_EDB && tolerant) {
			char *m = strdup(sl_error_last()->message);
			rc = tx ? sl_conn_rollback_to(r->dst, "sluice_ddl") : 0;
			copy_notice(r, "phase %s: %s failed: %s", sl_ddl_phase_name(ph), st->sql, m ? m : "");
			if (!rc)
				rc = copy_add_violation(r, st->table, st->sql, -1, m ? m : "");
			free(m);
		} else if (rc) {
			sl_error_prefix("phase %s: %s", sl_ddl_phase_name(ph), st->sql);
		}
		if (!rc && tx && tolerant)
			rc = sl_conn_release(r->dst, "sluice_ddl");
		if (!rc && !tx)
			rc = copy_set_phase(r, sl_ddl_phase_name(ph), (int)i + 1);
	}
	if (!rc)
		rc = copy_set_phase(r, next, 0);
	if (tx) {
		if (!rc)
			rc = sl_conn_commit(r->dst);
		else {
			char *m = strdup(sl_error_last()->message);
			int code = sl_error_last()->code;
			sl_conn_rollback(r->dst);
			sl_error_set(code, "%s", m ? m : "ddl failed");
			free(m);
		}
	}
	return rc;
}

/*
 * The INDEXES phase on --jobs connections at once, taking the statements from
 * one queue (index_queue.c): each connection takes the next one when it is
 * free, so a long index build (text, many rows) does not leave the others
 * idle behind a fixed share. When the data phase ran in this run, its workers
 * already took the statements of every table they finished loading; this
 * runs what is left. Each statement commits on its own, so the phase is not
 * one transaction: after an interruption it runs again from its first
 * statement and a statement whose object already exists is skipped.
 */
static void *index_worker(void *ud)
{
	run *r = ud;
	sl_conn *c = NULL;
	copy_work w;
	int rc = copy_open_side(r, &c, SL_COPY_TARGET);
	while (!rc && copy_iq_next(r, NULL, 0, &w)) {
		rc = copy_iq_run(r, c, w.stmt);
		copy_iq_done(r, &w);
	}
	if (rc)
		copy_record_error(r, rc);
	sl_conn_close(c);
	sl_error_clear(); /* the thread's message buffer dies with the thread */
	return NULL;
}

int copy_run_index_phase(run *r)
{
	int jobs = r->o->jobs > 16 ? 16 : r->o->jobs;
	if (!copy_iq_applies(r))
		return copy_run_ddl_phase(r, r->plan->ddl, SL_DDL_INDEXES, 0, "constraints", true);
	pthread_t th[16];
	int started = 0, rc = r->iq ? 0 : copy_iq_new(r);
	if (rc)
		return rc;
	copy_iq_loaded(r);
	size_t left = copy_iq_left(r);
	for (int w = 0; w < jobs && (size_t)w < left; w++) {
		if (pthread_create(&th[started], NULL, index_worker, r) != 0) {
			copy_record_error(r, sl_error_set(SL_ERROR, "start index worker %d", w + 1));
			break;
		}
		started++;
	}
	for (int w = 0; w < started; w++)
		pthread_join(th[w], NULL);
	if (r->err_code)
		rc = sl_error_set(r->err_code, "%s", r->err_msg ? r->err_msg : "index phase failed");
	if (!rc)
		rc = copy_check_interrupt(r); /* statements were left: the phase runs again on --resume */
	if (!rc)
		rc = copy_set_phase(r, "constraints", 0);
	return rc;
}

int copy_add_violation(run *r, const char *table, const char *constraint, int64_t rows, const char *msg)
{
	sl_copy_result *res = r->res;
	sl_copy_violation *v = realloc(res->violations, (res->nviolations + 1) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	res->violations = v;
	v = &v[res->nviolations++];
	v->table = strdup(table ? table : "");
	v->constraint = strdup(constraint ? constraint : "");
	v->rows = rows;
	v->message = strdup(msg ? msg : "");
	if (!v->table || !v->constraint || !v->message)
		return sl_error_nomem();
	return 0;
}

static const char *col_target(const sl_cast_table *ct, const char *src_col)
{
	const sl_cast_column *c = sl_cast_table_find_column(ct, src_col);
	return c ? c->name : src_col;
}

/* Counts the rows of table t violating foreign key fk, on the target. */
static int count_fk_violations(run *r, const sl_copy_tplan *t, const sl_fkey *fk, int64_t *out)
{
	const sl_cast_table *pt = sl_cast_plan_find_ref(r->plan->casts, t->src, fk);
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	*out = -1;
	if (!pt)
		return 0;
	rc = sl_buf_puts(&b, "SELECT count(*) FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(r->dst, &b, t->cast->name);
	if (!rc)
		rc = sl_buf_puts(&b, " c WHERE ");
	for (size_t i = 0; !rc && i < fk->ncolumns; i++) {
		rc = sl_buf_puts(&b, "c.");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, col_target(t->cast, fk->columns[i]));
		if (!rc)
			rc = sl_buf_puts(&b, " IS NOT NULL AND ");
	}
	if (!rc)
		rc = sl_buf_puts(&b, "NOT EXISTS (SELECT 1 FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(r->dst, &b, pt->name);
	if (!rc)
		rc = sl_buf_puts(&b, " p WHERE ");
	for (size_t i = 0; !rc && i < fk->ncolumns; i++) {
		rc = sl_buf_puts(&b, i ? " AND p." : "p.");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, col_target(pt, fk->ref_columns[i]));
		if (!rc)
			rc = sl_buf_puts(&b, " = c.");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, col_target(t->cast, fk->columns[i]));
	}
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_conn_query_int(r->dst, b.ptr, out);
	sl_buf_free(&b);
	return rc;
}

static int fk_failed(run *r, const char *target_table, const char *msg)
{
	int rc = 0;
	bool counted = false;
	for (size_t i = 0; i < r->res->nviolations; i++)
		if (strcmp(r->res->violations[i].table, target_table ? target_table : "") == 0)
			return 0; /* already reported */
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		const sl_copy_tplan *t = &r->plan->tables[i];
		if (!target_table || strcmp(t->cast->name, target_table) != 0)
			continue;
		for (size_t j = 0; !rc && j < t->src->nfkeys; j++) {
			int64_t n = -1;
			const sl_fkey *fk = &t->src->fkeys[j];
			if (count_fk_violations(r, t, fk, &n))
				n = -1;
			if (n != 0) {
				rc = copy_add_violation(r, t->cast->name, fk->name ? fk->name : fk->ref_table,
							n, msg);
				copy_notice(
					r,
					"foreign key \"%s\" of \"%s\" -> \"%s\" failed validation: %" PRId64
					" violating rows (%s)",
					fk->name ? fk->name : "", t->cast->name, fk->ref_table, n, msg);
				counted = true;
			}
		}
	}
	if (!rc && !counted) {
		rc = copy_add_violation(r, target_table, NULL, -1, msg);
		copy_notice(r, "foreign key on \"%s\" failed: %s", target_table ? target_table : "", msg);
	}
	return rc;
}

static int fk_violation(void *ud, const char *table, const char *parent, int64_t rows, const char *check)
{
	run *r = ud;
	int rc = copy_add_violation(r, table, parent, rows, check);
	copy_notice(r, "foreign key of \"%s\" -> \"%s\" failed validation: %" PRId64 " violating rows", table,
		    parent, rows);
	return rc;
}

/* One foreign key statement on r->dst; a refusal is counted and reported, never dropped. */
static int fk_one(run *r, const sl_ddl_stmt *st)
{
	int rc = 0, erc = copy_on_failed_table(r, st) ? 0 : sl_conn_exec(r->dst, st->sql);
	if (erc == SL_EDB && sl_error_is(sl_error_last(), SL_ERRCLASS_EXISTS)) {
		rc = 0; /* added by an earlier attempt of this copy (a resume) */
	} else if (erc == SL_EDB) {
		char *msg = strdup(sl_error_last()->message);
		rc = fk_failed(r, st->table, msg ? msg : "");
		free(msg);
	} else
		rc = erc;
	return rc;
}

/*
 * A run of parallel statements (VALIDATE: each locks its own table against
 * other validations only) shared by up to --jobs connections; the refusals
 * are kept per statement and reported by the caller on its own connection.
 */
typedef struct fk_group {
	run *r;
	const sl_ddl_stmt **st;
	char **msg; /* per statement: the engine's refusal, NULL when it passed */
	size_t n, next;
} fk_group;

static void *fk_worker(void *ud)
{
	fk_group *g = ud;
	run *r = g->r;
	sl_conn *c = NULL;
	int rc = copy_open_side(r, &c, SL_COPY_TARGET);
	if (!rc)
		rc = sl_conn_bulk_fk_checks(c, true);
	while (!rc && !sl_copy_should_stop(&r->sh)) {
		pthread_mutex_lock(&r->mu);
		size_t i = g->next < g->n ? g->next++ : SIZE_MAX;
		pthread_mutex_unlock(&r->mu);
		if (i == SIZE_MAX)
			break;
		int erc = sl_conn_exec(c, g->st[i]->sql);
		if (erc == SL_EDB && !sl_error_is(sl_error_last(), SL_ERRCLASS_EXISTS)) {
			g->msg[i] = strdup(sl_error_last()->message);
			rc = g->msg[i] ? 0 : sl_error_nomem();
		} else if (erc != SL_EDB) {
			rc = erc;
		}
	}
	if (rc)
		copy_record_error(r, rc);
	sl_conn_close(c);
	sl_error_clear(); /* the thread's message buffer dies with the thread */
	return NULL;
}

static int fk_parallel(run *r, size_t lo, size_t hi)
{
	fk_group g = { .r = r };
	pthread_t th[16];
	int jobs = r->o->jobs > 16 ? 16 : r->o->jobs, started = 0, rc = 0;
	g.st = calloc(hi - lo + 1, sizeof(*g.st));
	g.msg = calloc(hi - lo + 1, sizeof(*g.msg));
	if (!g.st || !g.msg) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = lo; i < hi; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(r->plan->ddl, SL_DDL_FOREIGN_KEYS, i);
		if (!copy_on_failed_table(r, st))
			g.st[g.n++] = st;
	}
	for (int w = 0; w < jobs && (size_t)w < g.n; w++) {
		if (pthread_create(&th[started], NULL, fk_worker, &g) != 0) {
			copy_record_error(r, sl_error_set(SL_ERROR, "start foreign key worker %d", w + 1));
			break;
		}
		started++;
	}
	for (int w = 0; w < started; w++)
		pthread_join(th[w], NULL);
	if (r->err_code)
		rc = sl_error_set(r->err_code, "%s", r->err_msg ? r->err_msg : "foreign key phase failed");
	for (size_t i = 0; !rc && i < g.n; i++)
		if (g.msg[i])
			rc = fk_failed(r, g.st[i]->table, g.msg[i]);
	if (!rc)
		rc = copy_check_interrupt(r); /* statements were left: the group runs again on --resume */
done:
	for (size_t i = 0; g.msg && i < g.n; i++)
		free(g.msg[i]);
	free(g.msg);
	free(g.st);
	return rc;
}

/*
 * Foreign keys in order, each on its own; a run of parallel statements (the
 * VALIDATEs after every ADD ... NOT VALID) on up to --jobs connections. The
 * phase's progress is recorded after each statement or run.
 */
int copy_run_fk_phase(run *r, int from)
{
	const sl_ddl *d = r->plan->ddl;
	size_t n = sl_ddl_count(d, SL_DDL_FOREIGN_KEYS);
	bool par = r->o->jobs > 1 && !sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK);
	int rc = sl_conn_bulk_fk_checks(r->dst, true);
	for (size_t i = (size_t)from; !rc && i < n;) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, SL_DDL_FOREIGN_KEYS, i);
		size_t end = i + 1;
		while (par && st->parallel && end < n &&
		       sl_ddl_statement(d, SL_DDL_FOREIGN_KEYS, end)->parallel)
			end++;
		rc = end - i > 1 ? fk_parallel(r, i, end) : fk_one(r, st);
		if (!rc)
			rc = copy_set_phase(r, "foreign_keys", (int)end);
		i = end;
	}
	if (!rc) /* keys the engine did not enforce during the load */
		rc = sl_conn_fk_violations(r->dst, fk_violation, r);
	if (!rc)
		rc = copy_set_phase(r, "sequences", 0);
	return rc;
}

/* Views and triggers: created when translated; failures and untranslated items are listed. */
int copy_run_optional_phase(run *r, sl_ddl_phase ph, int from, const char *next)
{
	const sl_ddl *d = r->plan->ddl;
	size_t n = sl_ddl_count(d, ph);
	int rc = 0;
	for (size_t i = (size_t)from; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, ph, i);
		if (sl_conn_exec(r->dst, st->sql) && !sl_error_is(sl_error_last(), SL_ERRCLASS_EXISTS)) {
			if (sl_error_last()->code == SL_ECONNECT)
				return sl_error_last()->code;
			copy_notice(r, "%s: not created: %s", sl_ddl_phase_name(ph),
				    sl_error_last()->message);
			r->res->not_translated++;
		}
		rc = copy_set_phase(r, sl_ddl_phase_name(ph), (int)i + 1);
	}
	if (!rc)
		rc = copy_set_phase(r, next, 0);
	return rc;
}

void copy_list_untranslated(run *r)
{
	const sl_ddl *d = r->plan->ddl;
	for (size_t i = 0; i < sl_ddl_nitems(d); i++) {
		const sl_ddl_item *it = sl_ddl_item_at(d, i);
		copy_notice(r, "not translated: %s \"%s\"%s%s%s: %s", it->kind, it->name ? it->name : "",
			    it->table ? " on \"" : "", it->table ? it->table : "", it->table ? "\"" : "",
			    it->reason);
		r->res->not_translated++;
	}
}

/*
 * A CREATE TABLE the target refused: pinned on its columns (ddl_check.c).
 * With --force and only defaults at fault, the table is created without
 * them; otherwise it is marked failed and reported with the statement and
 * the engine's message, and the rest of the run leaves it out.
 */
static int table_refused(run *r, size_t ti, const sl_ddl_stmt *st, const char *msg)
{
	sl_copy_tplan *t = &r->plan->tables[ti];
	sl_copy_diag d = { 0 };
	sl_buf text = SL_BUF_INIT, sql = SL_BUF_INIT;
	bool tx = copy_transactional(r);
	sl_engine e = sl_conn_engine(r->dst);
	int rc = sl_copy_diagnose(&d, r->dst, r->plan, t, msg);
	if (!rc)
		rc = sl_copy_diag_text(&text, &d, t, e);
	if (!rc && r->o->force && sl_copy_diag_defaults_only(&d)) {
		sl_cast_table *ct = (sl_cast_table *)t->cast;
		for (size_t i = 0; i < d.n; i++)
			ct->columns[d.v[i].column].default_sql = NULL;
		rc = sl_ddl_create_cast_table(&sql, ct, r->plan->casts, e, !tx);
		rc = rc ? rc : tx ? sl_conn_savepoint(r->dst, "sluice_table") : 0;
		int erc = rc ? 0 : sl_conn_exec(r->dst, sql.ptr);
		if (!rc && erc == 0) {
			rc = tx ? sl_conn_release(r->dst, "sluice_table") : 0;
			copy_notice(
				r,
				"table \"%s\" created without the defaults the target refuses (--force): %s",
				t->src->name, sl_buf_cstr(&text));
			goto done;
		}
		if (!rc && erc != SL_EDB)
			rc = erc;
		else if (!rc && tx) {
			rc = sl_conn_rollback_to(r->dst, "sluice_table");
			rc = rc ? rc : sl_conn_release(r->dst, "sluice_table");
		}
	}
	if (!rc)
		rc = sl_buf_printf(&text, "; statement: %s", st->sql);
	if (!rc) {
		r->failed[ti] = true;
		free(r->ferr[ti]);
		r->ferr[ti] = strdup(sl_buf_cstr(&text));
		r->nfailed++;
		copy_notice(r, "table \"%s\" not created: %s", t->src->name, sl_buf_cstr(&text));
	}
done:
	sl_copy_diag_free(&d);
	sl_buf_free(&text);
	sl_buf_free(&sql);
	return rc;
}

/* Runs one statement of the tables phase; a refusal is the table's, not the run's. */
static int table_statement(run *r, const sl_ddl_stmt *st)
{
	bool tx = copy_transactional(r);
	size_t ti = copy_table_index(r, st->table);
	int rc = tx ? sl_conn_savepoint(r->dst, "sluice_table") : 0;
	int erc = rc ? 0 : sl_conn_exec(r->dst, st->sql);
	if (rc || erc == 0)
		return rc ? rc : tx ? sl_conn_release(r->dst, "sluice_table") : 0;
	if (erc != SL_EDB) {
		sl_error_prefix("phase tables: %s", st->sql);
		return erc;
	}
	char *msg = strdup(sl_error_last()->message);
	bool exists = sl_error_is(sl_error_last(), SL_ERRCLASS_EXISTS);
	if (!msg)
		return sl_error_nomem();
	if (tx) {
		rc = sl_conn_rollback_to(r->dst, "sluice_table");
		rc = rc ? rc : sl_conn_release(r->dst, "sluice_table");
	}
	if (!rc && exists && ti == SIZE_MAX)
		; /* a type or sequence made by an earlier attempt */
	else if (!rc && ti == SIZE_MAX)
		copy_notice(r, "phase tables: not created: %s: %s", st->sql, msg);
	else if (!rc)
		rc = table_refused(r, ti, st, msg);
	free(msg);
	return rc;
}

/*
 * TABLES: the DDL, the parts and the phase change (one transaction where DDL
 * is transactional). Tables that already have parts were created by an
 * earlier attempt and are skipped, so a --resume after tables were refused
 * creates only those, with the plan (and cast rules) of this run.
 */
int copy_phase_tables(run *r)
{
	const sl_ddl *d = copy_transactional(r) ? r->plan->ddl : r->plan->ddl_ine;
	size_t n = sl_ddl_count(d, SL_DDL_TABLES);
	bool tx = copy_transactional(r);
	sl_copy_part *parts = NULL;
	size_t np = 0;
	bool *have = calloc(r->plan->ntables + 1, sizeof(*have));
	int rc = have ? sl_copy_state_parts(r->dst, &parts, &np) : sl_error_nomem();
	for (size_t j = 0; !rc && j < np; j++) {
		const sl_copy_tplan *t = sl_copy_plan_find(r->plan, parts[j].table);
		if (t && !parts[j].failed)
			have[t - r->plan->tables] = true;
	}
	if (!rc && tx)
		rc = sl_conn_begin(r->dst);
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, SL_DDL_TABLES, i);
		size_t ti = copy_table_index(r, st->table);
		if (ti == SIZE_MAX || !have[ti])
			rc = table_statement(r, st);
	}
	if (!rc)
		rc = sl_copy_state_clear_failed(r->dst);
	if (!rc && !tx)
		rc = sl_conn_begin(r->dst);
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		if (have[i])
			continue;
		rc = r->failed[i] ? sl_copy_state_add_failed(r->dst, r->run_id, r->plan->tables[i].src->name)
				  : copy_make_parts(r, &r->plan->tables[i]);
		if (rc)
			sl_error_prefix("plan the table parts");
	}
	if (!rc)
		rc = copy_set_phase(r, r->o->schema_only ? "indexes" : "data", 0);
	if (!rc)
		rc = sl_conn_commit(r->dst);
	if (rc && sl_conn_in_transaction(r->dst)) {
		char *m = strdup(sl_error_last()->message);
		int code = sl_error_last()->code;
		sl_conn_rollback(r->dst);
		sl_error_set(code, "%s", m ? m : "tables phase failed");
		free(m);
	}
	sl_copy_parts_free(parts, np);
	free(have);
	return rc;
}
