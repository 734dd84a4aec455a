/*
 * expand_glue.c - expand/contract migrations in the runner (expand_glue.h)
 * and `sluice contract` (sl_migrate_contract, include/sluice/migrate.h).
 *
 * The schema work is src/expand/'s; this file keeps the history row in step
 * with it and passes the runner's options and events through. Like every
 * run that changes anything, contract takes the migration lock first.
 */
#include "expand_glue.h"

#include "history.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const sl_expand_opts dflt_xopts = SL_EXPAND_OPTS_INIT;

bool sl_mglue_in_expand(const sl_history_row *row)
{
	return row && row->status &&
	       (strcmp(row->status, "expanding") == 0 || strcmp(row->status, "expanded") == 0);
}

/* The listener's context: the runner's options, and the caller's expand callbacks with their ud. */
typedef struct fwd {
	const sl_migrate_opts *o;
	const sl_migration *m;
	const char *id;
	sl_expand_opts orig;
} fwd;

static void emit(const sl_migrate_opts *o, sl_migrate_event_kind kind, const sl_migration *m, const char *id,
		 const char *stmt, const char *detail, int64_t ms)
{
	if (!o->on_event)
		return;
	sl_migrate_event ev = {
		.kind = kind, .migration = m, .id = id, .statement = stmt, .detail = detail, .duration_ms = ms
	};
	o->on_event(o->ud, &ev);
}

/* Expand statements reach the runner's listener as statement events (dry runs print them). */
static void on_statement(void *ud, const char *id, const char *sql)
{
	fwd *f = ud;
	if (f->orig.on_statement)
		f->orig.on_statement(f->orig.ud, id, sql);
	else
		emit(f->o, SL_MEV_STATEMENT, f->m, id, sql, NULL, 0);
}

static void on_progress(void *ud, const sl_xprogress *p)
{
	fwd *f = ud;
	if (f->orig.on_progress)
		f->orig.on_progress(f->orig.ud, p);
}

static void on_notice(void *ud, const char *id, const char *msg)
{
	fwd *f = ud;
	if (f->orig.on_notice)
		f->orig.on_notice(f->orig.ud, id, msg);
}

/* The expand options for this run: the caller's, with the runner's table, dry run and listener. */
static sl_expand_opts xopts(const sl_migrate_opts *o, const char *lock_name, fwd *f)
{
	sl_expand_opts x = o->expand ? *o->expand : dflt_xopts;
	f->orig = x;
	x.history_table = o->table;
	x.dry_run = o->dry_run;
	x.run_lock = lock_name;
	x.on_statement = on_statement;
	x.on_progress = on_progress;
	x.on_notice = on_notice;
	x.ud = f;
	return x;
}

static void expand_target(sl_expand_target *t, const sl_migration *m, const sl_history_row *row, sl_engine d)
{
	const sl_migration_part *pt = m ? sl_migration_part_get(m, SL_SECTION_EXPAND, d) : NULL;
	memset(t, 0, sizeof(*t));
	if (pt) {
		t->id = m->id;
		t->origin = m->path;
		t->first_line = pt->line;
		t->text = pt->sql;
		t->len = pt->len;
		t->version = pt->version;
	} else if (row) {
		t->id = row->id;
		t->origin = "(recorded in history)";
		t->first_line = 1;
		t->text = row->up_sql ? row->up_sql : "";
		t->len = strlen(t->text);
	}
}

static int finish_expand(sl_conn *c, const sl_migrate_opts *o, const sl_migration *m, const char *id,
			 const char *version, int64_t t0)
{
	char detail[512];
	int rc = o->dry_run ? 0
			    : sl_history_update(c, o->table, id, "expanded", sl_now_ms() - t0, NULL, NULL,
						NULL, NULL);
	snprintf(detail, sizeof(detail),
		 "expanded: version %s is live beside the old shape; `sluice contract` once no client uses "
		 "the old one",
		 version ? version : "?");
	if (!rc)
		emit(o, SL_MEV_DONE, m, id, NULL, detail, sl_now_ms() - t0);
	return rc;
}

int sl_mglue_apply(sl_conn *c, const sl_migrate_opts *o, const char *lock_name, const sl_migration *m,
		   sl_history_row *row)
{
	fwd f = { .o = o, .m = m, .id = m->id };
	sl_expand_opts x = xopts(o, lock_name, &f);
	sl_expand_target t;
	char *version = NULL;
	int64_t t0 = sl_now_ms();
	int rc = 0;
	expand_target(&t, m, NULL, sl_conn_engine(c));
	if (!t.text)
		return sl_error_set(SL_EINVALID, "migration %s has no expand section for %s", m->id,
				    sl_engine_name(sl_conn_engine(c)));
	emit(o, SL_MEV_START, m, m->id, NULL, "expand", 0);
	row->status = "expanding";
	row->up_sql = t.text;
	if (!o->dry_run)
		rc = sl_history_insert(c, o->table, row);
	if (!rc)
		rc = sl_expand_run(c, &t, &x, &version);
	if (rc && !o->dry_run) {
		sl_xphase ph = SL_XPHASE_NONE;
		char *msg = strdup(sl_error_last()->message);
		int code = rc;
		if (sl_expand_phase(c, o->table, m->id, &ph) == 0 && ph == SL_XPHASE_NONE)
			sl_history_delete(c, o->table, m->id);
		sl_error_set(code, "%s", msg ? msg : "expand failed");
		free(msg);
	}
	if (!rc)
		rc = finish_expand(c, o, m, m->id, version, t0);
	if (rc)
		emit(o, SL_MEV_FAILED, m, m->id, NULL, NULL, sl_now_ms() - t0);
	free(version);
	return rc;
}

