/*
 * store.c - the work tables of distributed runs, in a PostgreSQL database
 * (docs/commands/distributed.md, "Work table"):
 *
 *   sluice_dist_run      one row per distributed copy or diff: its plan
 *                        (sides by display name, never a password), state
 *                        and options;
 *   sluice_dist_chunk    one row per key range: status, attempt (the fence),
 *                        worker, lease_until, counts, result;
 *   sluice_dist_attempt  one row per claim: who, when, how it ended; the
 *                        audit trail that shows no chunk finished twice.
 *
 * The SQL here is PostgreSQL's alone (FOR UPDATE SKIP LOCKED, RETURNING,
 * interval arithmetic, jsonb): the store refuses any other engine when it is
 * opened, so this module never meets another dialect. Times are the store
 * server's clock (now()), so workers on machines whose clocks drift still
 * agree on when a lease expired.
 */
#include "dist_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"
#include "sluice/url.h"
#include "sluice/util.h"

/* dialect table: the engines the work table's SQL is written for (PostgreSQL only, see the header). */
static const sl_engine store_engines[] = { SL_ENGINE_POSTGRES };

static const char *const schema_sql[] = {
	"CREATE TABLE IF NOT EXISTS " DIST_RUN_TABLE " (id text PRIMARY KEY, kind text NOT NULL, "
	"state text NOT NULL, source text NOT NULL, target text NOT NULL, source_ref text NOT NULL, "
	"target_ref text NOT NULL, copy_run text, fingerprint text, options jsonb, lease_s integer NOT NULL, "
	"created_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)",
	"CREATE TABLE IF NOT EXISTS " DIST_CHUNK_TABLE " (run_id text NOT NULL REFERENCES " DIST_RUN_TABLE
	" (id) ON DELETE CASCADE, chunk integer NOT NULL, tbl text NOT NULL, part integer NOT NULL, "
	"nparts integer NOT NULL, range_lo bigint, range_hi bigint, expected bigint, "
	"status text NOT NULL DEFAULT 'pending', attempt integer NOT NULL DEFAULT 0, worker text, "
	"lease_until timestamptz, started_at timestamptz, finished_at timestamptz, "
	"rows_read bigint NOT NULL DEFAULT 0, rows_written bigint NOT NULL DEFAULT 0, "
	"rows_rejected bigint NOT NULL DEFAULT 0, result jsonb, error text, PRIMARY KEY (run_id, chunk))",
	"CREATE INDEX IF NOT EXISTS sluice_dist_chunk_claim ON " DIST_CHUNK_TABLE " (run_id, status)",
	"CREATE TABLE IF NOT EXISTS " DIST_ATTEMPT_TABLE " (run_id text NOT NULL, chunk integer NOT NULL, "
	"attempt integer NOT NULL, worker text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(), "
	"ended_at timestamptz, outcome text NOT NULL DEFAULT 'running', rows_written bigint, "
	"PRIMARY KEY (run_id, chunk, attempt), FOREIGN KEY (run_id, chunk) REFERENCES " DIST_CHUNK_TABLE
	" (run_id, chunk) ON DELETE CASCADE)",
	/* snapshots, retries and post-data by a worker (stores made before them gain the columns) */
	"ALTER TABLE " DIST_RUN_TABLE " ADD COLUMN IF NOT EXISTS snapshot text, "
	"ADD COLUMN IF NOT EXISTS snapshot_mode text, "
	"ADD COLUMN IF NOT EXISTS max_attempts integer NOT NULL DEFAULT 3, "
	"ADD COLUMN IF NOT EXISTS detached boolean NOT NULL DEFAULT false, "
	"ADD COLUMN IF NOT EXISTS finished_by text, "
	"ADD COLUMN IF NOT EXISTS target_snapshot text",
	"ALTER TABLE " DIST_CHUNK_TABLE " ADD COLUMN IF NOT EXISTS failures integer NOT NULL DEFAULT 0",
	"ALTER TABLE " DIST_ATTEMPT_TABLE " ADD COLUMN IF NOT EXISTS error text, "
	"ADD COLUMN IF NOT EXISTS source_pos text",
};

