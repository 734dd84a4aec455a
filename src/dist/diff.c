/*
 * diff.c - distributed diff (docs/commands/distributed.md, "Diff"):
 *
 *   plan    the coordinator pairs the tables as `sluice diff` does
 *           (sl_diff_each_pair) and cuts each keyed table with one integer
 *           key column into key ranges with copy's splitter (sl_copy_split);
 *           a table on one side only is one chunk (part -1) that counts it;
 *   chunk   a worker compares one range with sl_diff_table, the range as
 *           the spec's WHERE on both sides, and records the counts and the
 *           first examples as the chunk's result (JSON); each side is read
 *           in the run's exported snapshot of it when it has one (a waiting
 *           coordinator exported and holds it), else in a consistent
 *           snapshot of the chunk's own where the engine has them
 *           (snapshot.c);
 *   sum     the coordinator adds the chunks' counts up per table.
 *
 * The range condition is one SQL text for both engines, so a table is split
 * only when its key column is a plain lower-case identifier (the same
 * spelling unquoted everywhere); other tables are one chunk each.
 */
#include "dist_work.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"

#define DIST_DIFF_EXAMPLES 5

/* A key column that reads the same unquoted on every engine. */
static bool plain_ident(const char *s)
{
	if (!s || !(islower((unsigned char)*s) || *s == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			return false;
	return strlen(s) < 64;
}

/* ---- the coordinator ---- */

typedef struct diff_plan {
	sl_conn *src;
	int64_t chunk_rows;
	bool keyless;
	sl_dist_chunk *v;
	size_t n, cap;
} diff_plan;

static sl_dist_chunk *add_chunk(diff_plan *p)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 32;
		sl_dist_chunk *v = realloc(p->v, nc * sizeof(*v));
		if (!v)
			return NULL;
		p->v = v;
		p->cap = nc;
	}
	sl_dist_chunk *c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

static bool int_kind(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

static int plan_pair(void *ud, const sl_diff_side *s, const sl_diff_side *d)
{
	diff_plan *p = ud;
	const sl_diff_side *one = s->t ? s : d;
	if (!s->t || !d->t) {
		sl_dist_chunk *c = add_chunk(p);
		if (!c)
			return sl_error_nomem();
		snprintf(c->table, sizeof(c->table), "%s", one->name);
		c->part = -1;
		c->nparts = 1;
		c->expected = one->t->row_count;
		return 0;
	}
	const sl_key *pk = s->t->primary_key;
	const sl_column *kc = pk && pk->ncolumns == 1 ? sl_table_find_column(s->t, pk->columns[0]) : NULL;
	bool split = !p->keyless && kc && int_kind(kc->type.kind) && plain_ident(kc->name) &&
		     !(kc->type.kind == SL_T_INT64 && kc->type.is_unsigned);
	sl_copy_opts o = SL_COPY_OPTS_INIT;
	o.part_rows = p->chunk_rows;
	o.split_rows = p->chunk_rows;
	sl_copy_range *r = NULL;
	int n = 0, rc = 0;
	sl_table t = *s->t;           /* shallow: only its row count may change */
	if (split && t.row_count < 0) /* no estimate (SQLite without statistics): count */
		rc = sl_diff_count_rows(&t.row_count, p->src, s->schema, t.name, NULL);
	if (!rc)
		rc = sl_copy_split(&r, &n, p->src, &t, split ? kc->name : NULL, &o);
	for (int i = 0; !rc && i < n; i++) {
		sl_dist_chunk *c = add_chunk(p);
		if (!c) {
			rc = sl_error_nomem();
			break;
		}
		snprintf(c->table, sizeof(c->table), "%s", s->name);
		c->part = i;
		c->nparts = n;
		c->has_lo = r[i].has_lo;
		c->has_hi = r[i].has_hi;
		c->lo = r[i].lo;
		c->hi = r[i].hi;
		c->expected = r[i].expected;
	}
	free(r);
	if (rc)
		sl_error_prefix("split \"%s\"", s->name);
	return rc;
}

static int diff_options(const sl_diff_pairing *pairing, bool keyless, char **out)
{
	json_t *j = json_object(), *t = json_array(), *s = json_array();
	int rc = j && t && s ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < pairing->ntables; i++)
		if (json_array_append_new(t, json_string(pairing->tables[i])))
			rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < pairing->nschemas; i++)
		if (json_array_append_new(s, json_string(pairing->schemas[i])))
			rc = sl_error_nomem();
	if (!rc && (json_object_set(j, "tables", t) || json_object_set(j, "schemas", s) ||
		    json_object_set_new(j, "all_schemas", json_boolean(pairing->all_schemas)) ||
		    json_object_set_new(j, "keyless", json_boolean(keyless))))
		rc = sl_error_nomem();
	*out = rc ? NULL : json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!rc && !*out)
		rc = sl_error_nomem();
	json_decref(t);
	json_decref(s);
	json_decref(j);
	return rc;
}

