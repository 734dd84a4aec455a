/*
 * apply.c - one batch of sync: read up to N change-log rows from the source
 * (in seq order, whatever is visible now), collect the distinct changed keys
 * per table, re-read the current source rows with those keys, convert them
 * with the copy module's cast plan and conversions, and in ONE target
 * transaction: bulk-load them into the table's staging table, delete the
 * keys the source no longer has, merge the staged rows by key (upsert), and
 * advance the checkpoint. Then delete exactly the consumed log rows from the
 * source by seq. docs/sync.md argues why this loses nothing and why a crash
 * between the target commit and the log delete only repeats idempotent work.
 */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/canon.h"
#include "sluice/error.h"
#include "sluice/freeze.h"

/*
 * Keys per statement: one-column keys go in an IN list; composite keys become
 * an OR of ANDs, which SQLite nests (its expression depth limit is 1000).
 */
#define KEYS_PER_IN_LIST 1000
#define KEYS_PER_OR_LIST 200

static size_t keys_per_query(const sl_copy_tplan *t)
{
	return t->nkey == 1 ? KEYS_PER_IN_LIST : KEYS_PER_OR_LIST;
}

typedef struct keyref {
	const char *p;
	size_t len;
} keyref;

typedef struct reject {
	const char *table; /* source name, borrowed from the plan */
	char *key, *column, *value, *reason;
} reject;

typedef struct tstate {
	const sl_copy_tplan *t;
	char stage[SL_SYNC_NAME_MAX];
	const char **tkey; /* target names of the key columns */
	keyref *keys;
	size_t nkeys, capkeys;
	keyref *absent; /* keys the re-read did not find: deleted from the target */
	size_t nabsent;
	sl_canon_col kcanon[16]; /* how key values compare (source column kinds) */
	sl_batch in, out;
	bool staged; /* stage created on the current connection */
} tstate;

struct sl_sync_applier {
	const sl_copy_plan *plan;
	char *run_id;
	sl_conn *src, *dst;
	sl_copy_conv cx;
	tstate *ts;
	size_t nts;
	sl_batch log;
	int64_t *seqs;
	size_t nseqs, capseqs;
	reject *rej;
	size_t nrej, caprej;
	sl_arena *arena; /* parsed keys, per batch */
	bool rejects_ready;
	const char *failed_table;
};

static void free_rejects(sl_sync_applier *a)
{
	for (size_t i = 0; i < a->nrej; i++) {
		free(a->rej[i].key);
		free(a->rej[i].column);
		free(a->rej[i].value);
		free(a->rej[i].reason);
	}
	a->nrej = 0;
}

void sl_sync_applier_free(sl_sync_applier *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nts; i++) {
		sl_batch_free(&a->ts[i].in);
		sl_batch_free(&a->ts[i].out);
		free(a->ts[i].keys);
		free(a->ts[i].absent);
		free(a->ts[i].tkey);
	}
	free(a->ts);
	sl_batch_free(&a->log);
	free(a->seqs);
	free_rejects(a);
	free(a->rej);
	sl_arena_free(a->arena);
	free(a->run_id);
	free(a);
}

