/*
 * runner.c - applying, reverting, verifying, adopting and repairing
 * migrations (include/sluice/migrate.h).
 *
 * Checklist when changing how a migration runs - these must move together:
 *  - transactional path (apply_tx / revert_tx): statements, verify and the
 *    history row commit as one transaction;
 *  - non-transactional path (apply_step / revert_step): the history row is
 *    written as "running" first, so a killed process leaves a record that
 *    status reports and up refuses until repair;
 *  - docs/migration-format.md ("What happens when a migration fails").
 */
#include "expand_glue.h"
#include "history.h"

#include "sluice/error.h"
#include "sluice/sql.h"
#include "sluice/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *who(const sl_migrate_opts *o)
{
	if (o->applied_by)
		return o->applied_by;
	const char *u = getenv("USER");
	return u && *u ? u : "unknown";
}

static void emit(const sl_migrate_opts *o, sl_migrate_event_kind kind, bool down, const sl_migration *m,
		 const char *id, const char *stmt, const char *detail, int64_t ms)
{
	if (!o->on_event)
		return;
	sl_migrate_event ev = { .kind = kind,
				.down = down,
				.migration = m,
				.id = id,
				.statement = stmt,
				.detail = detail,
				.duration_ms = ms };
	o->on_event(o->ud, &ev);
}

const char *sl_mig_state_name(sl_mig_state s)
{
	switch (s) {
	case SL_MIG_PENDING:
		return "pending";
	case SL_MIG_APPLIED:
		return "applied";
	case SL_MIG_BASELINE:
		return "baseline";
	case SL_MIG_DIRTY:
		return "dirty";
	case SL_MIG_DRIFTED:
		return "drifted";
	case SL_MIG_MISSING_FILE:
		return "missing file";
	case SL_MIG_EXPAND:
		return "in expand";
	default:
		return "?";
	}
}

/* ---- status ------------------------------------------------------------ */

static int cmp_status(const void *a, const void *b)
{
	return sl_migration_id_cmp(((const sl_mig_status *)a)->id, ((const sl_mig_status *)b)->id);
}

static bool is_dirty(const sl_history_row *r)
{
	return strcmp(r->status, "dirty") == 0 || strcmp(r->status, "running") == 0;
}

int sl_migrate_status_build(sl_migrate_status **out, const sl_migration_set *set, const sl_history *h,
			    sl_engine dialect)
{
	*out = NULL;
	size_t cap = set->n + (h ? h->n : 0);
	sl_migrate_status *st = calloc(1, sizeof(*st));
	if (!st || !(st->items = calloc(cap ? cap : 1, sizeof(*st->items)))) {
		free(st);
		return sl_error_nomem();
	}
	int rc = 0;
	for (size_t i = 0; !rc && i < set->n; i++) {
		const sl_migration *m = set->items[i];
		sl_mig_status *s = &st->items[st->n++];
		s->id = m->id;
		s->file = m;
		s->row = sl_history_find(h, m->id);
		rc = sl_migration_checksum(s->checksum, m, dialect);
		if (rc)
			break;
		if (!s->row)
			s->state = SL_MIG_PENDING;
		else if (is_dirty(s->row))
			s->state = SL_MIG_DIRTY;
		else if (strcmp(s->row->checksum, s->checksum) != 0)
			s->state = SL_MIG_DRIFTED;
		else if (sl_mglue_in_expand(s->row))
			s->state = SL_MIG_EXPAND;
		else
			s->state = strcmp(s->row->status, "baseline") == 0 ? SL_MIG_BASELINE : SL_MIG_APPLIED;
	}
	for (size_t i = 0; !rc && h && i < h->n; i++) {
		const sl_history_row *r = &h->rows[i];
		if (sl_migration_set_find(set, r->id))
			continue;
		sl_mig_status *s = &st->items[st->n++];
		s->id = r->id;
		s->row = r;
		s->state = is_dirty(r)             ? SL_MIG_DIRTY
			   : sl_mglue_in_expand(r) ? SL_MIG_EXPAND
						   : SL_MIG_MISSING_FILE;
	}
	if (rc) {
		sl_migrate_status_free(st);
		return rc;
	}
	qsort(st->items, st->n, sizeof(*st->items), cmp_status);
	for (size_t i = 0; i < st->n; i++) {
		switch (st->items[i].state) {
		case SL_MIG_PENDING:
			st->npending++;
			break;
		case SL_MIG_DIRTY:
			st->ndirty++;
			break;
		case SL_MIG_DRIFTED:
			st->ndrifted++;
			break;
		case SL_MIG_MISSING_FILE:
			st->nmissing++;
			break;
		case SL_MIG_EXPAND:
			st->nexpand++;
			break;
		default:
			st->napplied++;
		}
	}
	*out = st;
	return 0;
}