/* One side's reads, for the run's snapshot_mode. */
static const char *side_reads(dist_snap_kind k)
{
	return k == DIST_SNAP_EXPORTED    ? "the exported snapshot, held by the waiting coordinator"
	       : k == DIST_SNAP_DETACHED  ? "no shared snapshot (planned with --detach): a snapshot of each "
					    "chunk's own"
	       : k == DIST_SNAP_PER_CHUNK ? "a consistent snapshot of each chunk's own"
					  : "each chunk's statements at their own moments";
}

/* With hold, each side that can exports a snapshot (its transaction stays open on src or dst). */
static int plan_snapshots(sl_conn *src, sl_conn *dst, bool hold, sl_dist_run *run)
{
	dist_snap_kind ks = DIST_SNAP_STATEMENT, kt = DIST_SNAP_STATEMENT;
	int rc = dist_snapshot_export(src, hold, run->snapshot, sizeof(run->snapshot), &ks);
	if (!rc)
		rc = dist_snapshot_export(dst, hold, run->target_snapshot, sizeof(run->target_snapshot), &kt);
	if (!rc && ks == DIST_SNAP_EXPORTED && kt == DIST_SNAP_EXPORTED)
		snprintf(run->snapshot_mode, sizeof(run->snapshot_mode),
			 "exported snapshots %s (source) and %s (target): every chunk compares both sides "
			 "as of the plan (held by the waiting coordinator)",
			 run->snapshot, run->target_snapshot);
	else if (!rc)
		snprintf(run->snapshot_mode, sizeof(run->snapshot_mode),
			 "per side: the source reads %s%s%s; the target reads %s%s%s", side_reads(ks),
			 run->snapshot[0] ? " " : "", run->snapshot, side_reads(kt),
			 run->target_snapshot[0] ? " " : "", run->target_snapshot);
	return rc;
}

int sl_dist_diff_plan(sl_dist *d, sl_conn *src, sl_conn *dst, const sl_diff_pairing *pairing,
		      int64_t chunk_rows, const char *const names[4], const sl_dist_plan_opts *plo, bool hold,
		      sl_dist_run *run)
{
	diff_plan p = { .src = src, .chunk_rows = chunk_rows > 0 ? chunk_rows : 100000 };
	memset(run, 0, sizeof(*run));
	int rc = sl_diff_each_pair(src, dst, pairing, plan_pair, &p);
	if (!rc) {
		snprintf(run->kind, sizeof(run->kind), "diff");
		snprintf(run->state, sizeof(run->state), "%s", p.n ? "diffing" : "finished");
		snprintf(run->source, sizeof(run->source), "%s", names[0] ? names[0] : "");
		snprintf(run->target, sizeof(run->target), "%s", names[1] ? names[1] : "");
		snprintf(run->source_ref, sizeof(run->source_ref), "%s", names[2] ? names[2] : "");
		snprintf(run->target_ref, sizeof(run->target_ref), "%s", names[3] ? names[3] : "");
		run->lease_s = plo->lease_s > 0 ? plo->lease_s : 30;
		run->max_attempts = plo->max_attempts > 0 ? plo->max_attempts : 3;
		run->detached = !hold;
		rc = diff_options(pairing, false, &run->options);
	}
	/* before the chunks can be claimed: every read of the run sees the snapshots */
	if (!rc)
		rc = plan_snapshots(src, dst, hold && p.n > 0, run);
	if (!rc)
		rc = sl_dist_run_create(d, run, p.v, p.n);
	if (rc)
		sl_error_prefix("plan the distributed diff");
	free(p.v);
	return rc;
}

