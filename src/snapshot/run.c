/*
 * run.c - one `sluice snapshot` run (include/sluice/snapshot.h):
 *
 *   plan the copy (source schema) -> bind the rules -> fail-closed check ->
 *   subset -> unique maps and shuffles -> record the snapshot's fingerprint
 *   in the target -> the copy with the snapshot's hooks -> checks -> report.
 *
 * The fingerprint (a hash of every column's rule, a check value of the key,
 * and the digest of the chosen rows) is kept in the target's
 * sluice_snapshot_state beside the copy's own state, so --resume refuses to
 * mix two keys, two rule sets or two subsets in one target. The key itself
 * goes nowhere.
 */
#include "snapshot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "sluice/error.h"
#include "sluice/util.h"

#define STATE_TABLE "sluice_snapshot_state"

static void notice(const sl_copy_opts *o, const char *msg)
{
	sl_copy_event ev = { .kind = SL_COPY_EV_NOTICE, .message = msg };
	if (o->on_event)
		o->on_event(o->event_ud, &ev);
}

static void subset_notice(void *ud, const char *msg)
{
	notice(ud, msg);
}

const char *sl_snap_target_table(const snap *s, const char *table)
{
	const sl_cast_table *ct = sl_cast_plan_find_table(sl_copy_plan_casts(s->plan), NULL, table);
	return ct ? ct->name : table;
}

const char *sl_snap_target_column(const snap *s, const char *table, const char *column)
{
	const sl_cast_table *ct = sl_cast_plan_find_table(sl_copy_plan_casts(s->plan), NULL, table);
	const sl_cast_column *cc = ct ? sl_cast_table_find_column(ct, column) : NULL;
	return cc ? cc->name : column;
}

int sl_snap_add_check(snap *s, sl_snapshot_check_kind kind, const char *table, const char *object,
		      int64_t found, int64_t allowed, int64_t checked, const char *detail, bool ok)
{
	sl_snapshot_report *r = s->rep;
	sl_snapshot_check *c = realloc(r->checks, (r->nchecks + 1) * sizeof(*c));
	if (!c)
		return sl_error_nomem();
	r->checks = c;
	c = &c[r->nchecks++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->table = strdup(table ? table : "");
	c->object = strdup(object ? object : "");
	c->detail = detail ? strdup(detail) : NULL;
	c->found = found;
	c->allowed = allowed;
	c->checked = checked;
	c->ok = ok;
	if (!c->table || !c->object || (detail && !c->detail))
		return sl_error_nomem();
	return 0;
}

static int connect_wrap(sl_conn **out, sl_copy_side side, void *ud)
{
	snap *s = ud;
	int rc = s->o->copy.connect(out, side, s->o->copy.connect_ud);
	if (!rc && side == SL_COPY_SOURCE && s->subset) {
		rc = sl_subset_prepare_session(s->subset, *out);
		if (rc) {
			sl_conn_close(*out);
			*out = NULL;
		}
	}
	return rc;
}

/* The fingerprint of what decides the target's contents: rules, key, chosen rows. */
static int fingerprint(snap *s, char out[33])
{
	sl_buf b = SL_BUF_INIT;
	char key[17] = "none", sub[33] = "all";
	int rc = s->masker ? sl_masker_key_check(s->masker, key) : 0;
	if (!rc && s->subset)
		sl_subset_digest(s->subset, sub);
	if (!rc)
		rc = sl_buf_printf(&b, "snapshot 1\nkey %s\nsubset %s\n", key, sub);
	for (size_t i = 0; !rc && i < s->schema->ntables; i++) {
		const tbind *tb = &s->tables[i];
		for (size_t j = 0; !rc && j < tb->ncols; j++)
			rc = sl_buf_printf(&b, "%s.%s %s\n", tb->t->name, tb->cols[j].c->name,
					   tb->cols[j].text);
	}
	if (!rc) {
		XXH128_hash_t h = XXH3_128bits(b.ptr, b.len);
		snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
			 (unsigned long long)h.low64);
	}
	sl_buf_free(&b);
	return rc;
}