void sl_migrate_status_free(sl_migrate_status *st)
{
	if (!st)
		return;
	free(st->items);
	free(st);
}

/* ---- shared steps -------------------------------------------------------- */

typedef struct run {
	sl_conn *c;
	const sl_migration_set *set;
	const sl_migrate_opts *o;
	sl_engine dialect;
	sl_history *h;
	sl_migrate_status *st;
	bool locked;
	char lock_name[384];
} run;

static int take_lock(run *r)
{
	/*
	 * The lock guards one history table in one database. MySQL's named locks
	 * are server-wide (PostgreSQL's advisory locks are per database), so the
	 * name carries the database: runs on two databases of one server do not
	 * wait for each other. Long names are hashed by the driver.
	 */
	snprintf(r->lock_name, sizeof(r->lock_name), "sluice:%s:%s", sl_conn_database(r->c), r->o->table);
	int rc = sl_conn_lock(r->c, r->lock_name, 0);
	if (rc == SL_ELOCKED && r->o->lock_timeout_ms != 0) {
		emit(r->o, SL_MEV_WAITING, false, NULL, NULL, NULL, r->lock_name, r->o->lock_timeout_ms);
		rc = sl_conn_lock(r->c, r->lock_name, (int)r->o->lock_timeout_ms);
	}
	if (rc == SL_ELOCKED)
		return sl_error_set(SL_ELOCKED,
				    "another sluice run holds the migration lock on %s; "
				    "try again later or wait with --lock-timeout",
				    sl_conn_display(r->c));
	if (!rc)
		r->locked = true;
	return rc;
}

/* Releases the lock and frees the run; keeps the first error. */
static int finish(run *r, int rc)
{
	if (r->locked) {
		/* keep the error that stopped the run; an unlock failure only matters after success */
		sl_error e = *sl_error_last();
		char *msg = rc ? strdup(e.message) : NULL;
		int urc = sl_conn_unlock(r->c, r->lock_name);
		if (rc && msg)
			sl_error_set_db(rc, e.sqlstate, e.engine_code, "%s", msg);
		free(msg);
		if (!rc)
			rc = urc;
	}
	sl_migrate_status_free(r->st);
	sl_history_free(r->h);
	return rc;
}

static int load_state(run *r, bool create)
{
	int rc = create ? sl_history_ensure(r->c, r->o->table) : 0;
	if (!rc)
		rc = sl_history_load(&r->h, r->c, r->o->table);
	if (!rc)
		rc = sl_migrate_status_build(&r->st, r->set, r->h, r->dialect);
	return rc;
}

static int refuse_dirty_or_drift(run *r, bool drift_too)
{
	for (size_t i = 0; i < r->st->n; i++) {
		const sl_mig_status *s = &r->st->items[i];
		if (s->state == SL_MIG_DIRTY)
			return sl_error_set(
				SL_ECONFLICT,
				"migration %s is dirty: it %s%s%s%s; fix the database by hand, then run "
				"`sluice repair` (add --mark-applied if the change is now complete)",
				s->id, strcmp(s->row->status, "running") == 0 ? "was interrupted" : "failed",
				s->row->failed_statement ? " at: " : "",
				s->row->failed_statement ? s->row->failed_statement : "",
				s->row->error ? s->row->error : "");
		if (drift_too && s->state == SL_MIG_DRIFTED)
			return sl_error_set(
				SL_ECONFLICT,
				"migration %s was edited after it was applied (recorded %s, file %s); "
				"`sluice status` shows the difference, `sluice repair` accepts the file as "
				"it is",
				s->id, s->row->checksum, s->checksum);
	}
	return 0;
}