/* ---- helpers ---- */

int dist_q(sl_dist *d, sl_buf *b, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "NULL");
	sl_value v = sl_text(s);
	return sl_conn_quote_literal(d->c, b, &v);
}

int64_t dist_i64(const sl_value *v)
{
	char tmp[40];
	switch (v->type) {
	case SL_V_INT:
		return v->u.i;
	case SL_V_DOUBLE:
		return (int64_t)v->u.d;
	case SL_V_BOOL:
		return v->u.b;
	case SL_V_TEXT:
	case SL_V_DECIMAL: {
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtoll(tmp, NULL, 10);
	}
	default:
		return 0;
	}
}

double dist_f64(const sl_value *v)
{
	char tmp[64];
	if (v->type == SL_V_DOUBLE)
		return v->u.d;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtod(tmp, NULL);
	}
	return (double)dist_i64(v);
}

void dist_text(char *out, size_t n, const sl_value *v)
{
	if (v->type == SL_V_INT) {
		snprintf(out, n, "%" PRId64, v->u.i);
		return;
	}
	if (v->type != SL_V_TEXT && v->type != SL_V_JSON && v->type != SL_V_DECIMAL) {
		out[0] = '\0';
		return;
	}
	size_t k = v->u.s.len < n - 1 ? v->u.s.len : n - 1;
	memcpy(out, v->u.s.ptr, k);
	out[k] = '\0';
}

char *dist_strdup(const sl_value *v)
{
	if (v->type != SL_V_TEXT && v->type != SL_V_JSON && v->type != SL_V_DECIMAL)
		return NULL;
	return strndup(v->u.s.ptr, v->u.s.len);
}

int dist_rows(sl_dist *d, const char *sql, size_t ncols, int (*fn)(const sl_value *row, void *ud), void *ud)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, d->c, sql);
	if (!rc)
		rc = sl_batch_init(&b, ncols, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 64);
		if (got <= 0) {
			rc = got;
			break;
		}
		for (size_t r = 0; !rc && r < b.nrows; r++)
			rc = fn(sl_batch_row(&b, r), ud);
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

void dist_chunk_from_row(sl_dist_chunk *c, const sl_value *row)
{
	memset(c, 0, sizeof(*c));
	dist_text(c->run_id, sizeof(c->run_id), &row[0]);
	c->chunk = (int)dist_i64(&row[1]);
	c->attempt = (int)dist_i64(&row[2]);
	dist_text(c->table, sizeof(c->table), &row[3]);
	c->part = (int)dist_i64(&row[4]);
	c->nparts = (int)dist_i64(&row[5]);
	c->has_lo = row[6].type != SL_V_NULL;
	c->lo = dist_i64(&row[6]);
	c->has_hi = row[7].type != SL_V_NULL;
	c->hi = dist_i64(&row[7]);
	c->expected = row[8].type == SL_V_NULL ? -1 : dist_i64(&row[8]);
	dist_text(c->status, sizeof(c->status), &row[9]);
	dist_text(c->worker, sizeof(c->worker), &row[10]);
}

/* ---- open ---- */