/* Records the fingerprint in the target, or checks it on --resume. */
static int target_state(snap *s, const char *fp)
{
	const sl_copy_opts *o = &s->o->copy;
	char *run = NULL, *phase = NULL, *old = NULL;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_conn_exec(s->dst,
			      "CREATE TABLE IF NOT EXISTS " STATE_TABLE " (fingerprint VARCHAR(64) NOT NULL, "
			      "subset TEXT, created_at VARCHAR(32) NOT NULL)");
	int has = rc ? rc : sl_copy_target_run(s->dst, &run, &phase);
	if (has && has != SL_ENOTFOUND) {
		rc = has;
		goto done;
	}
	if (!rc)
		rc = sl_conn_query_text(s->dst, "SELECT max(fingerprint) FROM " STATE_TABLE, &old);
	if (rc)
		goto done;
	if (has == 0 && o->resume) {
		if (!old)
			rc = sl_error_set(SL_ECONFLICT,
					  "the target holds a copy (run %s) that is not a snapshot: "
					  "start again with --restart",
					  run);
		else if (strcmp(old, fp) != 0)
			rc = sl_error_set(
				SL_ECONFLICT,
				"the unfinished snapshot in the target (run %s) was made with another "
				"key, other rules or other chosen rows: resume it with the same, or start "
				"again with --restart",
				run);
		goto done;
	}
	if (has == 0 && !o->restart)
		goto done; /* the copy refuses with its own message */
	char now[32];
	sl_now_utc_text(now, sizeof(now), 'T', 0);
	sl_value vfp = sl_text(fp), vsub = s->o->subset ? sl_text(s->o->subset) : sl_null(),
		 vnow = sl_text(now);
	rc = sl_conn_exec(s->dst, "DELETE FROM " STATE_TABLE);
	if (!rc)
		rc = sl_buf_puts(&b,
				 "INSERT INTO " STATE_TABLE " (fingerprint, subset, created_at) VALUES (");
	if (!rc)
		rc = sl_conn_quote_literal(s->dst, &b, &vfp);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = sl_conn_quote_literal(s->dst, &b, &vsub);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = sl_conn_quote_literal(s->dst, &b, &vnow);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_conn_exec(s->dst, b.ptr);
done:
	if (rc && rc != SL_ECONFLICT)
		sl_error_prefix("record the snapshot in the target");
	free(run);
	free(phase);
	free(old);
	sl_buf_free(&b);
	return rc;
}

static int setup_subset(snap *s)
{
	sl_subset_root *roots = NULL;
	size_t nroots = 0;
	int rc = sl_subset_parse(&roots, &nroots, s->o->subset, s->a);
	sl_subset_opts so = { .roots = roots,
			      .nroots = nroots,
			      .rels = s->rels,
			      .nrels = s->nrels,
			      .notice = subset_notice,
			      .notice_ud = (void *)&s->o->copy };
	if (!rc)
		rc = sl_subset_compute(&s->subset, s->src, s->schema, &so);
	return rc;
}

static int fill_report(snap *s)
{
	sl_snapshot_report *r = s->rep;
	const sl_schema *sc = s->schema;
	r->tables = calloc(sc->ntables + 1, sizeof(*r->tables));
	if (!r->tables)
		return sl_error_nomem();
	for (size_t i = 0; i < sc->ntables; i++) {
		const sl_table *t = &sc->tables[i];
		sl_snapshot_table *rt = &r->tables[r->ntables++];
		rt->table = strdup(t->name);
		rt->target = strdup(sl_snap_target_table(s, t->name));
		if (!rt->table || !rt->target)
			return sl_error_nomem();
		rt->source_rows = t->row_count;
		rt->chosen = -1;
		if (s->subset)
			sl_subset_table(s->subset, t->name, &rt->chosen);
		rt->written = -1;
		for (size_t k = 0; r->copy && k < r->copy->ntables; k++)
			if (!strcmp(r->copy->tables[k].table, t->name))
				rt->written = r->copy->tables[k].written;
		if (rt->written > 0)
			r->rows += rt->written;
		const tbind *tb = &s->tables[i];
		for (size_t j = 0; j < tb->ncols; j++) {
			const colbind *cb = &tb->cols[j];
			sl_snapshot_column *c = realloc(r->columns, (r->ncolumns + 1) * sizeof(*c));
			if (!c)
				return sl_error_nomem();
			r->columns = c;
			c = &c[r->ncolumns++];
			memset(c, 0, sizeof(*c));
			c->table = strdup(t->name);
			c->column = strdup(cb->c->name);
			c->rule = strdup(cb->text);
			c->flagged = cb->flagged ? strdup(cb->flagged) : NULL;
			c->masked = cb->masked;
			c->unique_map = cb->unique && cb->map;
			if (!c->table || !c->column || !c->rule || (cb->flagged && !c->flagged))
				return sl_error_nomem();
		}
	}
	return 0;
}

static int run_checks(snap *s)
{
	double t0 = sl_now_s();
	int rc = sl_snap_check_orphans(s);
	if (!rc)
		rc = sl_snap_check_unique(s);
	if (!rc)
		rc = sl_snap_check_leaks(s);
	s->rep->checked = rc == 0;
	s->rep->check_seconds = sl_now_s() - t0;
	return rc;
}

