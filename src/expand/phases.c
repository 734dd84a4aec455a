/*
 * phases.c - expand, contract, rollback and status of expand/contract
 * migrations (include/sluice/expand.h).
 *
 * The phase is recorded in <history>_expand before each step, so every step
 * can be repeated: a run killed anywhere is resumed by the next `sluice up`
 * (or undone by `sluice down`). The order within expand follows the rule
 * that the new version becomes visible only once it is complete:
 *
 *   expanding   replacement columns, NOT VALID constraints, triggers (one
 *               transaction where DDL is transactional)
 *   backfill    existing rows, in checkpointed batches
 *   validating  constraints validated, indexes built (one at a time)
 *   expanded    the version's views are made: both versions are live
 *
 * Contract and rollback run the actions planned at expand time, stored with
 * the state, so neither needs the migration file.
 */
#include "expand_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const sl_expand_opts dflt_opts = SL_EXPAND_OPTS_INIT;

static const char *history_of(const sl_expand_opts *o)
{
	return o->history_table ? o->history_table : "sluice_migrations";
}

static int need_dialect(sl_conn *c, const sl_expand_dialect **out)
{
	if (!(*out = sl_expand_dialect_of(c)))
		return sl_error_set(SL_EINVALID, "expand/contract migrations are not supported on %s",
				    sl_engine_name(sl_conn_engine(c)));
	return 0;
}

static void say(const sl_expand_opts *o, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(const sl_expand_opts *o, const char *id, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!o->on_notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->on_notice(o->ud, id, msg);
}

static int introspect(sl_conn *c, sl_schema **out)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	int rc = sl_conn_introspect(out, c, &io);
	if (rc)
		sl_error_prefix("read the schema");
	return rc;
}

/* The base schema or database, as introspection names it. */
static const char *base_of(sl_conn *c, const sl_schema *m)
{
	if (m->ntables && m->tables[0].schema && *m->tables[0].schema)
		return m->tables[0].schema;
	return sl_conn_database(c);
}

static char *default_version(const sl_expand_dialect *d, const char *base, const char *id)
{
	char *s = NULL;
	if (d->version_is_container) {
		if (asprintf(&s, "%s_v%s", base, id) < 0)
			s = NULL;
	} else if (asprintf(&s, "v%s", id) < 0) {
		s = NULL;
	}
	return s;
}

/*
 * Releases the caller's run lock where it is the database's write lock, so
 * the applications can write during the backfill; *released says whether
 * it did.
 */
static int release_lock(sl_conn *c, const sl_expand_opts *o, bool *released)
{
	*released = false;
	if (!o->run_lock || o->dry_run || sl_conn_has(c, SL_CAP_ADVISORY_LOCK))
		return 0;
	int rc = sl_conn_unlock(c, o->run_lock);
	*released = rc == 0;
	return rc;
}

static int retake_lock(sl_conn *c, const sl_expand_opts *o, bool released)
{
	if (!released)
		return 0;
	int rc = sl_conn_lock(c, o->run_lock, 600000);
	if (rc)
		sl_error_prefix("take the migration lock again after the backfill");
	return rc;
}

static int set_phase(sl_conn *c, const sl_expand_opts *o, const char *id, sl_xphase ph)
{
	return o->dry_run ? 0 : xstate_set_phase(c, history_of(o), id, ph);
}

/* ---- expand ---------------------------------------------------------------------------- */

typedef struct run {
	sl_conn *c;
	const sl_expand_opts *o;
	const sl_expand_dialect *d;
	const sl_expand_target *t;
	sl_xops *ops;
	sl_schema *model;
	xplan *plan;
	xstate st;
	bool fresh;
	char *version, *old_version;
} run;

static void run_free(run *r)
{
	xplan_free(r->plan);
	sl_schema_free(r->model);
	sl_xops_free(r->ops);
	xstate_clear(&r->st);
	free(r->version);
	free(r->old_version);
}

