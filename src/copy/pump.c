/*
 * pump.c - copies one table part: reads the source in key order after the
 * part's checkpoint, converts each value (convert.c), and writes each batch
 * with the target's bulk writer in ONE target transaction together with its
 * rejected rows and its checkpoint (docs/copy.md, "Resume").
 *
 * A batch the target refuses is rolled back to a savepoint and bisected:
 * halves are retried until the rows the target refuses are isolated; they
 * become rejects with the target's message, the rest is written. Only data
 * errors (SL_EDB, SL_EINVALID) are bisected; a lost connection ends the
 * part, and the state committed so far is what --resume continues from.
 *
 * A row with values the conversions refuse is rejected with one record per
 * refused column. Values converted by a lossy cast are counted per column
 * and kind (sl_copy_loss) for the rows written, and the counts are saved
 * with the checkpoint, as JSON in the part's state row.
 *
 * A transform hook (sl_copy_hooks, used by `sluice snapshot` to mask) runs on
 * each batch as read, before conversion; conversion and rejects see its
 * output, the checkpoint keeps the key as read.
 *
 * Memory: one source batch (at most batch_rows rows or about batch_bytes
 * bytes, whichever comes first), its transformed copy when there is a
 * transform, and its converted copy.
 */
#include "copy_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

#define FETCH_CHUNK 500
#define SAVEPOINT   "sluice_copy_batch"

typedef struct reject {
	size_t row;   /* index in the source batch */
	char *column; /* source column, NULL for a whole-row refusal */
	char *value;
	char *reason;
} reject;

typedef struct pump {
	sl_copy_shared *sh;
	sl_conn *src, *dst;
	const sl_copy_tplan *t;
	sl_copy_part *p;
	sl_copy_conv cx;
	sl_batch in, out;
	sl_batch tin;         /* in, transformed (when tstate) */
	const sl_batch *view; /* what conversion reads: &in or &tin */
	void *tstate;         /* the transform hook's state, NULL: none */
	size_t *srcrow;       /* out row -> in row */
	size_t cap_srcrow;
	reject *rej;
	size_t nrej, cap_rej;
	int64_t written;  /* rows written in this batch */
	int64_t rejected; /* rows rejected in this batch (a row may have several reject records) */
	/* lossy casts, [j * SL_COPY_LOSS__N + kind] for written column j: the part's and this batch's */
	int64_t *loss, *bloss;
	sl_copy_loss *row_loss; /* the current row's, per written column */
	sl_batch scratch;       /* a refused row converted again, to take back its counts */
} pump;

static bool is_fatal(int rc)
{
	return rc != SL_EDB && rc != SL_EINVALID;
}

static int add_reject(pump *pm, size_t row, const char *column, const char *value, const char *reason)
{
	if (pm->nrej == pm->cap_rej) {
		size_t nc = pm->cap_rej ? pm->cap_rej * 2 : 16;
		reject *r = realloc(pm->rej, nc * sizeof(*r));
		if (!r)
			return sl_error_nomem();
		pm->rej = r;
		pm->cap_rej = nc;
	}
	reject *r = &pm->rej[pm->nrej++];
	r->row = row;
	r->column = column ? strdup(column) : NULL;
	r->value = value ? strdup(value) : NULL;
	r->reason = strdup(reason ? reason : "");
	if ((column && !r->column) || (value && !r->value) || !r->reason)
		return sl_error_nomem();
	return 0;
}

static void clear_rejects(pump *pm)
{
	for (size_t i = 0; i < pm->nrej; i++) {
		free(pm->rej[i].column);
		free(pm->rej[i].value);
		free(pm->rej[i].reason);
	}
	pm->nrej = 0;
}

/*
 * Converts source row r into o (values in dst's arena), filling
 * pm->row_loss. Every refused column becomes a reject when record is set;
 * returns 1 when any was refused, 0, or SL_E*.
 */