int sl_dist_open(sl_dist **out, const char *url)
{
	sl_url *u = NULL;
	sl_dist *d = NULL;
	bool ok = false;
	*out = NULL;
	int rc = sl_url_parse(&u, url);
	if (rc) {
		sl_error_prefix("the distributed state store");
		return SL_EINVALID;
	}
	for (size_t i = 0; i < sizeof(store_engines) / sizeof(store_engines[0]); i++)
		ok = ok || u->engine == store_engines[i];
	if (!ok) {
		rc = sl_error_set(
			SL_EINVALID,
			"the distributed state store must be a PostgreSQL database (postgres://...), "
			"not \"%s\": the work table needs FOR UPDATE SKIP LOCKED",
			u->redacted);
		goto done;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = sl_error_nomem();
		goto done;
	}
	rc = sl_conn_open_url(&d->c, u);
	if (rc)
		sl_error_prefix("open the distributed state store");
	/* one creator at a time: concurrent CREATE TABLE IF NOT EXISTS can collide on PostgreSQL's catalog */
	if (!rc)
		rc = sl_conn_exec(d->c, "SELECT pg_advisory_lock(7261535)");
	for (size_t i = 0; !rc && i < sizeof(schema_sql) / sizeof(schema_sql[0]); i++)
		rc = sl_conn_exec(d->c, schema_sql[i]);
	if (d->c && !sl_conn_severed(d->c)) {
		int urc = sl_conn_exec(d->c, "SELECT pg_advisory_unlock(7261535)");
		rc = rc ? rc : urc;
	}
	if (rc)
		sl_error_prefix("create the work tables in \"%s\"", u->redacted);
done:
	sl_url_free(u);
	if (rc) {
		sl_dist_close(d);
		return rc;
	}
	*out = d;
	return 0;
}

void sl_dist_close(sl_dist *d)
{
	if (!d)
		return;
	sl_conn_close(d->c);
	free(d);
}

const char *sl_dist_display(const sl_dist *d)
{
	return sl_conn_display(d->c);
}

void sl_dist_run_clear(sl_dist_run *r)
{
	free(r->options);
	memset(r, 0, sizeof(*r));
}

/* ---- runs ---- */

static void new_run_id(char *out, size_t n, const char *kind)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, n, "%s-%s-%05x", kind, stamp, (unsigned)((getpid() ^ ts.tv_nsec) & 0xfffff));
}

static int insert_chunk(sl_dist *d, sl_buf *b, const char *run_id, const sl_dist_chunk *c, int index)
{
	sl_buf_clear(b);
	int rc = sl_buf_puts(b, "INSERT INTO " DIST_CHUNK_TABLE
				" (run_id, chunk, tbl, part, nparts, range_lo, range_hi, expected) VALUES (");
	if (!rc)
		rc = dist_q(d, b, run_id);
	if (!rc)
		rc = sl_buf_printf(b, ", %d, ", index);
	if (!rc)
		rc = dist_q(d, b, c->table);
	if (!rc)
		rc = sl_buf_printf(b, ", %d, %d, ", c->part, c->nparts);
	if (!rc)
		rc = c->has_lo ? sl_buf_printf(b, "%" PRId64 ", ", c->lo) : sl_buf_puts(b, "NULL, ");
	if (!rc)
		rc = c->has_hi ? sl_buf_printf(b, "%" PRId64 ", ", c->hi) : sl_buf_puts(b, "NULL, ");
	if (!rc)
		rc = c->expected >= 0 ? sl_buf_printf(b, "%" PRId64 ")", c->expected)
				      : sl_buf_puts(b, "NULL)");
	if (!rc)
		rc = sl_conn_exec(d->c, b->ptr);
	return rc;
}