/* Formats the first row of a verify result for the message. */
static int describe_row(sl_buf *out, sl_cursor *cur, const sl_batch *b)
{
	int rc = 0;
	const sl_value *v = sl_batch_row(b, 0);
	for (size_t i = 0; !rc && i < b->ncols; i++) {
		rc = sl_buf_printf(out, "%s%s=", i ? ", " : "", sl_cursor_col(cur, i)->name);
		if (!rc)
			rc = v[i].type == SL_V_NULL ? sl_buf_puts(out, "NULL") : sl_value_format(out, &v[i]);
	}
	return rc;
}

/*
 * Runs m's verify statements. Returns 0 when each returns no rows; SL_ECHECK
 * with the first offending row in the message otherwise.
 */
static int run_verify(run *r, const sl_migration *m)
{
	sl_stmt_list list = SL_STMT_LIST_INIT;
	if (!sl_migration_section(m, SL_SECTION_VERIFY, r->dialect, NULL, NULL))
		return 0; /* verify is optional */
	int rc = sl_migration_statements(&list, m, SL_SECTION_VERIFY, r->dialect);
	for (size_t i = 0; !rc && i < list.n; i++) {
		sl_cursor *cur = NULL;
		sl_batch b = { 0 };
		rc = sl_conn_query(&cur, r->c, list.items[i].text);
		if (!rc)
			rc = sl_batch_init(&b, sl_cursor_ncols(cur), 1);
		if (!rc) {
			int n = sl_cursor_fetch(cur, &b, 1);
			if (n > 0) {
				sl_buf d = SL_BUF_INIT;
				describe_row(&d, cur, &b);
				rc = sl_error_set(SL_ECHECK,
						  "verify of migration %s (%s:%zu) returned rows; first: %s",
						  m->id, m->path, list.items[i].line, sl_buf_cstr(&d));
				emit(r->o, SL_MEV_VERIFY_FAILED, false, m, m->id, list.items[i].text,
				     sl_buf_cstr(&d), 0);
				sl_buf_free(&d);
			} else {
				rc = n;
			}
		}
		sl_cursor_close(cur);
		sl_batch_free(&b);
	}
	sl_stmt_list_free(&list);
	return rc;
}

/* Reports one statement (before it runs, or after with its duration). */
static void emit_stmt(const sl_migrate_opts *o, sl_migrate_event_kind kind, bool down, const sl_migration *m,
		      const sl_stmt_list *list, size_t i, int64_t us, int64_t changes, bool failed)
{
	if (!o->on_event)
		return;
	sl_migrate_event ev = { .kind = kind,
				.down = down,
				.migration = m,
				.id = m->id,
				.statement = list->items[i].text,
				.detail = failed ? "failed" : NULL,
				.duration_ms = us / 1000,
				.index = i + 1,
				.line = list->items[i].line,
				.duration_us = us,
				.changes = changes };
	o->on_event(o->ud, &ev);
}

/* Runs a list of statements, reporting each; on failure *failed points at the statement. */
static int run_statements(run *r, const sl_migration *m, const sl_stmt_list *list, bool down,
			  const sl_stmt **failed)
{
	for (size_t i = 0; i < list->n; i++) {
		emit_stmt(r->o, SL_MEV_STATEMENT, down, m, list, i, 0, -1, false);
		if (r->o->dry_run)
			continue;
		int64_t t0 = now_us();
		int rc = sl_conn_exec(r->c, list->items[i].text);
		emit_stmt(r->o, SL_MEV_STATEMENT_DONE, down, m, list, i, now_us() - t0,
			  rc ? -1 : sl_conn_changes(r->c), rc != 0);
		if (rc) {
			*failed = &list->items[i];
			sl_error_prefix("migration %s (%s:%zu)", m->id, m->path, list->items[i].line);
			return rc;
		}
	}
	return 0;
}

static const char *meta(const sl_migration *m, const char *key)
{
	const char *v = sl_migration_meta_get(m, key);
	return v && *v ? v : NULL;
}

static void fill_row(sl_history_row *row, const sl_migration *m, const sl_mig_status *s, sl_engine d,
		     const char *when, const char *by, const char *status)
{
	memset(row, 0, sizeof(*row));
	row->id = m->id;
	row->checksum = s->checksum;
	row->title = m->title;
	row->ticket = meta(m, "ticket");
	row->pr = meta(m, "pr");
	row->author = meta(m, "author");
	row->why = meta(m, "why");
	row->rollback = meta(m, "rollback");
	row->domain = meta(m, "domain");
	row->applied_at = when;
	row->applied_by = by;
	row->status = status;
	row->up_sql = sl_migration_section(m, SL_SECTION_UP, d, NULL, NULL);
	if (!row->up_sql) /* an expand/contract migration records its expand section */
		row->up_sql = sl_migration_section(m, SL_SECTION_EXPAND, d, NULL, NULL);
	row->down_sql = sl_migration_section(m, SL_SECTION_DOWN, d, NULL, NULL);
	row->verify_sql = sl_migration_section(m, SL_SECTION_VERIFY, d, NULL, NULL);
}