/* ---- the worker ---- */

int dist_diff_open(dist_worker *w)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	int rc = dist_opts_from_run(w);
	if (!rc)
		rc = w->o->connect(&w->dsrc, &w->run, SL_COPY_SOURCE, w->o->connect_ud);
	if (!rc)
		rc = w->o->connect(&w->ddst, &w->run, SL_COPY_TARGET, w->o->connect_ud);
	if (!rc)
		rc = sl_conn_refuse_same_database(w->dsrc, w->ddst, "diff");
	io.schemas = w->copy.schemas;
	io.nschemas = w->copy.nschemas;
	io.all_schemas = w->copy.all_schemas;
	if (!rc)
		rc = sl_conn_introspect(&w->smodel, w->dsrc, &io);
	io.schemas = NULL;
	io.nschemas = 0;
	io.all_schemas = false;
	if (!rc)
		rc = sl_conn_introspect(&w->dmodel, w->ddst, &io);
	if (rc)
		sl_error_prefix("worker %s: run %s", w->o->name, w->run.id);
	return rc;
}

void dist_diff_close(dist_worker *w)
{
	sl_schema_free(w->smodel);
	sl_schema_free(w->dmodel);
	sl_conn_close(w->dsrc);
	sl_conn_close(w->ddst);
	w->smodel = w->dmodel = NULL;
	w->dsrc = w->ddst = NULL;
}

typedef struct chunk_diff {
	dist_worker *w;
	const sl_diff_columns *dc;
	json_t *examples;
} chunk_diff;

static json_t *json_value(const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return json_null();
	if (v->type == SL_V_INT)
		return json_integer(v->u.i);
	if (v->type == SL_V_BOOL)
		return json_boolean(v->u.b);
	sl_buf b = SL_BUF_INIT;
	sl_value_format(&b, v);
	json_t *s = json_stringn(b.ptr ? b.ptr : "", b.len);
	sl_buf_free(&b);
	return s ? s : json_string("(not UTF-8)");
}

static int on_diff(const sl_diff_event *ev, void *ud)
{
	chunk_diff *x = ud;
	if (json_array_size(x->examples) < DIST_DIFF_EXAMPLES) {
		const sl_value *row = ev->src_row ? ev->src_row : ev->dst_row;
		json_t *o = json_object(), *k = json_object();
		const char *kind = ev->kind == SL_DIFF_MISSING ? "missing"
				   : ev->kind == SL_DIFF_EXTRA ? "extra"
							       : "changed";
		json_object_set_new(o, "kind", json_string(kind));
		for (size_t i = 0; row && i < x->dc->nkey; i++)
			json_object_set_new(k, x->dc->names[x->dc->key_ix[i]],
					    json_value(&row[x->dc->key_ix[i]]));
		json_object_set_new(o, "key", k);
		if (ev->kind == SL_DIFF_CHANGED) {
			json_t *c = json_array();
			for (size_t i = 0; i < ev->nchanged; i++)
				json_array_append_new(c, json_string(x->dc->names[ev->changed[i]]));
			json_object_set_new(o, "columns", c);
		}
		if (ev->keyless)
			json_object_set_new(o, "count", json_integer(ev->count));
		json_array_append_new(x->examples, o);
	}
	return dist_poll(x->w) ? SL_EINTERRUPTED : 0;
}

static int one_sided(dist_worker *w, const sl_diff_side *s, const sl_diff_side *d, sl_dist_outcome *out,
		     char **result)
{
	bool in_source = s->t != NULL;
	int64_t rows = 0;
	int rc = sl_diff_count_rows(&rows, in_source ? w->dsrc : w->ddst, in_source ? s->schema : d->schema,
				    in_source ? s->t->name : d->t->name, NULL);
	if (rc)
		return rc;
	out->read = out->written = rows;
	json_t *j =
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "missing", (json_int_t)(in_source ? rows : 0),
			  "extra", (json_int_t)(in_source ? 0 : rows), "changed", (json_int_t)0, "src_rows",
			  (json_int_t)(in_source ? rows : 0), "dst_rows", (json_int_t)(in_source ? 0 : rows),
			  "table", in_source ? "only in the source" : "only in the target");
	*result = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return *result ? 0 : sl_error_nomem();
}