int sl_dist_run_create(sl_dist *d, sl_dist_run *r, const sl_dist_chunk *chunks, size_t n)
{
	sl_buf b = SL_BUF_INIT;
	if (!r->id[0])
		new_run_id(r->id, sizeof(r->id), r->kind);
	int rc = sl_conn_begin(d->c);
	if (!rc)
		rc = sl_buf_puts(&b, "INSERT INTO " DIST_RUN_TABLE
				     " (id, kind, state, source, target, source_ref, "
				     "target_ref, copy_run, fingerprint, options, snapshot, snapshot_mode, "
				     "target_snapshot, lease_s, max_attempts, detached) VALUES (");
	const char *vals[] = { r->id,
			       r->kind,
			       r->state,
			       r->source,
			       r->target,
			       r->source_ref,
			       r->target_ref,
			       r->copy_run[0] ? r->copy_run : NULL,
			       r->fingerprint[0] ? r->fingerprint : NULL,
			       r->options,
			       r->snapshot[0] ? r->snapshot : NULL,
			       r->snapshot_mode[0] ? r->snapshot_mode : NULL,
			       r->target_snapshot[0] ? r->target_snapshot : NULL };
	for (size_t i = 0; !rc && i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = dist_q(d, &b, vals[i]);
	}
	if (!rc)
		rc = sl_buf_printf(&b, ", %d, %d, %s)", r->lease_s, r->max_attempts > 0 ? r->max_attempts : 3,
				   r->detached ? "true" : "false");
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	for (size_t i = 0; !rc && i < n; i++)
		rc = insert_chunk(d, &b, r->id, &chunks[i], (int)i);
	if (!rc)
		rc = sl_conn_commit(d->c);
	if (rc) {
		sl_error_prefix("record the distributed run in the state store");
		if (sl_conn_in_transaction(d->c)) {
			char *m = strdup(sl_error_last()->message);
			int code = sl_error_last()->code;
			sl_conn_rollback(d->c);
			sl_error_set(code, "%s", m ? m : "record the run");
			free(m);
		}
	}
	sl_buf_free(&b);
	return rc;
}

static int run_row(const sl_value *row, void *ud)
{
	sl_dist_run *r = ud;
	dist_text(r->id, sizeof(r->id), &row[0]);
	dist_text(r->kind, sizeof(r->kind), &row[1]);
	dist_text(r->state, sizeof(r->state), &row[2]);
	dist_text(r->source, sizeof(r->source), &row[3]);
	dist_text(r->target, sizeof(r->target), &row[4]);
	dist_text(r->source_ref, sizeof(r->source_ref), &row[5]);
	dist_text(r->target_ref, sizeof(r->target_ref), &row[6]);
	dist_text(r->copy_run, sizeof(r->copy_run), &row[7]);
	dist_text(r->fingerprint, sizeof(r->fingerprint), &row[8]);
	r->options = dist_strdup(&row[9]);
	r->lease_s = (int)dist_i64(&row[10]);
	r->created = dist_f64(&row[11]);
	dist_text(r->snapshot, sizeof(r->snapshot), &row[12]);
	dist_text(r->snapshot_mode, sizeof(r->snapshot_mode), &row[13]);
	r->max_attempts = (int)dist_i64(&row[14]);
	r->detached = dist_i64(&row[15]) != 0;
	dist_text(r->finished_by, sizeof(r->finished_by), &row[16]);
	dist_text(r->target_snapshot, sizeof(r->target_snapshot), &row[17]);
	return 1; /* the first row is enough */
}

int sl_dist_run_get(sl_dist *d, const char *id, sl_dist_run *out)
{
	sl_buf b = SL_BUF_INIT;
	memset(out, 0, sizeof(*out));
	int rc = sl_buf_puts(&b,
			     "SELECT id, kind, state, source, target, source_ref, target_ref, "
			     "COALESCE(copy_run, ''), COALESCE(fingerprint, ''), options::text, lease_s, "
			     "extract(epoch FROM created_at)::float8, COALESCE(snapshot, ''), "
			     "COALESCE(snapshot_mode, ''), max_attempts, detached::int, "
			     "COALESCE(finished_by, ''), COALESCE(target_snapshot, '') FROM " DIST_RUN_TABLE);
	if (!rc && id) {
		rc = sl_buf_puts(&b, " WHERE id = ");
		if (!rc)
			rc = dist_q(d, &b, id);
	}
	if (!rc)
		rc = sl_buf_puts(&b, " ORDER BY created_at DESC LIMIT 1");
	if (!rc)
		rc = dist_rows(d, b.ptr, 18, run_row, out);
	if (rc == 1)
		rc = 0;
	else if (!rc)
		rc = id ? sl_error_set(SL_ENOTFOUND, "the state store has no distributed run \"%s\"", id)
			: sl_error_set(SL_ENOTFOUND, "the state store holds no distributed run");
	sl_buf_free(&b);
	return rc;
}