static int convert_row(pump *pm, size_t r, sl_value *o, sl_batch *dst, bool record, sl_buf *reason,
		       sl_buf *val)
{
	const sl_copy_tplan *t = pm->t;
	const sl_value *row = sl_batch_row(pm->view, r);
	int rc = 0;
	bool refused = false;
	for (size_t j = 0; !rc && j < t->nwcols; j++) {
		const sl_cast_column *cc = &t->cast->columns[t->wcols[j]];
		sl_buf_clear(reason);
		int c = sl_copy_convert(&o[j], &pm->row_loss[j], &row[j], cc, &pm->cx, dst, reason);
		if (c < 0) {
			rc = c;
		} else if (c > 0) {
			refused = true;
			pm->row_loss[j] = SL_COPY_LOSS_NONE;
			sl_buf_clear(val);
			if (record)
				rc = sl_copy_value_text(val, &row[j], SL_COPY_REJECT_VALUE_MAX);
			if (!rc && record)
				rc = add_reject(pm, r, cc->src->name, sl_buf_cstr(val), sl_buf_cstr(reason));
		}
	}
	return rc ? rc : refused;
}

/* Adds (sign 1) or takes back (-1) the current row's lossy casts in the batch's counts. */
static void count_row_loss(pump *pm, int64_t sign)
{
	for (size_t j = 0; j < pm->t->nwcols; j++)
		if (pm->row_loss[j] != SL_COPY_LOSS_NONE)
			pm->bloss[j * SL_COPY_LOSS__N + pm->row_loss[j]] += sign;
}

/* Converts the source batch into pm->out; rows with refused values become rejects. */
static int convert_batch(pump *pm)
{
	sl_buf reason = SL_BUF_INIT, val = SL_BUF_INIT;
	int rc = 0;
	sl_batch_reset(&pm->out);
	if (pm->cap_srcrow < pm->in.nrows) {
		size_t *s = realloc(pm->srcrow, pm->in.nrows * sizeof(*s));
		if (!s)
			return sl_error_nomem();
		pm->srcrow = s;
		pm->cap_srcrow = pm->in.nrows;
	}
	for (size_t r = 0; !rc && r < pm->in.nrows; r++) {
		sl_value *o = sl_batch_add_row(&pm->out);
		if (!o) {
			rc = sl_error_nomem();
			break;
		}
		rc = convert_row(pm, r, o, &pm->out, true, &reason, &val);
		if (rc == 1) {
			pm->out.nrows--;
			pm->rejected++;
			rc = 0;
		} else if (!rc) {
			pm->srcrow[pm->out.nrows - 1] = r;
			count_row_loss(pm, 1);
		}
	}
	sl_buf_free(&reason);
	sl_buf_free(&val);
	return rc;
}

/* A row the target refused is not written: its lossy casts are not counted. */
static int uncount_row(pump *pm, size_t r)
{
	sl_buf reason = SL_BUF_INIT, val = SL_BUF_INIT;
	sl_batch_reset(&pm->scratch);
	sl_value *o = sl_batch_add_row(&pm->scratch);
	int rc = o ? convert_row(pm, r, o, &pm->scratch, false, &reason, &val) : sl_error_nomem();
	if (rc == 0)
		count_row_loss(pm, -1);
	sl_buf_free(&reason);
	sl_buf_free(&val);
	return rc < 0 ? rc : 0;
}

static int write_rows(pump *pm, size_t lo, size_t hi)
{
	sl_writer *w = NULL;
	const sl_copy_tplan *t = pm->t;
	int rc = sl_writer_open(&w, pm->dst, NULL, t->cast->name, t->wnames, t->nwcols);
	if (rc)
		return rc;
	sl_batch view = pm->out;
	view.values = pm->out.values + lo * pm->out.ncols;
	view.nrows = hi - lo;
	view.cap = hi - lo;
	rc = sl_writer_write(w, &view);
	if (rc) {
		char *msg = strdup(sl_error_last()->message);
		int code = sl_error_last()->code;
		sl_writer_abort(w);
		sl_error_set(code ? code : rc, "%s", msg ? msg : "write failed");
		free(msg);
		return rc;
	}
	return sl_writer_close(w);
}

/* "row 3: column "x": ..." -> "column "x": ..." */
static const char *strip_row(const char *msg)
{
	if (strncmp(msg, "row ", 4) == 0) {
		const char *c = strstr(msg, ": ");
		if (c)
			return c + 2;
	}
	return msg;
}