static int diff_range(dist_worker *w, const sl_dist_chunk *c, sl_dist_outcome *out, char **result)
{
	sl_diff_side s, d;
	sl_diff_columns dc = { 0 };
	sl_diff_result *r = NULL;
	sl_diff_opts opts = SL_DIFF_OPTS_INIT;
	sl_buf where = SL_BUF_INIT;
	chunk_diff x = { .w = w, .dc = &dc, .examples = json_array() };
	int rc = x.examples ? 0 : sl_error_nomem();
	*result = NULL;
	sl_diff_find_side(&s, w->smodel, w->dsrc, c->table);
	sl_diff_find_side(&d, w->dmodel, w->ddst, c->table);
	if (!rc && (!s.t || !d.t)) {
		rc = s.t || d.t ? one_sided(w, &s, &d, out, result)
				: sl_error_set(SL_ENOTFOUND, "diff chunk: no table \"%s\" on either side",
					       c->table);
		goto done;
	}
	if (!rc)
		rc = sl_diff_plan_columns(&dc, s.t, d.t, NULL, 0, NULL, 0, false);
	if (!rc && (c->has_lo || c->has_hi)) {
		const char *k = dc.nkey == 1 ? dc.key[0] : NULL;
		if (!plain_ident(k))
			rc = sl_error_set(SL_EINVALID,
					  "diff chunk \"%s\": a key range needs one plain key column",
					  c->table);
		if (!rc && c->has_lo)
			rc = sl_buf_printf(&where, "%s >= %" PRId64, k, c->lo);
		if (!rc && c->has_hi)
			rc = sl_buf_printf(&where, "%s%s < %" PRId64, c->has_lo ? " AND " : "", k, c->hi);
	}
	sl_diff_spec spec = { .src_schema = s.schema,
			      .src_table = s.t ? s.t->name : NULL,
			      .dst_schema = d.schema,
			      .dst_table = d.t ? d.t->name : NULL,
			      .key = dc.nkey ? dc.key : NULL,
			      .nkey = dc.nkey,
			      .columns = dc.cols,
			      .ncolumns = dc.ncols,
			      .where = where.len ? where.ptr : NULL };
	if (!rc)
		rc = sl_diff_table(&r, w->dsrc, w->ddst, &spec, &opts, on_diff, &x);
	if (!rc) {
		out->read = out->written = r->src_rows;
		json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:O}", "missing",
				      (json_int_t)r->missing, "extra", (json_int_t)r->extra, "changed",
				      (json_int_t)r->changed, "equal", (json_int_t)r->equal, "src_rows",
				      (json_int_t)r->src_rows, "dst_rows", (json_int_t)r->dst_rows, "keyless",
				      r->keyless, "examples", x.examples);
		*result = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!*result)
			rc = sl_error_nomem();
	}
done:
	if (rc && rc != SL_EINTERRUPTED)
		sl_error_prefix("diff \"%s\" (chunk %d)", c->table, c->chunk);
	json_decref(x.examples);
	sl_diff_result_free(r);
	sl_diff_columns_free(&dc);
	sl_buf_free(&where);
	return rc;
}

/* The chunk compared with each side read in its snapshot (snapshot.c). */
int dist_diff_chunk(dist_worker *w, const sl_dist_chunk *c, sl_dist_outcome *out, char **result)
{
	char tpos[160];
	bool sopen = false, topen = false;
	int rc = dist_snapshot_begin(w->dsrc, w->run.snapshot, "diff", w->source_pos, sizeof(w->source_pos),
				     &sopen);
	if (!rc)
		rc = dist_snapshot_begin(w->ddst, w->run.target_snapshot, "diff", tpos, sizeof(tpos), &topen);
	if (rc)
		sl_error_prefix("diff \"%s\" (chunk %d): begin the read", c->table, c->chunk);
	if (!rc)
		rc = diff_range(w, c, out, result);
	rc = dist_snapshot_end(w->ddst, topen, rc);
	rc = dist_snapshot_end(w->dsrc, sopen, rc);
	out->source_pos = w->source_pos[0] ? w->source_pos : NULL;
	return rc;
}