int sl_sync_applier_new(sl_sync_applier **out, const sl_copy_plan *plan, const char *run_id)
{
	sl_sync_applier *a = calloc(1, sizeof(*a));
	int rc = 0;
	*out = NULL;
	if (!a || !(a->run_id = strdup(run_id)) || !(a->arena = sl_arena_new(0)) ||
	    !(a->ts = calloc(plan->ntables + 1, sizeof(*a->ts)))) {
		rc = sl_error_nomem();
		goto done;
	}
	a->plan = plan;
	a->nts = plan->ntables;
	rc = sl_batch_init(&a->log, 4, 1024);
	for (size_t i = 0; !rc && i < a->nts; i++) {
		tstate *s = &a->ts[i];
		s->t = &plan->tables[i];
		if (s->t->keyless || s->t->nkey > 16) {
			rc = sl_error_set(SL_EINVALID, "sync \"%s\": the table has no usable key",
					  s->t->src->name);
			break;
		}
		sl_sync_stage_name(s->stage, s->t->src->name);
		s->tkey = calloc(s->t->nkey, sizeof(*s->tkey));
		if (!s->tkey) {
			rc = sl_error_nomem();
			break;
		}
		for (size_t k = 0; k < s->t->nkey; k++) {
			const sl_cast_column *cc = sl_cast_table_find_column(s->t->cast, s->t->key[k]);
			const sl_column *col = sl_table_find_column(s->t->src, s->t->key[k]);
			s->tkey[k] = cc ? cc->name : s->t->key[k];
			sl_canon_col init = SL_CANON_COL_INIT;
			s->kcanon[k] = init;
			if (col)
				sl_canon_col_from_column(&s->kcanon[k], col);
		}
		size_t ncols_in = s->t->nwcols;
		for (size_t k = 0; k < s->t->nkey; k++)
			if (s->t->key_in_row[k] >= ncols_in)
				ncols_in = s->t->key_in_row[k] + 1;
		rc = sl_batch_init(&s->in, ncols_in ? ncols_in : 1, 256);
		if (!rc)
			rc = sl_batch_init(&s->out, s->t->nwcols ? s->t->nwcols : 1, 256);
	}
done:
	if (rc) {
		sl_sync_applier_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int sl_sync_applier_connect(sl_sync_applier *a, sl_conn *src, sl_conn *dst)
{
	int rc = 0;
	a->src = src;
	a->dst = dst;
	sl_copy_conv_init(&a->cx, src, dst);
	a->rejects_ready = false;
	for (size_t i = 0; !rc && i < a->nts; i++) {
		a->ts[i].staged = false;
		rc = sl_stage_create(dst, a->ts[i].t->cast->name, a->ts[i].stage);
		if (!rc)
			a->ts[i].staged = true;
	}
	return rc;
}

const char *sl_sync_applier_failed_table(const sl_sync_applier *a)
{
	return a->failed_table;
}

static tstate *find_table(sl_sync_applier *a, const sl_value *v)
{
	if (v->type != SL_V_TEXT)
		return NULL;
	for (size_t i = 0; i < a->nts; i++) {
		const char *n = a->ts[i].t->src->name;
		if (strlen(n) == v->u.s.len && memcmp(n, v->u.s.ptr, v->u.s.len) == 0)
			return &a->ts[i];
	}
	return NULL;
}

static int keyref_cmp(const void *x, const void *y)
{
	const keyref *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);
	return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

static int push_key(tstate *s, const sl_value *k)
{
	if (k->type != SL_V_TEXT && k->type != SL_V_JSON)
		return 0;
	if (s->nkeys == s->capkeys) {
		size_t nc = s->capkeys ? s->capkeys * 2 : 256;
		keyref *n = realloc(s->keys, nc * sizeof(*n));
		if (!n)
			return sl_error_nomem();
		s->keys = n;
		keyref *ab = realloc(s->absent, nc * sizeof(*ab));
		if (!ab)
			return sl_error_nomem();
		s->absent = ab;
		s->capkeys = nc;
	}
	s->keys[s->nkeys++] = (keyref){ k->u.s.ptr, k->u.s.len };
	return 0;
}

static int push_seq(sl_sync_applier *a, int64_t seq)
{
	if (a->nseqs == a->capseqs) {
		size_t nc = a->capseqs ? a->capseqs * 2 : 1024;
		int64_t *n = realloc(a->seqs, nc * sizeof(*n));
		if (!n)
			return sl_error_nomem();
		a->seqs = n;
		a->capseqs = nc;
	}
	a->seqs[a->nseqs++] = seq;
	return 0;
}

static int64_t value_int(const sl_value *v)
{
	if (v->type == SL_V_INT)
		return v->u.i;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		char tmp[32];
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtoll(tmp, NULL, 10);
	}
	return 0;
}

/* Reads the visible log rows, oldest first. */
static int read_log(sl_sync_applier *a, size_t max, sl_sync_batch_result *res)
{
	sl_cursor *cur = NULL;
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_printf(&q, "SELECT seq, tbl, op, k FROM " SL_CAPTURE_LOG " ORDER BY seq LIMIT %zu",
			       max);
	sl_batch_reset(&a->log);
	if (!rc)
		rc = sl_conn_query(&cur, a->src, q.ptr);
	while (!rc && a->log.nrows < max) {
		int n = sl_cursor_fetch(cur, &a->log, max - a->log.nrows);
		if (n <= 0) {
			rc = n;
			break;
		}
	}
	sl_cursor_close(cur);
	sl_buf_free(&q);
	if (rc)
		sl_error_prefix("read the change log");
	for (size_t r = 0; !rc && r < a->log.nrows; r++) {
		const sl_value *row = sl_batch_row(&a->log, r);
		int64_t seq = value_int(&row[0]);
		rc = push_seq(a, seq);
		if (seq > res->last_seq)
			res->last_seq = seq;
		bool hb = row[2].type == SL_V_TEXT && row[2].u.s.len >= 1 && row[2].u.s.ptr[0] == 'H';
		if (!rc && !hb)
			res->consumed++;
		if (!rc && hb) {
			int64_t t = value_int(&row[3]);
			if (t > res->heartbeat_us)
				res->heartbeat_us = t;
		} else if (!rc) {
			tstate *s = find_table(a, &row[1]);
			if (s)
				rc = push_key(s, &row[3]);
		}
	}
	res->rows = (int64_t)a->log.nrows;
	return rc;
}

/* Appends key value v of key column i as a literal of c; with tmp, converted for the target first. */
static int key_value(sl_buf *b, sl_conn *c, const sl_value *v, const sl_sync_applier *a, const tstate *s,
		     size_t i, sl_batch *tmp)
{
	sl_value lit = *v;
	if (tmp) {
		/* the target's form of the value, as copy would write it */
		const sl_cast_column *cc = sl_cast_table_find_column(s->t->cast, s->t->key[i]);
		sl_buf reason = SL_BUF_INIT;
		sl_value cv;
		sl_copy_loss loss = SL_COPY_LOSS_NONE;
		int c2 = cc ? sl_copy_convert(&cv, &loss, v, cc, &a->cx, tmp, &reason) : 1;
		sl_buf_free(&reason);
		if (c2 < 0)
			return c2;
		if (c2 == 0)
			lit = cv;
	}
	return sl_conn_quote_literal(c, b, &lit);
}

/* (k1 = v1 AND k2 = v2) with the key's values as literals of c (converted for the target with tmp). */
static int key_cond(sl_buf *b, sl_conn *c, const char *const *cols, size_t ncols, const sl_sync_key *k,
		    const char *table_prefix, const sl_sync_applier *a, const tstate *s, sl_batch *tmp)
{
	int rc = 0;
	if (k->n != ncols)
		return sl_error_set(SL_EINVALID,
				    "change-log key has %zu values, the key of \"%s\" %zu columns", k->n,
				    s->t->src->name, ncols);
	if (ncols > 1)
		rc = sl_buf_putc(b, '(');
	for (size_t i = 0; !rc && i < ncols; i++) {
		if (i)
			rc = sl_buf_puts(b, " AND ");
		if (!rc && table_prefix)
			rc = sl_buf_puts(b, table_prefix);
		if (!rc)
			rc = sl_conn_quote_ident(c, b, cols[i]);
		if (!rc)
			rc = sl_buf_puts(b, " = ");
		if (!rc)
			rc = key_value(b, c, &k->v[i], a, s, i, tmp);
	}
	if (!rc && ncols > 1)
		rc = sl_buf_putc(b, ')');
	return rc;
}

static int select_head(sl_buf *b, sl_conn *src, const sl_copy_tplan *t)
{
	int rc = sl_buf_puts(b, "SELECT ");
	size_t n = 0;
	for (size_t j = 0; !rc && j < t->nwcols; j++, n++) {
		if (n)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(src, b, t->src->columns[t->wcols[j]].name);
	}
	for (size_t k = 0; !rc && k < t->nkey; k++) {
		if (t->key_in_row[k] < t->nwcols)
			continue;
		if (n++)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(src, b, t->key[k]);
	}
	if (!rc && n == 0)
		rc = sl_buf_puts(b, "1");
	if (!rc)
		rc = sl_buf_puts(b, " FROM ");
	if (!rc && sl_conn_has(src, SL_CAP_SCHEMAS) && t->src->schema) {
		rc = sl_conn_quote_ident(src, b, t->src->schema);
		if (!rc)
			rc = sl_buf_putc(b, '.');
	}
	if (!rc)
		rc = sl_conn_quote_ident(src, b, t->src->name);
	return rc ? rc : sl_buf_puts(b, " WHERE ");
}

/*
 * Appends the condition matching keys [lo, hi) on c: "k IN (v1, ...)" for a
 * one-column key, "(k1 = a AND k2 = b) OR ..." otherwise. With tmp, each value
 * is first converted for the target (delete_absent); prefix qualifies columns.
 */
static int keys_cond(sl_buf *q, sl_sync_applier *a, tstate *s, sl_conn *c, const char *const *cols,
		     const keyref *keys, size_t lo, size_t hi, sl_batch *tmp)
{
	sl_sync_key k;
	int rc = 0;
	bool in_list = s->t->nkey == 1;
	if (in_list) {
		rc = sl_conn_quote_ident(c, q, cols[0]);
		if (!rc)
			rc = sl_buf_puts(q, " IN (");
	}
	for (size_t i = lo; !rc && i < hi; i++) {
		rc = sl_sync_key_parse(&k, keys[i].p, keys[i].len, a->arena);
		if (!rc && i > lo)
			rc = sl_buf_puts(q, in_list ? ", " : " OR ");
		if (!rc && in_list) {
			sl_sync_key one = k;
			rc = k.n == 1 ? key_value(q, c, &one.v[0], a, s, 0, tmp)
				      : sl_error_set(SL_EINVALID,
						     "change-log key of \"%s\" has %zu values, its key 1",
						     s->t->src->name, k.n);
		} else if (!rc)
			rc = key_cond(q, c, cols, s->t->nkey, &k, NULL, a, s, tmp);
	}
	if (!rc && in_list)
		rc = sl_buf_putc(q, ')');
	return rc;
}

/* Re-reads the current source rows of keys [lo, hi) into s->in. */
static int reread(sl_sync_applier *a, tstate *s, size_t lo, size_t hi)
{
	sl_buf q = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	int rc = select_head(&q, a->src, s->t);
	if (!rc)
		rc = keys_cond(&q, a, s, a->src, s->t->key, s->keys, lo, hi, NULL);
	if (!rc)
		rc = sl_conn_query(&cur, a->src, q.ptr);
	while (!rc) {
		int n = sl_cursor_fetch(cur, &s->in, 512);
		if (n <= 0) {
			rc = n;
			break;
		}
	}
	sl_cursor_close(cur);
	sl_buf_free(&q);
	if (rc)
		a->failed_table = s->t->src->name;
	return rc;
}

static int add_reject(sl_sync_applier *a, tstate *s, const sl_value *row, const char *column,
		      const sl_value *value, const char *reason)
{
	sl_buf key = SL_BUF_INIT, val = SL_BUF_INIT;
	sl_value kv[16];
	int rc = 0;
	if (a->nrej == a->caprej) {
		size_t nc = a->caprej ? a->caprej * 2 : 16;
		reject *n = realloc(a->rej, nc * sizeof(*n));
		if (!n)
			return sl_error_nomem();
		a->rej = n;
		a->caprej = nc;
	}
	for (size_t k = 0; k < s->t->nkey; k++)
		kv[k] = row[s->t->key_in_row[k]];
	rc = sl_copy_key_object(&key, s->t->key, kv, s->t->nkey);
	if (!rc && value)
		rc = sl_copy_value_text(&val, value, SL_COPY_REJECT_VALUE_MAX);
	if (!rc) {
		reject *r = &a->rej[a->nrej++];
		r->table = s->t->src->name;
		r->key = sl_buf_detach(&key);
		r->column = column ? strdup(column) : NULL;
		r->value = value ? sl_buf_detach(&val) : NULL;
		r->reason = strdup(reason);
		if (!r->key || !r->reason)
			rc = sl_error_nomem();
	}
	sl_buf_free(&key);
	sl_buf_free(&val);
	return rc;
}

/* Appends the canonical encoding of a key (n values) to out. */
static int key_canon(sl_buf *out, const sl_value *v, size_t n, const tstate *s)
{
	int rc = 0;
	for (size_t k = 0; !rc && k < n; k++)
		rc = sl_canon_value(out, &v[k], &s->kcanon[k], NULL);
	return rc;
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * The changed keys whose row the re-read did not find (s->absent): the
 * source deleted them, or moved them to another key. Keys are compared by
 * their canonical encoding in the source column's kind, so the JSON text of
 * the log ("5", "2024-01-01T10:00:00") meets the typed value read back.
 */
static int find_absent(sl_sync_applier *a, tstate *s)
{
	sl_buf b = SL_BUF_INIT;
	char **found = s->in.nrows ? calloc(s->in.nrows, sizeof(*found)) : NULL;
	sl_value kv[16];
	sl_sync_key k;
	int rc = s->in.nrows && !found ? sl_error_nomem() : 0;
	s->nabsent = 0;
	for (size_t r = 0; !rc && r < s->in.nrows; r++) {
		const sl_value *row = sl_batch_row(&s->in, r);
		for (size_t i = 0; i < s->t->nkey; i++)
			kv[i] = row[s->t->key_in_row[i]];
		sl_buf_clear(&b);
		rc = key_canon(&b, kv, s->t->nkey, s);
		if (!rc && !(found[r] = strdup(sl_buf_cstr(&b))))
			rc = sl_error_nomem();
	}
	if (!rc && s->in.nrows)
		qsort(found, s->in.nrows, sizeof(*found), str_cmp);
	for (size_t i = 0; !rc && i < s->nkeys; i++) {
		rc = sl_sync_key_parse(&k, s->keys[i].p, s->keys[i].len, a->arena);
		if (!rc && k.n != s->t->nkey)
			rc = sl_error_set(SL_EINVALID,
					  "change-log key %.*s has %zu values, the key of \"%s\" %zu columns",
					  (int)s->keys[i].len, s->keys[i].p, k.n, s->t->src->name,
					  s->t->nkey);
		sl_buf_clear(&b);
		if (!rc)
			rc = key_canon(&b, k.v, k.n, s);
		const char *enc = sl_buf_cstr(&b);
		if (!rc && !(s->in.nrows && bsearch(&enc, found, s->in.nrows, sizeof(*found), str_cmp)))
			s->absent[s->nabsent++] = s->keys[i];
	}
	for (size_t r = 0; found && r < s->in.nrows; r++)
		free(found[r]);
	free(found);
	sl_buf_free(&b);
	return rc;
}

static int convert_table(sl_sync_applier *a, tstate *s)
{
	sl_buf reason = SL_BUF_INIT;
	int rc = 0;
	for (size_t r = 0; !rc && r < s->in.nrows; r++) {
		const sl_value *row = sl_batch_row(&s->in, r);
		sl_value *o = sl_batch_add_row(&s->out);
		const char *col = NULL;
		if (!o) {
			rc = sl_error_nomem();
			break;
		}
		rc = sl_copy_convert_row(o, row, s->t, &a->cx, &s->out, &reason, &col);
		if (rc == 1) {
			size_t j = 0;
			while (j < s->t->nwcols && strcmp(s->t->src->columns[s->t->wcols[j]].name, col) != 0)
				j++;
			rc = add_reject(a, s, row, col, j < s->t->nwcols ? &row[j] : NULL,
					sl_buf_cstr(&reason));
			s->out.nrows--;
		}
	}
	sl_buf_free(&reason);
	return rc;
}

/*
 * Deletes absent keys [lo, hi) from the target, unless the stage holds their
 * row after all (a guard: the canonical comparison in find_absent decides,
 * the stage has the last word).
 */
static int delete_absent(sl_sync_applier *a, tstate *s, size_t lo, size_t hi, int64_t *deleted)
{
	sl_buf q = SL_BUF_INIT, prefix = SL_BUF_INIT;
	sl_batch tmp;
	int rc = sl_batch_init(&tmp, 1, 16);
	if (!rc)
		rc = sl_conn_quote_ident(a->dst, &prefix, s->t->cast->name);
	if (!rc)
		rc = sl_buf_putc(&prefix, '.');
	if (!rc)
		rc = sl_buf_puts(&q, "DELETE FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(a->dst, &q, s->t->cast->name);
	if (!rc)
		rc = sl_buf_puts(&q, " WHERE (");
	if (!rc)
		rc = keys_cond(&q, a, s, a->dst, s->tkey, s->absent, lo, hi, &tmp);
	if (!rc)
		rc = sl_buf_puts(&q, ") AND NOT EXISTS (SELECT 1 FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(a->dst, &q, s->stage);
	if (!rc)
		rc = sl_buf_puts(&q, " sluice_s WHERE ");
	for (size_t i = 0; !rc && i < s->t->nkey; i++) {
		if (i)
			rc = sl_buf_puts(&q, " AND ");
		if (!rc)
			rc = sl_buf_puts(&q, "sluice_s.");
		if (!rc)
			rc = sl_conn_quote_ident(a->dst, &q, s->tkey[i]);
		if (!rc)
			rc = sl_buf_printf(&q, " = %s", prefix.ptr);
		if (!rc)
			rc = sl_conn_quote_ident(a->dst, &q, s->tkey[i]);
	}
	if (!rc)
		rc = sl_buf_putc(&q, ')');
	if (!rc)
		rc = sl_conn_exec(a->dst, q.ptr);
	if (!rc && sl_conn_changes(a->dst) > 0)
		*deleted += sl_conn_changes(a->dst);
	sl_batch_free(&tmp);
	sl_buf_free(&q);
	sl_buf_free(&prefix);
	return rc;
}

static int write_stage(sl_sync_applier *a, tstate *s)
{
	sl_writer *w = NULL;
	int rc = sl_writer_open(&w, a->dst, NULL, s->stage, s->t->wnames, s->t->nwcols);
	if (!rc) {
		rc = sl_writer_write(w, &s->out);
		if (rc)
			sl_writer_abort(w);
		else
			rc = sl_writer_close(w);
	}
	return rc;
}

static int apply_table(sl_sync_applier *a, tstate *s, sl_sync_batch_result *res)
{
	int rc = 0;
	if (s->out.nrows && s->t->nwcols)
		rc = write_stage(a, s);
	size_t step = keys_per_query(s->t);
	for (size_t lo = 0; !rc && lo < s->nabsent; lo += step) {
		size_t hi = lo + step < s->nabsent ? lo + step : s->nabsent;
		rc = delete_absent(a, s, lo, hi, &res->deletes);
	}
	if (!rc && s->out.nrows)
		rc = sl_stage_merge(a->dst, s->t->cast->name, s->stage, s->t->wnames, s->t->nwcols, s->tkey,
				    s->t->nkey);
	if (!rc)
		res->upserts += (int64_t)s->out.nrows;
	if (rc)
		sl_error_prefix("apply to \"%s\"", s->t->cast->name);
	return rc;
}

static int delete_consumed(sl_sync_applier *a)
{
	int rc = 0;
	if (a->nseqs == 0)
		return 0;
	rc = sl_conn_begin(a->src);
	if (!rc)
		rc = sl_capture_log_delete(a->src, a->seqs, a->nseqs);
	if (!rc)
		rc = sl_conn_commit(a->src);
	else if (sl_conn_in_transaction(a->src))
		sl_conn_rollback(a->src);
	return rc;
}

static void reset_batch(sl_sync_applier *a)
{
	for (size_t i = 0; i < a->nts; i++) {
		a->ts[i].nkeys = 0;
		a->ts[i].nabsent = 0;
		sl_batch_reset(&a->ts[i].in);
		sl_batch_reset(&a->ts[i].out);
	}
	a->nseqs = 0;
	free_rejects(a);
	sl_arena_reset(a->arena);
	a->failed_table = NULL;
}

int sl_sync_apply_batch(sl_sync_applier *a, size_t max, double rate, sl_sync_batch_result *res)
{
	int rc;
	memset(res, 0, sizeof(*res));
	reset_batch(a);
	rc = read_log(a, max, res);
	if (rc || res->rows == 0)
		return rc;
	for (size_t i = 0; !rc && i < a->nts; i++) {
		tstate *s = &a->ts[i];
		if (!s->nkeys)
			continue;
		qsort(s->keys, s->nkeys, sizeof(*s->keys), keyref_cmp);
		size_t n = 1;
		for (size_t j = 1; j < s->nkeys; j++)
			if (keyref_cmp(&s->keys[j], &s->keys[n - 1]) != 0)
				s->keys[n++] = s->keys[j];
		s->nkeys = n;
		size_t step = keys_per_query(s->t);
		for (size_t lo = 0; !rc && lo < s->nkeys; lo += step)
			rc = reread(a, s, lo, lo + step < s->nkeys ? lo + step : s->nkeys);
		if (!rc)
			rc = find_absent(a, s);
		if (!rc)
			rc = convert_table(a, s);
		if (rc)
			sl_error_prefix("read \"%s\" from the source", s->t->src->name);
	}
	if (!rc && a->nrej && !a->rejects_ready) {
		rc = sl_copy_state_create(a->dst);
		a->rejects_ready = rc == 0;
	}
	if (!rc)
		rc = sl_conn_begin(a->dst);
	/* a cutover's rollback carries changes back into a database whose writes are frozen */
	if (!rc)
		rc = sl_freeze_pass(a->dst, true);
	for (size_t i = 0; !rc && i < a->nts; i++)
		if (a->ts[i].nkeys)
			rc = apply_table(a, &a->ts[i], res);
	for (size_t i = 0; !rc && i < a->nrej; i++) {
		const reject *r = &a->rej[i];
		rc = sl_copy_reject_insert(a->dst, a->run_id, r->table, r->key, r->column, r->value,
					   r->reason);
	}
	res->rejects = (int64_t)a->nrej;
	if (!rc)
		rc = sl_sync_state_advance(a->dst, a->run_id, res->consumed, res->last_seq, res->heartbeat_us,
					   rate);
	if (!rc)
		rc = sl_freeze_pass(a->dst, false);
	if (!rc)
		rc = sl_conn_commit(a->dst);
	if (rc && sl_conn_in_transaction(a->dst)) {
		char *msg = strdup(sl_error_last()->message);
		sl_error last = *sl_error_last();
		sl_conn_rollback(a->dst);
		if (msg)
			sl_error_set_db(last.code, last.sqlstate, last.engine_code, "%s", msg);
		free(msg);
	}
	if (!rc)
		rc = delete_consumed(a);
	return rc;
}