/* Writes out rows [lo, hi); isolates refused rows by bisection. */
static int write_range(pump *pm, size_t lo, size_t hi)
{
	if (lo >= hi)
		return 0;
	int rc = sl_conn_savepoint(pm->dst, SAVEPOINT);
	if (rc)
		return rc;
	rc = write_rows(pm, lo, hi);
	if (!rc) {
		pm->written += (int64_t)(hi - lo);
		return sl_conn_release(pm->dst, SAVEPOINT);
	}
	if (is_fatal(rc))
		return rc;
	char *msg = strdup(strip_row(sl_error_last()->message));
	if (!msg)
		return sl_error_nomem();
	rc = sl_conn_rollback_to(pm->dst, SAVEPOINT);
	if (!rc)
		rc = sl_conn_release(pm->dst, SAVEPOINT);
	if (!rc && hi - lo == 1) {
		sl_buf reason = SL_BUF_INIT;
		sl_value m = sl_bytes(SL_V_TEXT, msg, strlen(msg));
		rc = sl_buf_puts(&reason, "target refused the row: ");
		if (!rc)
			rc = sl_copy_value_text(&reason, &m, 1000);
		if (!rc)
			rc = add_reject(pm, pm->srcrow[lo], NULL, NULL, sl_buf_cstr(&reason));
		if (!rc)
			rc = uncount_row(pm, pm->srcrow[lo]);
		pm->rejected++;
		sl_buf_free(&reason);
	} else if (!rc) {
		size_t mid = lo + (hi - lo) / 2;
		rc = write_range(pm, lo, mid);
		if (!rc)
			rc = write_range(pm, mid, hi);
	}
	free(msg);
	return rc;
}

static const char *const *key_names(const sl_copy_tplan *t)
{
	return t->key;
}

static int store_rejects(pump *pm)
{
	const sl_copy_tplan *t = pm->t;
	sl_buf key = SL_BUF_INIT;
	sl_value kv[16];
	int rc = 0;
	for (size_t i = 0; !rc && i < pm->nrej; i++) {
		reject *r = &pm->rej[i];
		const sl_value *row = sl_batch_row(pm->view, r->row);
		rc = sl_copy_mask_reject(pm->sh->opts, t, row, r->column, &r->value, &r->reason);
		sl_buf_clear(&key);
		if (t->keyless || t->nkey > 16) {
			rc = rc ? rc
				: sl_buf_printf(&key, "{\"row\":%lld}",
						(long long)(pm->p->read + (int64_t)r->row + 1));
		} else {
			for (size_t k = 0; k < t->nkey; k++)
				kv[k] = row[t->key_in_row[k]];
			sl_copy_mask_key(pm->sh->opts, t, kv);
			rc = rc ? rc : sl_copy_key_object(&key, key_names(t), kv, t->nkey);
		}
		if (!rc)
			rc = sl_copy_reject_insert(pm->dst, pm->sh->run_id, t->ref, sl_buf_cstr(&key),
						   r->column, r->value, r->reason);
	}
	sl_buf_free(&key);
	return rc;
}

/* Reads the next batch: up to batch_rows rows or about batch_bytes. 0 rows at the end. */
static int fetch_batch(pump *pm, sl_cursor *cur)
{
	const sl_copy_opts *o = pm->sh->opts;
	size_t max_rows = o->batch_rows ? o->batch_rows : 10000;
	size_t max_bytes = o->batch_bytes ? o->batch_bytes : ((size_t)16 << 20);
	sl_batch_reset(&pm->in);
	while (pm->in.nrows < max_rows && sl_batch_bytes(&pm->in) < max_bytes) {
		size_t want = max_rows - pm->in.nrows;
		if (want > FETCH_CHUNK)
			want = FETCH_CHUNK;
		/* wide rows: fetch fewer at a time so one fetch cannot overshoot the byte cap by much */
		if (pm->in.nrows > 0) {
			size_t per_row = sl_batch_bytes(&pm->in) / pm->in.nrows + 1;
			size_t room = (max_bytes - sl_batch_bytes(&pm->in)) / per_row + 1;
			if (want > room)
				want = room;
		} else {
			want = want > 16 ? 16 : want;
		}
		int n = sl_cursor_fetch(cur, &pm->in, want);
		if (n < 0)
			return n;
		if (n == 0)
			break;
	}
	return 0;
}