int sl_dist_diff_retry(sl_dist *d, const sl_dist_run *run, sl_conn *src, sl_conn *dst, int64_t *n, bool *lost)
{
	int rc = dist_snapshot_retry(d, run, src, dst, "both sides", n, lost);
	if (rc)
		sl_error_prefix("put the failed chunks of run %s back", run->id);
	return rc;
}

/* ---- the sum ---- */

typedef struct sum_ctx {
	sl_dist_diff_sum *s;
	sl_buf *text;
} sum_ctx;

static int sum_row(const sl_value *row, void *ud)
{
	sum_ctx *x = ud;
	char table[SL_DIST_NAME_MAX], note[64];
	dist_text(table, sizeof(table), &row[0]);
	int64_t missing = dist_i64(&row[1]), extra = dist_i64(&row[2]), changed = dist_i64(&row[3]);
	int64_t srows = dist_i64(&row[4]), drows = dist_i64(&row[5]);
	int failed = (int)dist_i64(&row[6]);
	dist_text(note, sizeof(note), &row[7]);
	char *examples = dist_strdup(&row[8]);
	x->s->missing += missing;
	x->s->extra += extra;
	x->s->changed += changed;
	x->s->src_rows += srows;
	x->s->dst_rows += drows;
	x->s->chunks_failed += failed;
	x->s->tables_differing += missing + extra + changed > 0;
	int rc = 0;
	if (x->text) {
		if (note[0])
			rc = sl_buf_printf(x->text, "%s: %s (%" PRId64 " row%s)\n", table, note,
					   srows + drows, srows + drows == 1 ? "" : "s");
		else
			rc = sl_buf_printf(x->text,
					   "%s: %" PRId64 " source rows, %" PRId64 " target rows, %" PRId64
					   " missing, %" PRId64 " extra, %" PRId64 " changed%s\n",
					   table, srows, drows, missing, extra, changed,
					   failed ? " (chunks failed: see sluice status --distributed)" : "");
		if (!rc && examples && strcmp(examples, "[]") != 0 && strcmp(examples, "null") != 0)
			rc = sl_buf_printf(x->text, "  first differences: %s\n", examples);
	}
	free(examples);
	return rc;
}

int sl_dist_diff_sum_get(sl_dist *d, const char *run_id, sl_dist_diff_sum *out, sl_buf *text)
{
	sl_buf b = SL_BUF_INIT;
	sum_ctx x = { .s = out, .text = text };
	memset(out, 0, sizeof(*out));
	int rc = sl_buf_puts(&b,
			     "SELECT tbl, COALESCE(sum((result->>'missing')::bigint), 0)::bigint, "
			     "COALESCE(sum((result->>'extra')::bigint), 0)::bigint, "
			     "COALESCE(sum((result->>'changed')::bigint), 0)::bigint, "
			     "COALESCE(sum((result->>'src_rows')::bigint), 0)::bigint, "
			     "COALESCE(sum((result->>'dst_rows')::bigint), 0)::bigint, "
			     "count(*) FILTER (WHERE status <> 'done'), COALESCE(max(result->>'table'), ''), "
			     "(SELECT jsonb_agg(e) FROM (SELECT e FROM " DIST_CHUNK_TABLE " c2, "
			     "jsonb_array_elements(COALESCE(c2.result->'examples', '[]'::jsonb)) e "
			     "WHERE c2.run_id = c.run_id AND c2.tbl = c.tbl ORDER BY c2.chunk LIMIT 5) "
			     "ex)::text FROM " DIST_CHUNK_TABLE " c WHERE run_id = ");
	if (!rc)
		rc = dist_q(d, &b, run_id);
	if (!rc)
		rc = sl_buf_puts(&b, " GROUP BY c.run_id, tbl ORDER BY tbl");
	if (!rc)
		rc = dist_rows(d, b.ptr, 9, sum_row, &x);
	if (rc)
		sl_error_prefix("sum the distributed diff %s", run_id);
	sl_buf_free(&b);
	return rc;
}