static int load(run *r)
{
	const char *h = history_of(r->o);
	int rc = sl_expand_parse(&r->ops, r->t->origin, r->t->first_line, r->t->text, r->t->len,
				 sl_conn_engine(r->c));
	if (!rc && !r->o->dry_run)
		rc = xstate_ensure(r->c, r->d, h);
	if (!rc) {
		rc = xstate_load(r->c, h, r->t->id, &r->st);
		r->fresh = rc == SL_ENOTFOUND;
		if (r->fresh) {
			rc = 0;
			sl_error_clear();
		}
	}
	if (!rc)
		rc = introspect(r->c, &r->model);
	if (rc)
		return rc;
	const char *base = base_of(r->c, r->model);
	if (r->fresh) {
		r->version = r->t->version ? strdup(r->t->version) : default_version(r->d, base, r->t->id);
		rc = xstate_current_version(r->c, h, &r->old_version);
	} else {
		r->version = strdup(r->st.version);
		r->old_version = r->st.old_version ? strdup(r->st.old_version) : NULL;
	}
	if (!rc && !r->version)
		rc = sl_error_nomem();
	if (!rc && r->fresh && r->old_version && strcmp(r->old_version, r->version) == 0)
		rc = sl_error_set(SL_EINVALID,
				  "%s: version \"%s\" is the current version already; name the new one with "
				  "\"-- +sluice expand version=...\"",
				  r->t->origin, r->version);
	if (!rc && r->fresh && r->d->max_name &&
	    strlen(r->version) > r->d->max_name - (r->d->version_is_container ? 0 : 16))
		rc = sl_error_set(SL_EINVALID, "%s: version name \"%s\" is too long", r->t->origin,
				  r->version);
	if (!rc)
		rc = xplan_build(&r->plan, r->c, r->model, r->ops, r->t->origin, r->t->id, r->version,
				 r->old_version);
	return rc;
}

static int record(run *r)
{
	char *json = NULL;
	int rc = xplan_to_json(r->plan, &json);
	xstate s = { .id = (char *)r->t->id,
		     .version = r->version,
		     .old_version = r->old_version,
		     .base = (char *)r->plan->base,
		     .phase = (char *)sl_xphase_name(SL_XPHASE_EXPANDING),
		     .plan = json };
	if (!rc && !r->o->dry_run)
		rc = xstate_insert(r->c, history_of(r->o), &s);
	free(json);
	return rc;
}

/* Undoes a failed expand before the backfill; keeps the first error. */
static int undo(run *r, xexec *x, int rc)
{
	char *msg = strdup(sl_error_last()->message);
	int urc = xexec_unit(x, r->plan->rollback.items, r->plan->rollback.n);
	if (!urc)
		urc = xstate_delete(r->c, history_of(r->o), r->t->id);
	if (!urc)
		sl_error_set(rc, "%s (rolled back: nothing of it remains)", msg ? msg : "expand failed");
	else
		sl_error_set(rc,
			     "%s; undoing it failed too (%s): the migration stays in expand; `sluice down` "
			     "rolls it "
			     "back, `sluice up` tries again",
			     msg ? msg : "expand failed", sl_error_last()->message);
	free(msg);
	return rc;
}

static int backfill(run *r, xexec *x)
{
	bool released = false;
	int rc = set_phase(r->c, r->o, r->t->id, SL_XPHASE_BACKFILL);
	if (!rc)
		rc = release_lock(r->c, r->o, &released);
	for (size_t i = 0; !rc && i < r->plan->ntabs; i++)
		if (r->plan->tabs[i].backfill)
			rc = xbackfill_table(x, r->plan, &r->plan->tabs[i], history_of(r->o));
	int lrc = retake_lock(r->c, r->o, released);
	return rc ? rc : lrc;
}