int sl_mglue_resume(sl_conn *c, const sl_migrate_opts *o, const char *lock_name, const sl_mig_status *s)
{
	fwd f = { .o = o, .m = s->file, .id = s->id };
	sl_expand_opts x = xopts(o, lock_name, &f);
	sl_expand_target t;
	char *version = NULL;
	int64_t t0 = sl_now_ms();
	expand_target(&t, s->file, s->row, sl_conn_engine(c));
	emit(o, SL_MEV_START, s->file, s->id, NULL, "resume expand", 0);
	int rc = sl_expand_run(c, &t, &x, &version);
	if (!rc)
		rc = finish_expand(c, o, s->file, s->id, version, t0);
	else
		emit(o, SL_MEV_FAILED, s->file, s->id, NULL, NULL, sl_now_ms() - t0);
	free(version);
	return rc;
}

int sl_mglue_revert(sl_conn *c, const sl_migrate_opts *o, const sl_mig_status *s, bool *handled)
{
	fwd f = { .o = o, .m = s->file, .id = s->id };
	sl_expand_opts x = xopts(o, NULL, &f);
	int64_t t0 = sl_now_ms();
	*handled = sl_mglue_in_expand(s->row);
	if (!*handled)
		return 0;
	emit(o, SL_MEV_START, s->file, s->id, NULL, "roll back expand", 0);
	int rc = sl_expand_rollback(c, s->id, &x);
	if (rc == SL_ENOTFOUND) { /* the expand never recorded anything */
		sl_error_clear();
		rc = 0;
	}
	if (!rc && !o->dry_run)
		rc = sl_history_delete(c, o->table, s->id);
	emit(o, rc ? SL_MEV_FAILED : SL_MEV_DONE, s->file, s->id, NULL,
	     rc ? NULL : "rolled back: the old shape is the only one, with every write of both versions",
	     sl_now_ms() - t0);
	return rc;
}

int sl_mglue_after_revert(sl_conn *c, const sl_migrate_opts *o, const sl_mig_status *s)
{
	fwd f = { .o = o, .m = s->file, .id = s->id };
	sl_expand_opts x = xopts(o, NULL, &f);
	return sl_expand_forget(c, s->id, &x);
}

int sl_mglue_rehearse(sl_conn *c, const sl_migration *m, const char *table)
{
	sl_expand_target t;
	expand_target(&t, m, NULL, sl_conn_engine(c));
	if (!t.text)
		return 0;
	return sl_expand_rehearse(c, &t, table);
}

/* ---- contract ------------------------------------------------------------------------------ */

int sl_migrate_contract(sl_conn *c, const sl_migration_set *set, const sl_migrate_opts *opts,
			char **contracted)
{
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	char lock[160];
	bool locked = false;
	const sl_mig_status *s = NULL;
	int64_t t0 = sl_now_ms();
	int rc = 0;
	if (contracted)
		*contracted = NULL;
	snprintf(lock, sizeof(lock), "sluice:%s", opts->table);
	if (!opts->dry_run) {
		rc = sl_conn_lock(c, lock, 0);
		if (rc == SL_ELOCKED && opts->lock_timeout_ms != 0) {
			emit(opts, SL_MEV_WAITING, NULL, NULL, NULL, lock, opts->lock_timeout_ms);
			rc = sl_conn_lock(c, lock, (int)opts->lock_timeout_ms);
		}
		if (rc == SL_ELOCKED)
			rc = sl_error_set(
				SL_ELOCKED,
				"another sluice run holds the migration lock on %s; try again later or wait "
				"with --lock-timeout",
				sl_conn_display(c));
		locked = rc == 0;
	}
	if (!rc)
		rc = sl_history_load(&h, c, opts->table);
	if (!rc)
		rc = sl_migrate_status_build(&st, set, h, sl_conn_engine(c));
	for (size_t i = 0; !rc && i < st->n; i++)
		if (st->items[i].state == SL_MIG_EXPAND)
			s = &st->items[i];
	if (!rc && !s)
		rc = sl_error_set(SL_ECONFLICT, "no migration is in expand: nothing to contract");
	if (!rc && strcmp(s->row->status, "expanded") != 0)
		rc = sl_error_set(
			SL_ECONFLICT,
			"migration %s has not finished its expand phase: `sluice up` finishes it (`sluice "
			"down` rolls it back)",
			s->id);
	if (!rc) {
		fwd f = { .o = opts, .m = s->file, .id = s->id };
		sl_expand_opts x = xopts(opts, lock, &f);
		emit(opts, SL_MEV_START, s->file, s->id, NULL, "contract", 0);
		rc = sl_expand_contract(c, s->id, &x);
		if (!rc && !opts->dry_run)
			rc = sl_history_update(c, opts->table, s->id, "applied",
					       s->row->duration_ms + (sl_now_ms() - t0), NULL, NULL, NULL,
					       NULL);
		emit(opts, rc ? SL_MEV_FAILED : SL_MEV_DONE, s->file, s->id, NULL,
		     rc ? NULL : "contracted: the new shape is the only one", sl_now_ms() - t0);
		if (!rc && contracted && !(*contracted = strdup(s->id)))
			rc = sl_error_nomem();
	}
	if (locked) {
		char *msg = rc ? strdup(sl_error_last()->message) : NULL;
		int urc = sl_conn_unlock(c, lock);
		if (rc && msg)
			sl_error_set(rc, "%s", msg);
		free(msg);
		if (!rc)
			rc = urc;
	}
	sl_migrate_status_free(st);
	sl_history_free(h);
	return rc;
}