/* ---- up ------------------------------------------------------------------ */

static int apply_one(run *r, const sl_mig_status *s)
{
	const sl_migration *m = s->file;
	sl_stmt_list list = SL_STMT_LIST_INIT;
	bool no_tx = false;
	const sl_stmt *failed = NULL;
	char when[64];
	sl_now_utc_text(when, sizeof(when), 'T', 6);
	sl_history_row row;
	fill_row(&row, m, s, r->dialect, when, who(r->o), "applied");
	sl_migration_section(m, SL_SECTION_UP, r->dialect, NULL, &no_tx);
	bool tx = sl_conn_has(r->c, SL_CAP_TRANSACTIONAL_DDL) && !no_tx;

	emit(r->o, SL_MEV_START, false, m, m->id, NULL, tx ? "transactional" : "statement by statement", 0);
	int rc = sl_migration_statements(&list, m, SL_SECTION_UP, r->dialect);
	if (rc || r->o->dry_run) {
		if (!rc)
			rc = run_statements(r, m, &list, false, &failed);
		sl_stmt_list_free(&list);
		return rc;
	}
	int64_t t0 = sl_now_ms();
	if (tx) {
		rc = sl_conn_begin(r->c);
		if (!rc)
			rc = run_statements(r, m, &list, false, &failed);
		if (!rc)
			rc = run_verify(r, m);
		if (!rc) {
			row.duration_ms = sl_now_ms() - t0;
			rc = sl_history_insert(r->c, r->o->table, &row);
		}
		if (!rc) {
			rc = sl_conn_commit(r->c);
		} else if (sl_conn_in_transaction(r->c)) {
			sl_error e = *sl_error_last();
			char *msg = strdup(e.message);
			sl_conn_rollback(r->c);
			if (msg)
				sl_error_set_db(rc, e.sqlstate, e.engine_code,
						"%s (rolled back: nothing of it was applied)", msg);
			free(msg);
		}
	} else {
		row.status = "running";
		rc = sl_history_insert(r->c, r->o->table, &row);
		if (!rc) {
			rc = run_statements(r, m, &list, false, &failed);
			if (!rc)
				rc = run_verify(r, m);
			int64_t ms = sl_now_ms() - t0;
			if (rc) {
				char *msg = strdup(sl_error_last()->message);
				int code = rc;
				int urc =
					sl_history_update(r->c, r->o->table, m->id, "dirty", ms,
							  failed ? failed->text : "verify", msg, NULL, NULL);
				if (urc)
					/* say what the history really holds: the "running" row written first
					 */
					sl_error_set(
						code,
						"%s; the failure could not be recorded (%s): the history row "
						"still says \"running\", which `sluice status` reports as "
						"interrupted; `sluice up` refuses until `sluice repair`",
						msg ? msg : "migration failed", sl_error_last()->message);
				else
					sl_error_set(code,
						     "%s; recorded as dirty: `sluice up` refuses until "
						     "`sluice repair`",
						     msg ? msg : "migration failed");
				free(msg);
			} else {
				rc = sl_history_update(r->c, r->o->table, m->id, "applied", ms, NULL, NULL,
						       NULL, NULL);
			}
		}
	}
	int64_t ms = sl_now_ms() - t0;
	emit(r->o, rc ? SL_MEV_FAILED : SL_MEV_DONE, false, m, m->id, failed ? failed->text : NULL, NULL, ms);
	sl_stmt_list_free(&list);
	return rc;
}

static bool applied_state(sl_mig_state s)
{
	return s == SL_MIG_APPLIED || s == SL_MIG_BASELINE || s == SL_MIG_DRIFTED || s == SL_MIG_EXPAND;
}

/*
 * The migration in expand, if any: an unfinished expand is resumed; while
 * one is in expand, later migrations wait for its contract.
 */