int sl_dist_run_set_state(sl_dist *d, const char *id, const char *state)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "UPDATE " DIST_RUN_TABLE " SET state = ");
	if (!rc)
		rc = dist_q(d, &b, state);
	if (!rc && (strcmp(state, "finished") == 0 || strcmp(state, "failed") == 0))
		rc = sl_buf_puts(&b, ", finished_at = now()");
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE id = ");
	if (!rc)
		rc = dist_q(d, &b, id);
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_dist_run_finished(sl_dist *d, const char *id, const char *who)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "UPDATE " DIST_RUN_TABLE " SET state = 'finished', finished_at = now(), "
				 "finished_by = ");
	if (!rc)
		rc = dist_q(d, &b, who);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE id = ");
	if (!rc)
		rc = dist_q(d, &b, id);
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_dist_run_advance(sl_dist *d, const char *id, const char *from, const char *to)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "UPDATE " DIST_RUN_TABLE " r SET state = ");
	if (!rc)
		rc = dist_q(d, &b, to);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE r.id = ");
	if (!rc)
		rc = dist_q(d, &b, id);
	if (!rc)
		rc = sl_buf_puts(&b, " AND r.state = ");
	if (!rc)
		rc = dist_q(d, &b, from);
	if (!rc)
		rc = sl_buf_puts(&b, " AND NOT EXISTS (SELECT 1 FROM " DIST_CHUNK_TABLE
				     " c WHERE c.run_id = r.id AND c.status <> 'done')");
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	if (!rc && sl_conn_changes(d->c) != 1)
		rc = sl_error_set(SL_ECONFLICT, "run %s is not in state %s with every chunk done", id, from);
	sl_buf_free(&b);
	return rc;
}

/* ---- chunks ---- */

static int claimed_row(const sl_value *row, void *ud)
{
	dist_chunk_from_row(ud, row);
	return 1;
}

static int put_run_filter(sl_dist *d, sl_buf *b, const char *run_id, const char *const *skip, size_t nskip)
{
	int rc = 0;
	if (run_id) {
		rc = sl_buf_puts(b, "run_id = ");
		return rc ? rc : dist_q(d, b, run_id);
	}
	rc = sl_buf_puts(b, "run_id IN (SELECT id FROM " DIST_RUN_TABLE
			    " WHERE state IN ('loading', 'diffing'))");
	for (size_t i = 0; !rc && i < nskip; i++) {
		rc = sl_buf_puts(b, " AND run_id <> ");
		if (!rc)
			rc = dist_q(d, b, skip[i]);
	}
	return rc;
}

/* Marks the next chunk to run as running for worker (expired leases first, then the
 * largest chunks) and reads it into out: 1 if one was claimed, 0 if none is free,
 * or a negative SL_E*. b is scratch. */