static int last_key(pump *pm)
{
	const sl_copy_tplan *t = pm->t;
	sl_value kv[16];
	sl_buf b = SL_BUF_INIT;
	if (t->keyless || pm->in.nrows == 0 || t->nkey > 16)
		return 0;
	const sl_value *row = sl_batch_row(&pm->in, pm->in.nrows - 1);
	for (size_t k = 0; k < t->nkey; k++)
		kv[k] = row[t->key_in_row[k]];
	int rc = sl_copy_key_encode(&b, kv, t->nkey);
	if (!rc) {
		free(pm->p->last_key);
		pm->p->last_key = sl_buf_detach(&b);
	}
	sl_buf_free(&b);
	return rc;
}

static void emit(pump *pm, sl_copy_event_kind kind)
{
	sl_copy_event ev = { .kind = kind,
			     .phase = "data",
			     .table = pm->t->ref,
			     .part = pm->p->part,
			     .nparts = pm->p->nparts,
			     .read = pm->p->read,
			     .written = pm->p->written,
			     .rejected = pm->p->rejected,
			     .expected = pm->p->expected };
	sl_copy_emit(pm->sh, &ev);
}

/* The part's lossy counts as JSON {"column": {"kind": n}} into p->losses (NULL when none). */
static int save_losses(pump *pm)
{
	const sl_copy_tplan *t = pm->t;
	json_t *o = json_object();
	int rc = o ? 0 : sl_error_nomem();
	bool any = false;
	for (size_t j = 0; !rc && j < t->nwcols; j++) {
		json_t *col = NULL;
		for (int k = 1; !rc && k < SL_COPY_LOSS__N; k++) {
			int64_t n = pm->loss[j * SL_COPY_LOSS__N + (size_t)k];
			if (!n)
				continue;
			if (!col && (!(col = json_object()) ||
				     json_object_set_new(o, t->cast->columns[t->wcols[j]].src->name, col)))
				rc = sl_error_nomem();
			if (!rc &&
			    json_object_set_new(col, sl_copy_loss_name((sl_copy_loss)k), json_integer(n)))
				rc = sl_error_nomem();
			any = true;
		}
	}
	char *txt = !rc && any ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!rc && any && !txt)
		rc = sl_error_nomem();
	if (!rc) {
		free(pm->p->losses);
		pm->p->losses = txt;
	}
	json_decref(o);
	return rc;
}

/* The counts a resumed part had saved (p->losses), back into pm->loss. */
static void load_losses(pump *pm)
{
	const sl_copy_tplan *t = pm->t;
	json_error_t err;
	json_t *o = pm->p->losses ? json_loads(pm->p->losses, 0, &err) : NULL;
	for (size_t j = 0; o && j < t->nwcols; j++) {
		json_t *col = json_object_get(o, t->cast->columns[t->wcols[j]].src->name);
		for (int k = 1; col && k < SL_COPY_LOSS__N; k++) {
			json_t *n = json_object_get(col, sl_copy_loss_name((sl_copy_loss)k));
			if (json_is_integer(n))
				pm->loss[j * SL_COPY_LOSS__N + (size_t)k] = json_integer_value(n);
		}
	}
	json_decref(o);
}

/* One batch: transform, convert, write (bisecting refusals), rejects. In the open transaction. */
static int load_batch(pump *pm)
{
	const sl_copy_hooks *h = pm->sh->opts->hooks;
	size_t nl = pm->t->nwcols * SL_COPY_LOSS__N;
	int rc = 0;
	pm->written = 0;
	pm->rejected = 0;
	memset(pm->bloss, 0, nl * sizeof(*pm->bloss));
	clear_rejects(pm);
	pm->view = &pm->in;
	if (pm->tstate) {
		sl_batch_reset(&pm->tin);
		rc = h->transform(pm->tstate, &pm->in, &pm->tin);
		if (!rc && pm->tin.nrows != pm->in.nrows)
			rc = sl_error_set(SL_ERROR, "the transform returned %zu rows for %zu", pm->tin.nrows,
					  pm->in.nrows);
		pm->view = &pm->tin;
	}
	if (!rc)
		rc = convert_batch(pm);
	if (!rc && pm->t->nwcols)
		rc = write_range(pm, 0, pm->out.nrows);
	else if (!rc)
		pm->written = (int64_t)pm->out.nrows;
	if (!rc)
		rc = store_rejects(pm);
	if (!rc) {
		pm->p->read += (int64_t)pm->in.nrows;
		pm->p->written += pm->written;
		pm->p->rejected += pm->rejected;
		for (size_t i = 0; i < nl; i++)
			pm->loss[i] += pm->bloss[i];
		rc = last_key(pm);
	}
	if (!rc)
		rc = save_losses(pm);
	return rc;
}