static int expand_first(run *r, bool *blocked)
{
	*blocked = false;
	for (size_t i = 0; i < r->st->n; i++) {
		const sl_mig_status *s = &r->st->items[i];
		if (s->state != SL_MIG_EXPAND)
			continue;
		if (strcmp(s->row->status, "expanding") == 0) {
			int rc = sl_mglue_resume(r->c, r->o, r->lock_name, s);
			if (rc)
				return rc;
		}
		for (size_t j = 0; j < r->st->n; j++)
			if (r->st->items[j].state == SL_MIG_PENDING &&
			    (!r->o->to || sl_migration_id_cmp(r->st->items[j].id, r->o->to) <= 0)) {
				*blocked = true;
				return sl_error_set(
					SL_ECONFLICT,
					"migration %s is in expand (old and new versions live): run `sluice "
					"contract` before applying %s",
					s->id, r->st->items[j].id);
			}
	}
	return 0;
}

static int check_requires(run *r, const sl_migration *m)
{
	for (size_t i = 0; i < m->nrequires; i++) {
		bool ok = false;
		for (size_t j = 0; j < r->st->n; j++)
			if (strcmp(r->st->items[j].id, m->requires[i]) == 0)
				ok = applied_state(r->st->items[j].state);
		if (!ok)
			return sl_error_set(SL_ECONFLICT, "migration %s requires %s, which is not applied",
					    m->id, m->requires[i]);
	}
	return 0;
}

int sl_migrate_up(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *applied)
{
	run r = { .c = c, .set = set, .o = opts, .dialect = sl_conn_engine(c) };
	size_t n = 0;
	int rc = 0;
	if (opts->to && !sl_migration_set_find(set, opts->to))
		return sl_error_set(SL_EINVALID, "no migration has the id %s", opts->to);
	if (!opts->dry_run)
		rc = take_lock(&r);
	if (!rc)
		rc = load_state(&r, !opts->dry_run);
	if (!rc)
		rc = refuse_dirty_or_drift(&r, true);
	const char *last_applied = NULL;
	bool blocked = false;
	if (!rc)
		rc = expand_first(&r, &blocked);
	for (size_t i = 0; !rc && i < r.st->n; i++)
		if (applied_state(r.st->items[i].state))
			last_applied = r.st->items[i].id;
	for (size_t i = 0; !rc && i < r.st->n; i++) {
		sl_mig_status *s = &r.st->items[i];
		if (s->state != SL_MIG_PENDING)
			continue;
		if (opts->to && sl_migration_id_cmp(s->id, opts->to) > 0)
			break;
		if (last_applied && !opts->out_of_order && sl_migration_id_cmp(s->id, last_applied) < 0) {
			rc = sl_error_set(SL_ECONFLICT,
					  "pending migration %s is older than applied migration %s; "
					  "apply it anyway with --out-of-order",
					  s->id, last_applied);
			break;
		}
		rc = check_requires(&r, s->file);
		if (!rc && sl_migration_is_expand(s->file)) {
			/* both versions live from here on: later migrations wait for the contract */
			sl_history_row row;
			char when[64];
			sl_now_utc_text(when, sizeof(when), 'T', 6);
			fill_row(&row, s->file, s, r.dialect, when, who(opts), "expanding");
			rc = sl_mglue_apply(c, opts, r.lock_name, s->file, &row);
			if (!rc && !opts->dry_run)
				rc = run_verify(
					&r,
					s->file); /* a failure leaves it in expand: `down` rolls it back */
			if (!rc)
				n++;
			break;
		}
		if (!rc)
			rc = apply_one(&r, s);
		if (!rc) {
			s->state = SL_MIG_APPLIED;
			n++;
		}
	}
	if (applied)
		*applied = n;
	return finish(&r, rc);
}

/* ---- down ---------------------------------------------------------------- */