static int claim_pick(sl_dist *d, sl_buf *b, const char *run_id, const char *const *skip, size_t nskip,
		      const char *worker, int lease_s, sl_dist_chunk *out)
{
	int rc = sl_buf_puts(b,
			     "UPDATE " DIST_CHUNK_TABLE " c SET status = 'running', attempt = c.attempt + 1, "
			     "worker = ");
	if (!rc)
		rc = dist_q(d, b, worker);
	if (!rc)
		rc = lease_s > 0
			     ? sl_buf_printf(b, ", lease_until = now() + make_interval(secs => %d)", lease_s)
			     : sl_buf_puts(b, ", lease_until = now() + make_interval(secs => (SELECT "
					      "lease_s FROM " DIST_RUN_TABLE " WHERE id = c.run_id))");
	if (!rc)
		rc = sl_buf_puts(b, ", started_at = now(), finished_at = NULL, error = NULL FROM (SELECT "
				    "run_id, chunk FROM " DIST_CHUNK_TABLE " WHERE ");
	if (!rc)
		rc = put_run_filter(d, b, run_id, skip, nskip);
	/* expired leases first (their target rows wait), then the largest chunks */
	if (!rc)
		rc = sl_buf_puts(
			b, " AND (status = 'pending' OR (status = 'running' AND lease_until < now())) "
			   "ORDER BY status DESC, expected DESC NULLS LAST, chunk LIMIT 1 "
			   "FOR UPDATE SKIP LOCKED) pick WHERE c.run_id = pick.run_id AND c.chunk = "
			   "pick.chunk RETURNING c.run_id, c.chunk, c.attempt, c.tbl, c.part, c.nparts, "
			   "c.range_lo, c.range_hi, c.expected, c.status, COALESCE(c.worker, '')");
	return rc ? rc : dist_rows(d, b->ptr, DIST_CHUNK_NCOLS, claimed_row, out);
}

/* The attempt log of claimed chunk c: an earlier attempt that still says running
 * expired, and worker's attempt starts. b is scratch. */
static int claim_log_attempt(sl_dist *d, sl_buf *b, const sl_dist_chunk *c, const char *worker)
{
	/* an earlier attempt that still says running lost its lease */
	sl_buf_clear(b);
	int rc = sl_buf_printf(b,
			       "UPDATE " DIST_ATTEMPT_TABLE " SET outcome = 'expired', ended_at = now() "
			       "WHERE chunk = %d AND attempt < %d AND outcome = 'running' AND run_id = ",
			       c->chunk, c->attempt);
	if (!rc)
		rc = dist_q(d, b, c->run_id);
	if (!rc)
		rc = sl_conn_exec(d->c, b->ptr);
	sl_buf_clear(b);
	if (!rc)
		rc = sl_buf_puts(b, "INSERT INTO " DIST_ATTEMPT_TABLE
				    " (run_id, chunk, attempt, worker) VALUES (");
	if (!rc)
		rc = dist_q(d, b, c->run_id);
	if (!rc)
		rc = sl_buf_printf(b, ", %d, %d, ", c->chunk, c->attempt);
	if (!rc)
		rc = dist_q(d, b, worker);
	if (!rc)
		rc = sl_buf_puts(b, ")");
	if (!rc)
		rc = sl_conn_exec(d->c, b->ptr);
	return rc;
}

/* Rolls back the claim's open transaction, keeping the error that failed it. */
static void claim_rollback(sl_dist *d)
{
	char *m = strdup(sl_error_last()->message);
	int code = sl_error_last()->code;
	sl_conn_rollback(d->c);
	sl_error_set(code, "%s", m ? m : "claim a chunk");
	free(m);
}

/* No chunk was free: the chunks of the runs that are running into *busy (if busy),
 * then SL_ENOTFOUND, or a negative SL_E* if counting failed. b is scratch. */
static int claim_none(sl_dist *d, sl_buf *b, const char *run_id, const char *const *skip, size_t nskip,
		      int64_t *busy)
{
	sl_buf_clear(b);
	int64_t n = 0;
	int rc = sl_buf_puts(b, "SELECT count(*) FROM " DIST_CHUNK_TABLE " WHERE ");
	if (!rc)
		rc = put_run_filter(d, b, run_id, skip, nskip);
	if (!rc)
		rc = sl_buf_puts(b, " AND status = 'running'");
	if (!rc)
		rc = sl_conn_query_int(d->c, b->ptr, &n);
	if (busy)
		*busy = n;
	return rc ? rc : SL_ENOTFOUND;
}

