/*
 * test_dist_fence.c - the claims, leases and fences of distributed runs
 * (docs/commands/distributed.md), step by step on a real PostgreSQL store
 * and target:
 *   - the work table: two claimers never get the same chunk, a chunk whose
 *     lease expired goes to the next claimer with a higher attempt, and the
 *     attempt that lost it can neither renew nor record it; the run moves to
 *     post-data only once, when every chunk is done; a store that is not
 *     PostgreSQL is refused;
 *   - the target: a part runner whose part is claimed by a later attempt in
 *     the middle of its work commits nothing more (its batch in flight is
 *     rolled back with its checkpoint), the later attempt resumes after the
 *     last committed checkpoint, and every row lands once.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/copy.h"
#include "sluice/dist.h"

static void set_chunk(sl_dist_chunk *c, const char *table, int part, int nparts)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->table, sizeof(c->table), "%s", table);
	c->part = part;
	c->nparts = nparts;
	c->expected = 100;
}

static void store_fences(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_PG))
		return;
	sl_dist *d = NULL;
	assert_int_equal(sl_dist_open(&d, "sqlite:/nonexistent/state.db"), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "must be a PostgreSQL database"));
	char *url = sl_test_scratch_url(SL_TEST_PG);
	SL_OK_OR_FAIL(sl_dist_open(&d, url));
	sl_conn *c = sl_test_open(url);

	sl_dist_run run = { .lease_s = 30 };
	snprintf(run.kind, sizeof(run.kind), "copy");
	snprintf(run.state, sizeof(run.state), "loading");
	snprintf(run.source, sizeof(run.source), "src");
	snprintf(run.target, sizeof(run.target), "dst");
	sl_dist_chunk chunks[2];
	set_chunk(&chunks[0], "t", 0, 2);
	set_chunk(&chunks[1], "t", 1, 2);
	SL_OK_OR_FAIL(sl_dist_run_create(d, &run, chunks, 2));

	sl_dist_chunk a, b, x, cc;
	int64_t busy = -1;
	SL_OK_OR_FAIL(sl_dist_claim(d, NULL, NULL, 0, "a", 0, &a, &busy));
	SL_OK_OR_FAIL(sl_dist_claim(d, NULL, NULL, 0, "b", 0, &b, &busy));
	assert_int_not_equal(a.chunk, b.chunk);
	assert_int_equal(a.attempt, 1);
	assert_int_equal(sl_dist_claim(d, NULL, NULL, 0, "x", 0, &x, &busy), SL_ENOTFOUND);
	assert_int_equal(busy, 2); /* both held under live leases */
	SL_OK_OR_FAIL(sl_dist_renew(d, &a, 30, 10));

	/* a's lease expires: the next claimer takes its chunk as attempt 2 */
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "UPDATE sluice_dist_chunk SET lease_until = now() - interval '1 second' WHERE chunk = %d",
		 a.chunk);
	sl_test_exec(c, sql);
	SL_OK_OR_FAIL(sl_dist_claim(d, NULL, NULL, 0, "c", 0, &cc, &busy));
	assert_int_equal(cc.chunk, a.chunk);
	assert_int_equal(cc.attempt, 2);
	assert_string_equal(cc.worker, "c");

	/* the attempt that lost it can neither renew nor record it */
	assert_int_equal(sl_dist_renew(d, &a, 30, 20), SL_ECONFLICT);
	sl_dist_outcome out = { .read = 5, .written = 5 };
	assert_int_equal(sl_dist_finish(d, &a, &out), SL_ECONFLICT);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sluice_dist_chunk WHERE chunk = %d AND status = 'running' "
		 "AND worker = 'c' AND attempt = 2",
		 a.chunk);
	assert_int_equal(sl_test_int(c, sql), 1);

	/* not every chunk done: the run stays loading */
	out.read = out.written = 100;
	SL_OK_OR_FAIL(sl_dist_finish(d, &cc, &out));
	assert_int_equal(sl_dist_run_advance(d, run.id, "loading", "post-data"), SL_ECONFLICT);
	SL_OK_OR_FAIL(sl_dist_finish(d, &b, &out));
	SL_OK_OR_FAIL(sl_dist_run_advance(d, run.id, "loading", "post-data"));
	assert_int_equal(sl_dist_run_advance(d, run.id, "loading", "post-data"), SL_ECONFLICT);

	/* the audit trail: attempt 1 expired, attempt 2 done, one done per chunk */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sluice_dist_attempt WHERE chunk = %d AND attempt = 1 AND "
		 "outcome = 'fenced'",
		 a.chunk);
	assert_int_equal(sl_test_int(c, sql), 1);
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM sluice_dist_attempt WHERE outcome = 'done'"),
			 2);

	sl_dist_progress p;
	SL_OK_OR_FAIL(sl_dist_progress_get(d, run.id, &p));
	assert_int_equal(p.chunks, 2);
	assert_int_equal(p.done, 2);
	assert_int_equal(p.done_records, 2);
	assert_int_equal(p.attempts, 3);
	sl_dist_progress_free(&p);

	sl_dist_run_clear(&run);
	sl_conn_close(c);
	sl_dist_close(d);
	sl_test_scratch_drop(SL_TEST_PG, url);
}