static int publish(run *r, xexec *x)
{
	xacts acts = { 0 };
	sl_xview *views =
		sl_arena_calloc(r->plan->arena, r->plan->ntabs ? r->plan->ntabs : 1, sizeof(*views));
	int rc = views ? 0 : sl_error_nomem();
	if (!rc)
		rc = xplan_push_act(r->plan, &acts,
				    &(sl_xact){ .kind = SL_XA_VERSION_CREATE,
						.base = r->plan->base,
						.version = r->version });
	for (size_t i = 0; !rc && i < r->plan->ntabs; i++) {
		rc = xplan_view(r->plan, &r->plan->tabs[i], &views[i]);
		if (!rc)
			rc = xplan_push_act(r->plan, &acts,
					    &(sl_xact){ .kind = SL_XA_VIEW_CREATE,
							.base = r->plan->base,
							.version = r->version,
							.view = &views[i] });
	}
	if (!rc)
		rc = xexec_unit(x, acts.items, acts.n);
	return rc;
}

int sl_expand_run(sl_conn *c, const sl_expand_target *t, const sl_expand_opts *o, char **version)
{
	run r = { .c = c, .o = o ? o : &dflt_opts, .t = t };
	bool stays = false;
	int rc = need_dialect(c, &r.d);
	xexec x = { .c = c, .d = r.d, .o = r.o, .id = t->id };
	if (version)
		*version = NULL;
	if (!rc)
		rc = load(&r);
	if (rc)
		goto done;
	sl_xphase ph = r.fresh ? SL_XPHASE_EXPANDING : xphase_parse(r.st.phase);
	if (ph == SL_XPHASE_CONTRACTED || ph == SL_XPHASE_CONTRACTING || ph == SL_XPHASE_ROLLING_BACK) {
		rc = sl_error_set(SL_ECONFLICT, "migration %s is %s, not in expand", t->id, r.st.phase);
		goto done;
	}
	if (r.fresh)
		for (size_t i = 0; i < r.plan->nwarnings; i++)
			say(r.o, t->id, "%s", r.plan->warnings[i]);
	if (r.fresh && (rc = record(&r)))
		goto done;
	stays = !r.o->dry_run;
	if (ph <= SL_XPHASE_EXPANDING) {
		if ((rc = xexec_unit(&x, r.plan->expand.items, r.plan->expand.n))) {
			if (!r.o->dry_run) {
				rc = undo(&r, &x, rc);
				stays = false; /* undo's message says what remains */
			}
			goto done;
		}
		ph = SL_XPHASE_BACKFILL;
	}
	if (ph <= SL_XPHASE_BACKFILL) {
		if ((rc = backfill(&r, &x)))
			goto done;
		ph = SL_XPHASE_VALIDATING;
	}
	if (ph <= SL_XPHASE_VALIDATING) {
		rc = set_phase(c, r.o, t->id, SL_XPHASE_VALIDATING);
		for (size_t i = 0; !rc && i < r.plan->validate.n; i++)
			rc = xexec_unit(&x, &r.plan->validate.items[i], 1);
		if (!rc)
			rc = publish(&r, &x);
		if (!rc)
			rc = set_phase(c, r.o, t->id, SL_XPHASE_EXPANDED);
	}
done:
	if (rc && stays && rc != SL_EINTERRUPTED)
		sl_error_prefix(
			"migration %s stays in expand (`sluice up` resumes it, `sluice down` rolls it back)",
			t->id);
	if (!rc && version && r.version)
		*version = strdup(r.version);
	run_free(&r);
	return rc;
}

/* ---- contract -------------------------------------------------------------------------- */

typedef struct seen {
	const char *version, *old_version;
	sl_buf old, unknown, fresh;
	size_t nold, nunknown, nnew;
} seen;

static int on_session(void *ud, const sl_xclient *cl)
{
	seen *s = ud;
	sl_buf *b;
	if (cl->version && strcmp(cl->version, s->version) == 0) {
		b = &s->fresh;
		s->nnew++;
	} else if (cl->version) {
		b = &s->old;
		s->nold++;
	} else {
		b = &s->unknown;
		s->nunknown++;
	}
	return sl_buf_printf(b, "\n  session %lld: %s%s%s%s%s%s%s", (long long)cl->session,
			     cl->user && *cl->user ? cl->user : "?", cl->client && *cl->client ? "@" : "",
			     cl->client ? cl->client : "",
			     cl->application && *cl->application ? " application \"" : "",
			     cl->application && *cl->application ? cl->application : "",
			     cl->application && *cl->application ? "\"" : "", cl->why ? cl->why : "");
}