static int revert_one(run *r, const sl_mig_status *s)
{
	const sl_migration *m = s->file;
	const sl_history_row *row = s->row;
	sl_stmt_list list = SL_STMT_LIST_INIT;
	const sl_stmt *failed = NULL;
	bool no_tx = false;
	int rc = 0;
	const char *down = m ? sl_migration_section(m, SL_SECTION_DOWN, r->dialect, NULL, &no_tx) : NULL;
	bool handled = false;

	if ((rc = sl_mglue_revert(r->c, r->o, s, &handled)) || handled)
		return rc; /* in expand: undone by the expand module */
	if (m && down)
		rc = sl_migration_statements(&list, m, SL_SECTION_DOWN, r->dialect);
	else if (!m && row->down_sql)
		rc = sl_sql_split(&list, r->dialect, row->down_sql, strlen(row->down_sql));
	else if (m && m->irreversible)
		return sl_error_set(SL_EINVALID, "migration %s is irreversible: %s", s->id, m->irreversible);
	else
		return sl_error_set(SL_EINVALID, "migration %s has no down section", s->id);
	if (rc)
		return rc;
	/* a migration without its file still reverts with the SQL recorded when it was applied */
	sl_migration stub = { .id = s->id, .path = "(recorded in history)" };
	const sl_migration *mm = m ? m : &stub;
	bool tx = sl_conn_has(r->c, SL_CAP_TRANSACTIONAL_DDL) && !no_tx;
	emit(r->o, SL_MEV_START, true, m, s->id, NULL, tx ? "transactional" : "statement by statement", 0);
	int64_t t0 = sl_now_ms();
	if (r->o->dry_run) {
		rc = run_statements(r, mm, &list, true, &failed);
	} else if (tx) {
		rc = sl_conn_begin(r->c);
		if (!rc)
			rc = run_statements(r, mm, &list, true, &failed);
		if (!rc)
			rc = sl_history_delete(r->c, r->o->table, s->id);
		if (!rc)
			rc = sl_conn_commit(r->c);
		else if (sl_conn_in_transaction(r->c)) {
			char *msg = strdup(sl_error_last()->message);
			sl_conn_rollback(r->c);
			if (msg)
				sl_error_set(rc, "%s (rolled back: the migration is still applied)", msg);
			free(msg);
		}
	} else {
		rc = sl_history_update(r->c, r->o->table, s->id, "running", 0, NULL, "reverting", NULL, NULL);
		if (!rc) {
			rc = run_statements(r, mm, &list, true, &failed);
			if (rc) {
				char *msg = strdup(sl_error_last()->message);
				int urc =
					sl_history_update(r->c, r->o->table, s->id, "dirty", sl_now_ms() - t0,
							  failed ? failed->text : NULL, msg, NULL, NULL);
				if (urc)
					sl_error_set(
						rc,
						"%s; the failure could not be recorded (%s): the history row "
						"still says \"running\" (reverting); fix the database, then "
						"`sluice repair`",
						msg ? msg : "revert failed", sl_error_last()->message);
				else
					sl_error_set(rc,
						     "%s; recorded as dirty: fix the database, then `sluice "
						     "repair`",
						     msg ? msg : "revert failed");
				free(msg);
			} else {
				rc = sl_history_delete(r->c, r->o->table, s->id);
			}
		}
	}
	if (!rc && !r->o->dry_run)
		rc = sl_mglue_after_revert(r->c, r->o,
					   s); /* a contracted expand migration: its version goes */
	emit(r->o, rc ? SL_MEV_FAILED : SL_MEV_DONE, true, m, s->id, failed ? failed->text : NULL, NULL,
	     sl_now_ms() - t0);
	sl_stmt_list_free(&list);
	return rc;
}

int sl_migrate_down(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *reverted)
{
	run r = { .c = c, .set = set, .o = opts, .dialect = sl_conn_engine(c) };
	size_t n = 0;
	long steps = opts->to ? -1 : (opts->steps > 0 ? opts->steps : 1);
	int rc = opts->dry_run ? 0 : take_lock(&r);
	if (!rc)
		rc = load_state(&r, false);
	if (!rc)
		rc = refuse_dirty_or_drift(&r, false);
	if (!rc && opts->to && !sl_history_find(r.h, opts->to) && !sl_migration_set_find(set, opts->to))
		rc = sl_error_set(SL_EINVALID, "no migration has the id %s", opts->to);
	for (size_t i = r.st ? r.st->n : 0; !rc && i-- > 0;) {
		sl_mig_status *s = &r.st->items[i];
		if (s->state == SL_MIG_PENDING)
			continue;
		if (opts->to && sl_migration_id_cmp(s->id, opts->to) <= 0)
			break;
		if (steps >= 0 && (long)n >= steps)
			break;
		if (s->state == SL_MIG_BASELINE) {
			rc = sl_error_set(SL_EINVALID,
					  "migration %s is the baseline: sluice never applied it and will "
					  "not revert it",
					  s->id);
			break;
		}
		rc = revert_one(&r, s);
		if (!rc)
			n++;
	}
	if (reverted)
		*reverted = n;
	return finish(&r, rc);
}