/* ---- the fence in the target ---- */

typedef struct fence_ctx {
	const char *surl, *durl;
	int polls;
	int bump_at; /* on this poll, a later attempt claims part 0 (0: never) */
} fence_ctx;

static int connect_cb(sl_conn **out, sl_copy_side side, void *ud)
{
	fence_ctx *f = ud;
	return sl_conn_open(out, side == SL_COPY_SOURCE ? f->surl : f->durl);
}

static bool poll_cb(void *ud)
{
	fence_ctx *f = ud;
	if (++f->polls == f->bump_at) {
		sl_conn *c = sl_test_open(f->durl);
		sl_test_exec(c, "UPDATE sluice_copy_state SET attempt = 2 WHERE tbl = 't' AND part = 0");
		sl_conn_close(c);
	}
	return false;
}

static void target_fence(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_PG))
		return;
	char *surl = sl_test_scratch_url(SL_TEST_SQLITE), *durl = sl_test_scratch_url(SL_TEST_PG);
	sl_conn *s = sl_test_open(surl);
	sl_test_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	sl_test_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
			"INSERT INTO t SELECT i, 'row ' || i FROM n");
	sl_conn_close(s);

	fence_ctx f = { .surl = surl, .durl = durl };
	sl_copy_opts o = SL_COPY_OPTS_INIT;
	o.connect = connect_cb;
	o.connect_ud = &f;
	o.interrupted = poll_cb;
	o.interrupt_ud = &f;
	o.batch_rows = 100;
	o.external_data = true;
	o.part_rows = 500;
	o.split_rows = 500;
	sl_copy_result *res = NULL;
	SL_OK_OR_FAIL(sl_copy_run(&res, &o));
	assert_int_equal(res->parts_pending, 2);
	assert_false(res->finished);
	sl_copy_result_free(res);

	sl_copy_part_runner *a = NULL, *b = NULL;
	SL_OK_OR_FAIL(sl_copy_part_runner_open(&a, &o, NULL));
	SL_OK_OR_FAIL(sl_copy_part_runner_open(&b, &o, sl_copy_part_runner_run_id(a)));
	char fa[17], fb[17];
	SL_OK_OR_FAIL(sl_copy_part_runner_fingerprint(a, fa));
	SL_OK_OR_FAIL(sl_copy_part_runner_fingerprint(b, fb));
	assert_string_equal(fa, fb);
	sl_copy_part_runner *wrong = NULL;
	assert_int_equal(sl_copy_part_runner_open(&wrong, &o, "another-run"), SL_ECONFLICT);

	/* attempt 1 commits two batches, then attempt 2 claims the part under it */
	f.polls = 0;
	f.bump_at = 3;
	sl_copy_part_info info;
	assert_int_equal(sl_copy_part_runner_run(a, "t", 0, 1, &info), SL_ECONFLICT);
	sl_conn *d = sl_test_open(durl);
	assert_int_equal(sl_test_int(d, "SELECT count(*) FROM t"), 200);
	assert_int_equal(
		sl_test_int(d, "SELECT rows_written FROM sluice_copy_state WHERE tbl = 't' AND part = 0"),
		200);
	/* a stale attempt cannot claim it back */
	f.bump_at = 0;
	assert_int_equal(sl_copy_part_runner_run(a, "t", 0, 1, &info), SL_ECONFLICT);
	assert_int_equal(sl_test_int(d, "SELECT count(*) FROM t"), 200);

	/* attempt 3 resumes after the checkpoint: every row of the part once */
	SL_OK_OR_FAIL(sl_copy_part_runner_run(b, "t", 0, 3, &info));
	assert_true(info.done);
	assert_int_equal(info.written, 500);
	SL_OK_OR_FAIL(sl_copy_part_runner_run(b, "t", 1, 1, &info));
	assert_int_equal(sl_test_int(d, "SELECT count(*) FROM t"), 1000);
	assert_int_equal(sl_test_int(d, "SELECT count(DISTINCT id) FROM t"), 1000);
	/* a done part run again writes nothing */
	SL_OK_OR_FAIL(sl_copy_part_runner_run(b, "t", 1, 2, &info));
	assert_int_equal(sl_test_int(d, "SELECT count(*) FROM t"), 1000);

	/* post-data: the run resumes and finishes */
	o.resume = true;
	SL_OK_OR_FAIL(sl_copy_run(&res, &o));
	assert_int_equal(res->parts_pending, 0);
	assert_true(res->finished);
	assert_int_equal(res->written, 1000);
	sl_copy_result_free(res);

	sl_conn_close(d);
	sl_copy_part_runner_close(a);
	sl_copy_part_runner_close(b);
	sl_test_scratch_drop(SL_TEST_SQLITE, surl);
	sl_test_scratch_drop(SL_TEST_PG, durl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_fences),
		cmocka_unit_test(target_fence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