int sl_dist_claim(sl_dist *d, const char *run_id, const char *const *skip, size_t nskip, const char *worker,
		  int lease_s, sl_dist_chunk *out, int64_t *busy)
{
	sl_buf b = SL_BUF_INIT;
	memset(out, 0, sizeof(*out));
	if (busy)
		*busy = 0;
	int rc = sl_conn_begin(d->c);
	int got = rc ? rc : claim_pick(d, &b, run_id, skip, nskip, worker, lease_s, out);
	rc = got == 1 ? 0 : got;
	if (got == 1)
		rc = claim_log_attempt(d, &b, out, worker);
	if (!rc)
		rc = sl_conn_commit(d->c);
	if (rc && sl_conn_in_transaction(d->c))
		claim_rollback(d);
	if (!rc && got == 0)
		rc = claim_none(d, &b, run_id, skip, nskip, busy);
	if (rc && rc != SL_ENOTFOUND)
		sl_error_prefix("claim a chunk in the state store");
	sl_buf_free(&b);
	return rc;
}

/* "WHERE run_id = .. AND chunk = .. AND attempt = .. AND status = 'running'" */
static int put_fence(sl_dist *d, sl_buf *b, const sl_dist_chunk *c)
{
	int rc = sl_buf_puts(b, " WHERE run_id = ");
	if (!rc)
		rc = dist_q(d, b, c->run_id);
	if (!rc)
		rc = sl_buf_printf(b, " AND chunk = %d AND attempt = %d AND status = 'running'", c->chunk,
				   c->attempt);
	return rc;
}

static int fenced(const sl_dist_chunk *c)
{
	return sl_error_set(
		SL_ECONFLICT,
		"chunk %d (\"%s\" part %d) of run %s: attempt %d lost its lease to a later attempt", c->chunk,
		c->table, c->part, c->run_id, c->attempt);
}

int sl_dist_renew(sl_dist *d, const sl_dist_chunk *c, int lease_s, int64_t written)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b,
			       "UPDATE " DIST_CHUNK_TABLE
			       " SET lease_until = now() + make_interval(secs => %d), "
			       "rows_written = %" PRId64,
			       lease_s, written);
	if (!rc)
		rc = put_fence(d, &b, c);
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	if (!rc && sl_conn_changes(d->c) != 1)
		rc = fenced(c);
	sl_buf_free(&b);
	return rc;
}

static int end_attempt(sl_dist *d, sl_buf *b, const sl_dist_chunk *c, const char *outcome,
		       const sl_dist_outcome *o)
{
	sl_buf_clear(b);
	int rc = sl_buf_puts(b, "UPDATE " DIST_ATTEMPT_TABLE " SET ended_at = now(), outcome = ");
	if (!rc)
		rc = dist_q(d, b, outcome);
	if (!rc)
		rc = sl_buf_puts(b, ", error = ");
	if (!rc)
		rc = dist_q(d, b, o ? o->error : NULL);
	if (!rc)
		rc = sl_buf_puts(b, ", source_pos = ");
	if (!rc)
		rc = dist_q(d, b, o && o->source_pos && *o->source_pos ? o->source_pos : NULL);
	if (!rc)
		rc = sl_buf_printf(b, ", rows_written = %" PRId64 " WHERE run_id = ", o ? o->written : 0);
	if (!rc)
		rc = dist_q(d, b, c->run_id);
	if (!rc)
		rc = sl_buf_printf(b, " AND chunk = %d AND attempt = %d", c->chunk, c->attempt);
	if (!rc)
		rc = sl_conn_exec(d->c, b->ptr);
	return rc;
}

/* The chunk's status after an attempt that ended with o: done; failed; or, for a
 * transient failure below the run's --max-attempts, pending again (retried). */
static int put_outcome_status(sl_buf *b, const sl_dist_outcome *o)
{
	if (!o->error)
		return sl_buf_puts(b, "'done'");
	if (!o->transient)
		return sl_buf_puts(b, "'failed'");
	return sl_buf_puts(b, "CASE WHEN failures + 1 < (SELECT max_attempts FROM " DIST_RUN_TABLE
			      " WHERE id = run_id) THEN 'pending' ELSE 'failed' END");
}