/* Refuses the contract while the old shape may be in use. */
static int check_clients(sl_conn *c, const sl_expand_dialect *d, const xstate *st, const sl_expand_opts *o)
{
	seen s = { .version = st->version, .old_version = st->old_version };
	const char *old_name = st->old_version ? st->old_version : "the base tables";
	int rc = 0;
	if (d->sessions) {
		const char *versions[2] = { st->old_version ? st->old_version : "", st->version };
		rc = d->sessions(c, st->base, versions, 2, on_session, &s);
	}
	if (rc)
		goto done;
	if (s.nold && !o->confirm) {
		rc = sl_error_set(
			SL_ECONFLICT,
			"%zu session(s) still use the old shape (%s) of migration %s:%s\nstop them (or "
			"point them at %s) and run contract again; --confirm contracts anyway",
			s.nold, old_name, st->id, sl_buf_cstr(&s.old), st->version);
		goto done;
	}
	if (!o->confirm && (!d->sessions || !d->sessions_conclusive || s.nunknown)) {
		if (!d->sessions)
			rc = sl_error_set(
				SL_ECONFLICT,
				"%s cannot show which version its clients use: confirm that no client uses "
				"the old shape (%s) of migration %s with --confirm",
				sl_engine_name(sl_conn_engine(c)), old_name, st->id);
		else if (s.nunknown)
			rc = sl_error_set(SL_ECONFLICT,
					  "%zu session(s) do not show which version they use (name it in "
					  "application_name, e.g. \"myapp@%s\"):%s\nconfirm that none uses "
					  "the old shape "
					  "(%s) with --confirm",
					  s.nunknown, st->version, sl_buf_cstr(&s.unknown), old_name);
		else
			rc = sl_error_set(SL_ECONFLICT,
					  "%s does not show every client's version: confirm that no client "
					  "uses the old "
					  "shape (%s) of migration %s with --confirm%s%s",
					  sl_engine_name(sl_conn_engine(c)), old_name, st->id,
					  s.nnew ? "; sessions on the new version:" : "",
					  sl_buf_cstr(&s.fresh));
		goto done;
	}
	if (s.nold || s.nunknown)
		say(o, st->id, "contracting as confirmed, although %zu session(s) may use the old shape:%s%s",
		    s.nold + s.nunknown, sl_buf_cstr(&s.old), sl_buf_cstr(&s.unknown));
done:
	sl_buf_free(&s.old);
	sl_buf_free(&s.unknown);
	sl_buf_free(&s.fresh);
	return rc;
}

static int load_state(sl_conn *c, const sl_expand_opts *o, const char *id, xstate *st)
{
	int rc = xstate_load(c, history_of(o), id, st);
	if (rc == SL_ENOTFOUND)
		rc = sl_error_set(SL_ENOTFOUND, "migration %s has no expand state", id);
	return rc;
}

/* The new version's views of the tables contract changes, locked first (SL_XA_LOCK_VIEWS). */
static int lock_views(xplan *tmp, xacts *acts, const xstate *st, const xstored *s)
{
	const char **names = sl_arena_calloc(tmp->arena, s->nviews ? s->nviews : 1, sizeof(*names));
	size_t n = 0;
	if (!names)
		return sl_error_nomem();
	for (size_t i = 0; i < s->contract.n; i++) {
		const sl_xact *a = &s->contract.items[i];
		const char *name = a->table;
		for (size_t j = 0; name && j < s->contract.n; j++)
			if (s->contract.items[j].kind == SL_XA_RENAME_TABLE &&
			    strcmp(s->contract.items[j].table, name) == 0)
				name = s->contract.items[j].to;
		bool known = false, dup = false;
		for (size_t j = 0; name && j < s->nviews; j++)
			known = known || strcmp(s->views[j].name, name) == 0;
		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(names[j], name) == 0;
		if (known && !dup)
			names[n++] = name;
	}
	return xplan_push_act(tmp, acts,
			      &(sl_xact){ .kind = SL_XA_LOCK_VIEWS,
					  .base = st->base,
					  .version = st->version,
					  .cols = names,
					  .ncols = n });
}