/* Everything before the copy: plan, rules, fail-closed, subset, maps, target state. */
static int before_copy(snap *s)
{
	const sl_snapshot_opts *o = s->o;
	sl_relationship *declared = NULL;
	size_t ndeclared = 0;
	char fp[33];
	int rc = sl_copy_plan_new(&s->plan, s->src, sl_conn_engine(s->dst), &o->copy);
	if (rc)
		return rc;
	s->schema = sl_copy_plan_schema(s->plan);
	if (o->key && (rc = sl_masker_new(&s->masker, o->key, o->key_len)) == 0)
		rc = sl_mask_ctx_new(&s->x, s->masker);
	if (!rc && o->config && o->config->relationships)
		rc = sl_relationships_parse(&declared, &ndeclared, o->config->cfg, o->config->relationships,
					    s->schema, o->copy.tables != NULL, s->a);
	if (!rc)
		rc = sl_relationships_all(&s->rels, &s->nrels, s->schema, declared, ndeclared, s->a);
	if (!rc)
		rc = sl_snap_bind(s);
	if (!rc)
		rc = sl_snap_fail_closed(s);
	if (!rc && o->subset)
		rc = setup_subset(s);
	if (!rc)
		rc = sl_snap_prepare(s);
	if (!rc)
		rc = fingerprint(s, fp);
	if (!rc)
		rc = target_state(s, fp);
	return rc;
}

int sl_snapshot_run(sl_snapshot_report **out, const sl_snapshot_opts *o)
{
	snap s = { .o = o };
	double t0 = sl_now_s();
	char started[32];
	int rc = 0;
	*out = NULL;
	if (!o || !o->copy.connect)
		return sl_error_set(SL_EINVALID, "snapshot: no connect callback");
	s.rep = calloc(1, sizeof(*s.rep));
	s.a = sl_arena_new(0);
	if (!s.rep || !s.a || pthread_mutex_init(&s.mu, NULL) != 0) {
		free(s.rep);
		sl_arena_free(s.a);
		return sl_error_nomem();
	}
	sl_now_utc_text(started, sizeof(started), 'T', 0);
	s.rep->started_at = strdup(started);
	s.rep->keyed = o->key != NULL;
	s.rep->subset = o->subset ? strdup(o->subset) : NULL;
	rc = o->copy.connect(&s.src, SL_COPY_SOURCE, o->copy.connect_ud);
	if (!rc)
		rc = o->copy.connect(&s.dst, SL_COPY_TARGET, o->copy.connect_ud);
	if (!rc) {
		s.rep->source = strdup(sl_conn_display(s.src));
		s.rep->target = strdup(sl_conn_display(s.dst));
		rc = before_copy(&s);
	}
	if (!rc) {
		double c0 = sl_now_s();
		sl_snap_hooks(&s);
		s.copy = o->copy;
		s.copy.connect = connect_wrap;
		s.copy.connect_ud = &s;
		s.copy.hooks = &s.hooks;
		rc = sl_copy_run(&s.rep->copy, &s.copy);
		s.rep->copy_seconds = sl_now_s() - c0;
	}
	bool finished = s.rep->copy && s.rep->copy->finished;
	if (!rc && finished && o->checks)
		rc = run_checks(&s);
	if (s.plan) {
		char *msg = rc ? strdup(sl_error_last()->message) : NULL;
		int code = rc ? sl_error_last()->code : 0;
		int frc = fill_report(&s);
		if (rc)
			sl_error_set(code ? code : rc, "%s", msg ? msg : "snapshot failed");
		else
			rc = frc;
		free(msg);
	}
	s.rep->ok = !rc && finished && s.rep->copy->nviolations == 0 && s.rep->orphans == 0 &&
		    s.rep->duplicates == 0 && s.rep->leaks == 0 && (s.rep->checked || !o->checks);
	s.rep->seconds = sl_now_s() - t0;
	if (s.plan)
		*out = s.rep;
	else
		sl_snapshot_report_free(s.rep);
	for (size_t i = 0; i < s.nmaps; i++)
		sl_mask_map_free(s.maps[i]);
	for (size_t i = 0; s.tables && i < s.schema->ntables; i++)
		for (size_t j = 0; j < s.tables[i].ncols; j++)
			sl_strmap_free(s.tables[i].cols[j].shuffle);
	sl_subset_free(s.subset);
	sl_mask_ctx_free(s.x);
	sl_masker_free(s.masker);
	sl_copy_plan_free(s.plan);
	sl_conn_close(s.src);
	sl_conn_close(s.dst);
	sl_arena_free(s.a);
	pthread_mutex_destroy(&s.mu);
	return rc;
}

void sl_snapshot_report_free(sl_snapshot_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntables; i++) {
		free(r->tables[i].table);
		free(r->tables[i].target);
	}
	for (size_t i = 0; i < r->ncolumns; i++) {
		free(r->columns[i].table);
		free(r->columns[i].column);
		free(r->columns[i].rule);
		free(r->columns[i].flagged);
	}
	for (size_t i = 0; i < r->nchecks; i++) {
		free(r->checks[i].table);
		free(r->checks[i].object);
		free(r->checks[i].detail);
	}
	free(r->tables);
	free(r->columns);
	free(r->checks);
	sl_copy_result_free(r->copy);
	free(r->source);
	free(r->target);
	free(r->subset);
	free(r->started_at);
	free(r);
}