static int status_row(const sl_value *row, void *ud)
{
	dist_text(ud, 16, &row[0]);
	return 1;
}

int sl_dist_finish(sl_dist *d, const sl_dist_chunk *c, sl_dist_outcome *o)
{
	sl_buf b = SL_BUF_INIT;
	char status[16] = "";
	o->retried = false;
	int rc = sl_conn_begin(d->c);
	if (!rc)
		rc = sl_buf_puts(&b, "UPDATE " DIST_CHUNK_TABLE " SET status = ");
	if (!rc)
		rc = put_outcome_status(&b, o);
	if (!rc)
		rc = sl_buf_printf(&b,
				   ", failures = failures + %d, finished_at = now(), "
				   "lease_until = NULL, rows_read = %" PRId64 ", rows_written = %" PRId64
				   ", rows_rejected = %" PRId64 ", result = ",
				   o->error ? 1 : 0, o->read, o->written, o->rejected);
	if (!rc)
		rc = dist_q(d, &b, o->result);
	if (!rc)
		rc = sl_buf_puts(&b, "::jsonb, error = ");
	if (!rc)
		rc = dist_q(d, &b, o->error);
	if (!rc)
		rc = put_fence(d, &b, c);
	if (!rc)
		rc = sl_buf_puts(&b, " RETURNING status");
	int got = rc ? rc : dist_rows(d, b.ptr, 1, status_row, status);
	rc = got < 0 ? got : 0;
	bool lost = !rc && got != 1;
	o->retried = !lost && strcmp(status, "pending") == 0;
	if (!rc)
		rc = end_attempt(d, &b, c, lost ? "fenced" : o->error ? "failed" : "done", o);
	if (!rc)
		rc = sl_conn_commit(d->c);
	if (rc && sl_conn_in_transaction(d->c)) {
		char *m = strdup(sl_error_last()->message);
		int code = sl_error_last()->code;
		sl_conn_rollback(d->c);
		sl_error_set(code, "%s", m ? m : "record a chunk");
		free(m);
	}
	if (!rc && lost)
		rc = fenced(c);
	sl_buf_free(&b);
	return rc;
}

int sl_dist_retry_failed(sl_dist *d, const char *run_id, int64_t *n)
{
	sl_buf b = SL_BUF_INIT;
	*n = 0;
	int rc = sl_buf_puts(&b, "UPDATE " DIST_CHUNK_TABLE " SET status = 'pending', failures = 0, "
				 "lease_until = NULL WHERE status = 'failed' AND run_id = ");
	if (!rc)
		rc = dist_q(d, &b, run_id);
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	if (!rc)
		*n = sl_conn_changes(d->c);
	if (rc)
		sl_error_prefix("put the failed chunks of run %s back", run_id);
	sl_buf_free(&b);
	return rc;
}

int sl_dist_run_set_snapshot(sl_dist *d, const char *run_id, const char *snapshot, const char *mode)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "UPDATE " DIST_RUN_TABLE " SET snapshot = ");
	if (!rc)
		rc = dist_q(d, &b, snapshot && *snapshot ? snapshot : NULL);
	if (!rc && !(snapshot && *snapshot))
		rc = sl_buf_puts(&b, ", target_snapshot = NULL");
	if (!rc)
		rc = sl_buf_puts(&b, ", snapshot_mode = ");
	if (!rc)
		rc = dist_q(d, &b, mode);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE id = ");
	if (!rc)
		rc = dist_q(d, &b, run_id);
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_dist_release(sl_dist *d, const sl_dist_chunk *c)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "UPDATE " DIST_CHUNK_TABLE " SET status = 'pending', lease_until = NULL");
	if (!rc)
		rc = put_fence(d, &b, c);
	if (!rc)
		rc = sl_conn_exec(d->c, b.ptr);
	if (!rc)
		rc = end_attempt(d, &b, c, "released", NULL);
	sl_buf_free(&b);
	return rc;
}