int sl_expand_contract(sl_conn *c, const char *id, const sl_expand_opts *o)
{
	const sl_expand_dialect *d;
	xstate st = { 0 };
	xstored s;
	xacts acts = { 0 };
	sl_arena *a = sl_arena_new(0);
	o = o ? o : &dflt_opts;
	xexec x = { .c = c, .o = o, .id = id };
	int rc = a ? need_dialect(c, &d) : sl_error_nomem();
	if (!rc)
		rc = load_state(c, o, id, &st);
	if (rc)
		goto done;
	x.d = d;
	sl_xphase ph = xphase_parse(st.phase);
	if (ph == SL_XPHASE_CONTRACTED) /* a run that stopped before the history said so */
		goto done;
	if (ph != SL_XPHASE_EXPANDED && ph != SL_XPHASE_CONTRACTING) {
		rc = sl_error_set(
			SL_ECONFLICT,
			"migration %s is %s, not fully expanded: `sluice up` finishes the expand, `sluice "
			"down` rolls it back",
			id, st.phase);
		goto done;
	}
	if (ph == SL_XPHASE_EXPANDED && (rc = check_clients(c, d, &st, o)))
		goto done;
	if ((rc = xstored_from_json(a, st.plan, st.version, st.base, &s)))
		goto done;
	sl_xact head[] = {
		{ .kind = SL_XA_VERSION_DROP, .base = st.base, .version = st.old_version },
	};
	xplan tmp = { .arena = a };
	rc = lock_views(&tmp, &acts, &st, &s);
	if (!rc && st.old_version)
		rc = xplan_push_act(&tmp, &acts, &head[0]);
	for (size_t i = 0; !rc && i < s.contract.n; i++)
		rc = xplan_push_act(&tmp, &acts, &s.contract.items[i]);
	if (!rc)
		rc = xplan_push_act(&tmp, &acts,
				    &(sl_xact){ .kind = SL_XA_VERSION_CREATE,
						.base = st.base,
						.version = st.version });
	for (size_t i = 0; !rc && i < s.nviews; i++)
		rc = xplan_push_act(&tmp, &acts,
				    &(sl_xact){ .kind = SL_XA_VIEW_CREATE,
						.base = st.base,
						.version = st.version,
						.view = &s.views[i] });
	if (!rc)
		rc = set_phase(c, o, id, SL_XPHASE_CONTRACTING);
	if (!rc)
		rc = xexec_unit(&x, acts.items, acts.n);
	if (!rc)
		rc = set_phase(c, o, id, SL_XPHASE_CONTRACTED);
done:
	xstate_clear(&st);
	sl_arena_free(a);
	return rc;
}

/* ---- rollback, forget, phase -------------------------------------------------------------------- */

int sl_expand_rollback(sl_conn *c, const char *id, const sl_expand_opts *o)
{
	const sl_expand_dialect *d;
	xstate st = { 0 };
	xstored s;
	sl_arena *a = sl_arena_new(0);
	o = o ? o : &dflt_opts;
	xexec x = { .c = c, .o = o, .id = id };
	int rc = a ? need_dialect(c, &d) : sl_error_nomem();
	if (!rc)
		rc = load_state(c, o, id, &st);
	if (rc)
		goto done;
	x.d = d;
	if (xphase_parse(st.phase) == SL_XPHASE_CONTRACTED ||
	    xphase_parse(st.phase) == SL_XPHASE_CONTRACTING) {
		rc = sl_error_set(SL_ECONFLICT, "migration %s is %s: its old shape is gone", id, st.phase);
		goto done;
	}
	if (!rc)
		rc = xstored_from_json(a, st.plan, st.version, st.base, &s);
	if (!rc)
		rc = set_phase(c, o, id, SL_XPHASE_ROLLING_BACK);
	if (!rc)
		rc = xexec_unit(&x, s.rollback.items, s.rollback.n);
	if (!rc && !o->dry_run)
		rc = xstate_delete(c, history_of(o), id);
done:
	xstate_clear(&st);
	sl_arena_free(a);
	return rc;
}