/* ---- verify, baseline, repair ---------------------------------------------- */

int sl_migrate_verify(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *failed)
{
	run r = { .c = c, .set = set, .o = opts, .dialect = sl_conn_engine(c) };
	size_t nfail = 0;
	int rc = load_state(&r, false);
	for (size_t i = 0; !rc && i < r.st->n; i++) {
		const sl_mig_status *s = &r.st->items[i];
		if (!s->file || !applied_state(s->state))
			continue;
		int64_t t0 = sl_now_ms();
		emit(opts, SL_MEV_START, false, s->file, s->id, NULL, "verify", 0);
		int vrc = run_verify(&r, s->file);
		if (vrc == SL_ECHECK) {
			nfail++;
			emit(opts, SL_MEV_FAILED, false, s->file, s->id, NULL, sl_error_last()->message,
			     sl_now_ms() - t0);
		} else if (vrc) {
			rc = vrc;
		} else {
			emit(opts, SL_MEV_DONE, false, s->file, s->id, NULL, "verify", sl_now_ms() - t0);
		}
	}
	if (failed)
		*failed = nfail;
	return finish(&r, rc);
}

int sl_migrate_baseline(sl_conn *c, const sl_migration_set *set, const char *id, const sl_migrate_opts *opts)
{
	run r = { .c = c, .set = set, .o = opts, .dialect = sl_conn_engine(c) };
	if (!sl_migration_set_find(set, id))
		return sl_error_set(SL_EINVALID, "no migration has the id %s", id);
	int rc = take_lock(&r);
	if (!rc)
		rc = load_state(&r, true);
	if (!rc && r.h->n)
		rc = sl_error_set(SL_ECONFLICT,
				  "the history table already records %zu migration(s); "
				  "baseline only adopts a database sluice has never migrated",
				  r.h->n);
	char when[64];
	sl_now_utc_text(when, sizeof(when), 'T', 6);
	for (size_t i = 0; !rc && i < r.st->n; i++) {
		const sl_mig_status *s = &r.st->items[i];
		if (sl_migration_id_cmp(s->id, id) > 0)
			break;
		sl_history_row row;
		fill_row(&row, s->file, s, r.dialect, when, who(opts), "baseline");
		rc = sl_history_insert(c, opts->table, &row);
		if (!rc)
			emit(opts, SL_MEV_DONE, false, s->file, s->id, NULL, "baseline", 0);
	}
	return finish(&r, rc);
}

int sl_migrate_repair(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts, size_t *repaired)
{
	run r = { .c = c, .set = set, .o = opts, .dialect = sl_conn_engine(c) };
	size_t n = 0;
	int rc = take_lock(&r);
	if (!rc)
		rc = load_state(&r, false);
	for (size_t i = 0; !rc && i < r.st->n; i++) {
		const sl_mig_status *s = &r.st->items[i];
		char detail[256];
		if (s->state == SL_MIG_DIRTY && opts->mark_applied) {
			rc = sl_history_update(c, opts->table, s->id, "applied", s->row->duration_ms, NULL,
					       NULL, s->file ? s->checksum : NULL, NULL);
			snprintf(detail, sizeof(detail), "dirty record marked applied");
		} else if (s->state == SL_MIG_DIRTY) {
			rc = sl_history_delete(c, opts->table, s->id);
			snprintf(detail, sizeof(detail),
				 "dirty record removed: `sluice up` will run it again");
		} else if (s->state == SL_MIG_DRIFTED) {
			rc = sl_history_update(c, opts->table, s->id, s->row->status, s->row->duration_ms,
					       NULL, NULL, s->checksum,
					       sl_migration_section(s->file, SL_SECTION_UP, r.dialect, NULL,
								    NULL));
			snprintf(detail, sizeof(detail), "checksum %.20s... replaced by the file's %.20s...",
				 s->row->checksum, s->checksum);
		} else {
			continue;
		}
		if (!rc) {
			n++;
			emit(opts, SL_MEV_REPAIRED, false, s->file, s->id, NULL, detail, 0);
		}
	}
	if (repaired)
		*repaired = n;
	return finish(&r, rc);
}