static int empty_target(pump *pm)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "DELETE FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(pm->dst, &b, pm->t->cast->name);
	if (!rc)
		rc = sl_conn_exec(pm->dst, b.ptr);
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_puts(&b, "DELETE FROM " SL_COPY_REJECTS_TABLE " WHERE table_name = ");
	sl_value tn = sl_text(pm->t->ref);
	if (!rc)
		rc = sl_conn_quote_literal(pm->dst, &b, &tn);
	if (!rc)
		rc = sl_conn_exec(pm->dst, b.ptr);
	sl_buf_free(&b);
	return rc;
}

/* Reads the part batch by batch and loads each batch; a keyed part commits after every one. */
static int pump_batches(pump *pm, sl_cursor *cur, bool keyless)
{
	int rc = 0;
	for (;;) {
		if (sl_copy_should_stop(pm->sh)) {
			rc = SL_EINTERRUPTED;
			goto done;
		}
		rc = fetch_batch(pm, cur);
		if (rc)
			goto done;
		if (pm->in.nrows == 0)
			break;
		if (!keyless && (rc = sl_conn_begin(pm->dst)) != 0)
			goto done;
		rc = load_batch(pm);
		if (!rc && !keyless)
			rc = sl_copy_state_save(pm->dst, pm->p);
		if (!rc && !keyless)
			rc = sl_conn_commit(pm->dst);
		if (rc)
			goto done;
		bool over = sl_copy_add_rejects(pm->sh, pm->rejected);
		emit(pm, SL_COPY_EV_PROGRESS);
		if (over && !keyless) {
			rc = SL_EINTERRUPTED;
			goto done;
		}
		if (over && keyless) {
			rc = SL_EINTERRUPTED;
			goto done;
		}
	}
done:
	return rc;
}

static int run_part(pump *pm)
{
	sl_cursor *cur = NULL;
	sl_buf sql = SL_BUF_INIT;
	sl_arena *ka = sl_arena_new(0);
	sl_value lastv[16];
	bool keyless = pm->t->keyless;
	int rc = ka ? 0 : sl_error_nomem();
	if (!rc && pm->p->last_key && !keyless)
		rc = sl_copy_key_decode(lastv, pm->t->nkey, pm->p->last_key, ka);
	if (!rc && keyless) {
		/* reloaded whole, in one transaction */
		pm->p->read = pm->p->written = pm->p->rejected = 0;
		memset(pm->loss, 0, pm->t->nwcols * SL_COPY_LOSS__N * sizeof(*pm->loss));
		rc = sl_conn_begin(pm->dst);
		if (!rc)
			rc = empty_target(pm);
	}
	if (!rc)
		rc = sl_copy_select_sql(&sql, pm->src, pm->t, pm->p,
					pm->p->last_key && !keyless ? lastv : NULL, pm->sh->opts->hooks);
	if (!rc)
		rc = sl_conn_query(&cur, pm->src, sql.ptr);
	if (rc)
		goto done;
	emit(pm, SL_COPY_EV_TABLE_START);
	rc = pump_batches(pm, cur, keyless);
	if (rc)
		goto done;
	sl_cursor_close(cur);
	cur = NULL;
	pm->p->done = true;
	if (!keyless)
		rc = sl_conn_begin(pm->dst);
	if (!rc)
		rc = sl_copy_state_save(pm->dst, pm->p);
	if (!rc)
		rc = sl_conn_commit(pm->dst);
	if (!rc)
		emit(pm, SL_COPY_EV_TABLE_DONE);
	if (rc)
		pm->p->done = false;
done:
	if (rc && sl_conn_in_transaction(pm->dst)) {
		sl_error e = *sl_error_last();
		char *msg = strdup(e.message);
		sl_conn_rollback(pm->dst);
		if (msg) /* with its SQLSTATE: a distributed worker retries deadlocks and lost sessions */
			sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", msg);
		free(msg);
		if (keyless) {
			pm->p->read = pm->p->written = pm->p->rejected = 0;
			free(pm->p->losses);
			pm->p->losses = NULL;
		}
	}
	sl_cursor_close(cur);
	sl_buf_free(&sql);
	sl_arena_free(ka);
	return rc;
}