int sl_expand_forget(sl_conn *c, const char *id, const sl_expand_opts *o)
{
	const sl_expand_dialect *d;
	xstate st = { 0 };
	sl_schema *m = NULL;
	xacts acts = { 0 };
	sl_arena *a = sl_arena_new(0);
	o = o ? o : &dflt_opts;
	xexec x = { .c = c, .o = o, .id = id };
	int rc = a ? need_dialect(c, &d) : sl_error_nomem();
	if (!rc && (rc = xstate_load(c, history_of(o), id, &st)) == SL_ENOTFOUND) {
		sl_error_clear();
		rc = 0;
		goto done;
	}
	if (rc)
		goto done;
	x.d = d;
	xplan tmp = { .arena = a };
	rc = xplan_push_act(&tmp, &acts,
			    &(sl_xact){ .kind = SL_XA_VERSION_DROP, .base = st.base, .version = st.version });
	if (!rc && st.old_version) {
		rc = introspect(c, &m);
		if (!rc)
			rc = xplan_push_act(&tmp, &acts,
					    &(sl_xact){ .kind = SL_XA_VERSION_CREATE,
							.base = st.base,
							.version = st.old_version });
		for (size_t i = 0; !rc && i < m->ntables; i++) {
			sl_xview *v = sl_arena_calloc(a, 1, sizeof(*v));
			rc = v ? xplan_plain_view(a, &m->tables[i], st.old_version, st.base, v)
			       : sl_error_nomem();
			if (!rc)
				rc = xplan_push_act(&tmp, &acts,
						    &(sl_xact){ .kind = SL_XA_VIEW_CREATE,
								.base = st.base,
								.version = st.old_version,
								.view = v });
		}
	}
	if (!rc)
		rc = xexec_unit(&x, acts.items, acts.n);
	if (!rc && !o->dry_run)
		rc = xstate_delete(c, history_of(o), id);
done:
	sl_schema_free(m);
	xstate_clear(&st);
	sl_arena_free(a);
	return rc;
}

int sl_expand_phase(sl_conn *c, const char *history_table, const char *id, sl_xphase *out)
{
	xstate st = { 0 };
	int rc = xstate_load(c, history_table, id, &st);
	*out = SL_XPHASE_NONE;
	if (rc == SL_ENOTFOUND) {
		sl_error_clear();
		return 0;
	}
	if (!rc)
		*out = xphase_parse(st.phase);
	xstate_clear(&st);
	return rc;
}

/* ---- status ------------------------------------------------------------------------------- */

typedef struct stctx {
	sl_xstatus *s;
	sl_xrecord *r;
	size_t cap;
} stctx;

static int on_cp(void *ud, const char *table, const xcheckpoint *cp)
{
	stctx *x = ud;
	sl_xprogress *p = sl_arena_push(x->s->arena, &x->r->progress, &x->r->nprogress, &x->cap, sizeof(*p));
	if (!p)
		return sl_error_nomem();
	*p = (sl_xprogress){ .migration_id = x->r->id,
			     .table = sl_arena_strdup(x->s->arena, table),
			     .rows_done = cp->rows_done,
			     .rows_total = cp->rows_total,
			     .batches = cp->batches,
			     .done = cp->done };
	return p->table ? 0 : sl_error_nomem();
}

typedef struct clctx {
	sl_xstatus *s;
	size_t cap_new, cap_old;
	sl_xrecord *r;
} clctx;

static int on_client(void *ud, const sl_xclient *cl)
{
	clctx *x = ud;
	sl_arena *a = x->s->arena;
	bool isnew = cl->version && strcmp(cl->version, x->r->version) == 0;
	if (!cl->version) {
		x->r->nclients_unknown++;
		return 0;
	}
	sl_xclient *slot =
		isnew ? sl_arena_push(a, &x->r->clients_new, &x->r->nclients_new, &x->cap_new, sizeof(*slot))
		      : sl_arena_push(a, &x->r->clients_old, &x->r->nclients_old, &x->cap_old, sizeof(*slot));
	if (!slot)
		return sl_error_nomem();
	*slot = (sl_xclient){ .session = cl->session,
			      .application = sl_arena_strdup(a, cl->application ? cl->application : ""),
			      .user = sl_arena_strdup(a, cl->user ? cl->user : ""),
			      .client = sl_arena_strdup(a, cl->client ? cl->client : ""),
			      .version = sl_arena_strdup(a, cl->version),
			      .why = sl_arena_strdup(a, cl->why ? cl->why : "") };
	return 0;
}

static const char *adup(sl_arena *a, const char *s)
{
	return s ? sl_arena_strdup(a, s) : NULL;
}

int sl_expand_status(sl_xstatus **out, sl_conn *c, const char *history_table, bool clients)
{
	xstate *all = NULL;
	size_t n = 0;
	sl_xstatus *s = calloc(1, sizeof(*s));
	const sl_expand_dialect *d = sl_expand_dialect_of(c);
	int rc = s && (s->arena = sl_arena_new(0)) ? 0 : sl_error_nomem();
	*out = NULL;
	if (!rc && d)
		rc = xstate_list(c, history_table, &all, &n);
	if (!rc && n && !(s->items = sl_arena_calloc(s->arena, n, sizeof(*s->items))))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++) {
		sl_xrecord *r = &s->items[s->n++];
		*r = (sl_xrecord){ .id = adup(s->arena, all[i].id),
				   .version = adup(s->arena, all[i].version),
				   .old_version = adup(s->arena, all[i].old_version),
				   .phase = xphase_parse(all[i].phase),
				   .started_at = adup(s->arena, all[i].started_at),
				   .expanded_at = adup(s->arena, all[i].expanded_at),
				   .contracted_at = adup(s->arena, all[i].contracted_at) };
		stctx x = { .s = s, .r = r };
		rc = xcheckpoint_list(c, history_table, r->id, on_cp, &x);
	}
	const sl_xrecord *act = rc ? NULL : sl_xstatus_active(s);
	const sl_xrecord *cur = NULL;
	for (size_t i = 0; !rc && i < s->n; i++)
		if (s->items[i].phase == SL_XPHASE_CONTRACTED)
			cur = &s->items[i];
	if (act && act->phase == SL_XPHASE_EXPANDED) {
		s->live[0] = act->old_version ? act->old_version : "";
		s->live[1] = act->version;
	} else if (act) {
		s->live[0] = act->old_version ? act->old_version : "";
	} else if (cur) {
		s->live[0] = cur->version;
	}
	if (!rc && clients && d && d->sessions && (act || cur)) {
		sl_xrecord *r = (sl_xrecord *)(act ? act : cur);
		const char *versions[2] = { r->old_version ? r->old_version : "", r->version };
		clctx x = { .s = s, .r = r };
		xstate *st = NULL;
		for (size_t i = 0; i < n; i++)
			if (strcmp(all[i].id, r->id) == 0)
				st = &all[i];
		rc = d->sessions(c, st && st->base ? st->base : "", act ? versions : versions + 1,
				 act ? 2 : 1, on_client, &x);
		r->clients_known = rc == 0;
	}
	for (size_t i = 0; i < n; i++)
		xstate_clear(&all[i]);
	free(all);
	if (rc) {
		sl_xstatus_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void sl_xstatus_free(sl_xstatus *s)
{
	if (!s)
		return;
	sl_arena_free(s->arena);
	free(s);
}

const sl_xrecord *sl_xstatus_active(const sl_xstatus *s)
{
	for (size_t i = s ? s->n : 0; i-- > 0;)
		if (s->items[i].phase != SL_XPHASE_CONTRACTED)
			return &s->items[i];
	return NULL;
}