/* The transform hook's state for this part, and the batch it writes into. */
static int open_transform(pump *pm, size_t ncols_in)
{
	const sl_copy_tplan *t = pm->t;
	const sl_copy_hooks *h = pm->sh->opts->hooks;
	const char **cols = calloc(ncols_in + 1, sizeof(*cols));
	int rc = cols ? 0 : sl_error_nomem();
	for (size_t j = 0; !rc && j < t->nwcols; j++)
		cols[j] = t->src->columns[t->wcols[j]].name;
	for (size_t k = 0; !rc && k < t->nkey; k++)
		if (t->key_in_row[k] >= t->nwcols)
			cols[t->key_in_row[k]] = t->key[k];
	if (!rc)
		rc = h->transform_open(&pm->tstate, h->ud, t->src, cols, ncols_in);
	if (!rc && pm->tstate)
		rc = sl_batch_init(&pm->tin, ncols_in ? ncols_in : 1, 1024);
	free(cols);
	return rc;
}

int sl_copy_pump(sl_copy_shared *sh, sl_conn *src, sl_conn *dst, const sl_copy_tplan *t, sl_copy_part *p)
{
	pump pm = { .sh = sh, .src = src, .dst = dst, .t = t, .p = p };
	const sl_copy_hooks *h = sh->opts->hooks;
	size_t ncols_in = t->nwcols;
	int rc;
	if (p->done)
		return 0;
	if (t->nkey > 16)
		return sl_error_set(SL_EINVALID,
				    "copy \"%s\": keys of more than 16 columns are not supported", t->ref);
	for (size_t k = 0; k < t->nkey; k++)
		if (t->key_in_row[k] >= ncols_in)
			ncols_in = t->key_in_row[k] + 1;
	sl_copy_conv_init(&pm.cx, src, dst);
	size_t nl = (t->nwcols ? t->nwcols : 1) * SL_COPY_LOSS__N;
	pm.loss = calloc(nl, sizeof(*pm.loss));
	pm.bloss = calloc(nl, sizeof(*pm.bloss));
	pm.row_loss = calloc(t->nwcols ? t->nwcols : 1, sizeof(*pm.row_loss));
	rc = pm.loss && pm.bloss && pm.row_loss ? 0 : sl_error_nomem();
	if (!rc)
		rc = sl_batch_init(&pm.in, ncols_in ? ncols_in : 1, 1024);
	if (!rc)
		rc = sl_batch_init(&pm.out, t->nwcols ? t->nwcols : 1, 1024);
	if (!rc && h && h->transform_open && h->transform)
		rc = open_transform(&pm, ncols_in);
	if (!rc)
		rc = sl_batch_init(&pm.scratch, t->nwcols ? t->nwcols : 1, 1);
	if (!rc)
		load_losses(&pm);
	if (!rc)
		rc = run_part(&pm);
	if (rc && rc != SL_EINTERRUPTED)
		sl_error_prefix("copy \"%s\"%s", t->ref, p->nparts > 1 ? " (key range)" : "");
	if (pm.tstate && h->transform_close)
		h->transform_close(pm.tstate);
	clear_rejects(&pm);
	free(pm.rej);
	free(pm.srcrow);
	sl_batch_free(&pm.in);
	sl_batch_free(&pm.out);
	sl_batch_free(&pm.scratch);
	free(pm.loss);
	free(pm.bloss);
	free(pm.row_loss);
	sl_batch_free(&pm.tin);
	return rc;
}
