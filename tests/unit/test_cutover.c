/*
 * test_cutover.c - the parts of `sluice cutover` that need no server: the
 * runbook reader (every error with file:line:col and a suggestion, default
 * step ids, the checks of structure), the plan, hook commands (payload,
 * timeout, a hook that never reads its stdin or leaves a child behind,
 * passwords masked in its output), and the journal in the state store
 * (written, read back, first end of a freeze wins, a verdict replaced).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutover/cutover_int.h"
#include "sluice/cutover.h"
#include "sluice/journal.h"
#include "sluice/state.h"

static const char base[] = "runbook: move\n"                                           /* 1 */
			   "source: dev\n"                                             /* 2 */
			   "target: sqlite:new.db\n"                                   /* 3 */
			   "roles:\n"                                                  /* 4 */
			   "  dba: [ana, bo]\n"                                        /* 5 */
			   "phases:\n"                                                 /* 6 */
			   "  - name: billing\n"                                       /* 7 */
			   "    tables: [customers, invoices]\n"                       /* 8 */
			   "    steps:\n"                                              /* 9 */
			   "      - sync-start\n"                                      /* 10 */
			   "      - wait-lag: { max: 5s }\n"                           /* 11 */
			   "      - approve: { roles: [dba] }\n"                       /* 12 */
			   "      - freeze: { budget: 2m }\n"                          /* 13 */
			   "      - drain\n"                                           /* 14 */
			   "      - diff\n"                                            /* 15 */
			   "      - sync-reverse\n"                                    /* 16 */
			   "      - switch: { command: ./sw.sh, on_fail: rollback }\n" /* 17 */
			   "      - unfreeze\n"                                        /* 18 */
			   "      - sync-stop\n"                                       /* 19 */
			   "    rollback:\n"                                           /* 20 */
			   "      - switch: { command: ./back.sh }\n"                  /* 21 */
			   "      - unfreeze\n"                                        /* 22 */
			   "success:\n"                                                /* 23 */
			   "  - { name: lost, type: lost_rows, tables: [invoices] }\n"
			   "  - { name: down, type: downtime, max: 1d }\n";

static sl_runbook *parse(const char *text, int expect_rc, const char *expect_msg)
{
	sl_runbook *rb = NULL;
	int rc = sl_runbook_parse(&rb, "cutover.yaml", text, strlen(text));
	if (rc != expect_rc)
		fail_msg("rc %d, expected %d: %s", rc, expect_rc, sl_error_last()->message);
	if (expect_msg && !strstr(sl_error_last()->message, expect_msg))
		fail_msg("message \"%s\" lacks \"%s\"", sl_error_last()->message, expect_msg);
	return rb;
}

/* base with the first occurrence of from replaced by to */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(base, from);
	assert_non_null(at);
	size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	return s;
}

static void bad(const char *from, const char *to, const char *msg)
{
	char *t = edit(from, to);
	sl_runbook *rb = parse(t, SL_EINVALID, msg);
	assert_null(rb);
	free(t);
}

static void test_parse(void **state)
{
	(void)state;
	sl_runbook *rb = parse(base, 0, NULL);
	assert_string_equal(rb->name, "move");
	assert_string_equal(rb->target_display, "sqlite:new.db");
	assert_int_equal(rb->nphases, 1);
	assert_int_equal(rb->phases[0].nsteps, 10);
	assert_string_equal(rb->phases[0].steps[2].id, "billing.approve");
	assert_string_equal(rb->phases[0].rollback[0].id, "billing.rollback.switch");
	assert_int_equal(rb->phases[0].steps[3].budget_ms, 120000);
	assert_int_equal(rb->phases[0].steps[7].on_fail, SL_ON_FAIL_ROLLBACK);
	assert_true(rb->phases[0].steps[5].gate.has_diff);
	assert_int_equal(rb->criteria[1].max_ms, 86400000);
	assert_int_equal(rb->downtime_budget_ms, 60000);
	assert_int_equal(strncmp(rb->digest, "sha256:", 7), 0);
	const sl_rb_phase *p = NULL;
	assert_ptr_equal(sl_runbook_find_step(rb, "freeze", &p), &rb->phases[0].steps[3]);
	assert_ptr_equal(p, &rb->phases[0]);
	assert_null(sl_runbook_find_step(rb, "switch", NULL)); /* two: forward and rollback */
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(sl_runbook_plan_text(&b, rb), 0);
	assert_non_null(strstr(b.ptr, "billing.switch"));
	assert_non_null(strstr(b.ptr, "target (frozen)"));
	sl_buf_free(&b);
	sl_runbook_free(rb);
}

static void test_errors(void **state)
{
	(void)state;
	bad("      - drain\n", "      - drian\n",
	    "cutover.yaml:14:9: unknown step type \"drian\" (did you mean \"drain\"?)");
	bad("{ budget: 2m }", "{ budgte: 2m }",
	    "cutover.yaml:13:19: unknown key \"budgte\" in step \"freeze\" (did you mean "
	    "\"budget\"?)");
	bad("budget: 2m", "budget: 2 minutes",
	    "cutover.yaml:13:27: \"budget\": \"2 minutes\" is not a duration");
	bad("runbook: move\n", "runbok: move\n",
	    "cutover.yaml:1:1: unknown key \"runbok\" in the runbook (did you mean "
	    "\"runbook\"?)");
	bad("roles: [dba]", "roles: [dbas]", "no role \"dbas\" under roles: (did you mean \"dba\"?)");
	bad("on_fail: rollback", "on_fail: rolback",
	    "\"on_fail\" must be one of stop, rollback, continue, not \"rolback\" "
	    "(did you mean \"rollback\"?)");
	bad("      - unfreeze\n      - sync-stop\n", "      - sync-stop\n", "no unfreeze step follows it");
	bad("      - sync-start\n", "",
	    "step \"billing.wait-lag\" needs a sync: put a sync-start step before it");
	bad("    rollback:\n      - switch: { command: ./back.sh }\n      - unfreeze\n", "",
	    "says on_fail: rollback, but phase \"billing\" has no rollback: steps");
	bad("      - switch: { command: ./back.sh }\n", "      - approve: { roles: [dba] }\n",
	    "step type \"approve\" cannot undo anything");
	bad("      - wait-lag: { max: 5s }\n", "      - wait-lag\n", "\"wait-lag\" needs \"max\"");
	bad("      - diff\n", "      - diff: { id: approve }\n", "step id \"billing.approve\" is used twice");
	bad("    tables: [customers, invoices]\n", "",
	    "phase \"billing\" needs one of \"domain\" (of sluice.yaml) or \"tables\"");
	bad("      - freeze: { budget: 2m }\n", "      - freeze:\n        budget: 2m\n",
	    "the options of \"freeze\" must be indented under it");
	bad("type: downtime, max: 1d", "type: downtime", "success criterion \"down\" needs \"max\"");
	bad("type: lost_rows", "type: lost_row", "(did you mean \"lost_rows\"?)");
	bad("phases:\n", "phases: []\nx:\n", "unknown key \"x\"");
	bad("target: sqlite:new.db\n", "", "the runbook needs \"target\"");
	/* YAML itself */
	parse("runbook: [\n", SL_EINVALID, "cutover.yaml:");
	parse("", SL_EINVALID, "the runbook is empty");
	parse("runbook: a\nsource: &x dev\ntarget: *x\nphases: [ { name: p, tables: [t], steps: [drain] } "
	      "]\n",
	      SL_EINVALID, "aliases are not allowed");
}

static void test_sync_order(void **state)
{
	(void)state;
	/* a later phase starts its own sync while the first one's still runs */
	const char *two = "runbook: move\nsource: a\ntarget: b\nphases:\n"
			  "  - { name: p1, tables: [t1], steps: [sync-start, sync-reverse] }\n"
			  "  - { name: p2, tables: [t2], steps: [sync-start, sync-stop] }\n";
	parse(two, SL_EINVALID, "phase \"p1\" leaves its sync running (\"p1.sync-reverse\")");
	const char *ok = "runbook: move\nsource: a\ntarget: b\nphases:\n"
			 "  - { name: p1, tables: [t1], steps: [sync-start, sync-reverse, sync-stop] }\n"
			 "  - { name: p2, tables: [t2], steps: [sync-start, sync-stop] }\n";
	sl_runbook_free(parse(ok, 0, NULL));
}

static void test_proc(void **state)
{
	(void)state;
	co_proc_result r;
	char dir[] = "/tmp/sluice-proc-XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *env[] = { "SLUICE_TEST_WORD=hello", NULL };
	/* the payload arrives on stdin; variables and the directory are the hook's */
	assert_int_equal(co_proc_run(&r, "cat > got; echo $SLUICE_TEST_WORD; pwd", dir, "{\"a\":1}\n", env, 5,
				     NULL, NULL),
			 0);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.output, "hello"));
	assert_non_null(strstr(r.output, dir));
	co_proc_result_clear(&r);
	char path[300];
	snprintf(path, sizeof(path), "%s/got", dir);
	FILE *f = fopen(path, "r");
	char got[64] = "";
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "{\"a\":1}\n");
	/* a hang is killed at the timeout, with its whole group */
	assert_int_equal(co_proc_run(&r, "sleep 30 & sleep 30", dir, NULL, NULL, 0.3, NULL, NULL), 0);
	assert_true(r.timed_out);
	assert_true(r.seconds < 3);
	co_proc_result_clear(&r);
	/* a hook that never reads 1 MiB of stdin, and one that leaves a child holding its stdout */
	char *big = malloc(1 << 20);
	memset(big, 'x', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	assert_int_equal(co_proc_run(&r, "exit 3", dir, big, NULL, 5, NULL, NULL), 0);
	assert_int_equal(r.status, 3);
	assert_true(r.seconds < 3);
	co_proc_result_clear(&r);
	free(big);
	assert_int_equal(co_proc_run(&r, "(sleep 5) & echo started", dir, NULL, NULL, 10, NULL, NULL), 0);
	assert_int_equal(r.status, 0);
	assert_true(r.seconds < 3);
	co_proc_result_clear(&r);
	/* passwords in what a hook prints are masked */
	assert_int_equal(co_proc_run(&r, "echo postgres://app:s3cret-pw@db:5432/x host=db password=s3cret-pw",
				     dir, NULL, NULL, 5, NULL, NULL),
			 0);
	assert_null(strstr(r.output, "s3cret"));
	assert_non_null(strstr(r.output, "postgres://app:***@db:5432/x"));
	co_proc_result_clear(&r);
	unlink(path);
	rmdir(dir);
}

static void test_journal(void **state)
{
	(void)state;
	char path[] = "/tmp/sluice-journal-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	sl_state *s = NULL;
	sl_journal *j = NULL;
	int64_t id = 0, found = 0, row = 0, fid = 0;
	assert_int_equal(sl_state_open(&s, path), 0);
	assert_int_equal(sl_journal_run_find(s, "move", false, &found), 0);
	assert_int_equal(found, 0);
	sl_journal_run info = {
		.runbook = "move", .digest = "sha256:ab", .source = "dev", .target = "new", .pid = 7
	};
	assert_int_equal(sl_journal_run_begin(s, &id, &info), 0);
	assert_int_equal(sl_journal_run_find(s, "move", false, &found), 0);
	assert_int_equal(found, id);
	assert_int_equal(sl_journal_run_find(s, "move", true, &found), 0);
	assert_int_equal(found, 0);
	sl_journal_step st = {
		.step = "p.freeze", .phase = "p", .type = "freeze", .path = "forward", .attempt = 1
	};
	assert_int_equal(sl_journal_step_begin(s, id, &st, &row), 0);
	assert_int_equal(sl_journal_step_end(s, row, "done", NULL, "{\"budget_ms\":30000}", NULL, 12), 0);
	sl_journal_freeze f = { .phase = "p",
				.step = "p.freeze",
				.side = "source",
				.token = "r1-x",
				.tables = "[\"t\"]",
				.method = "triggers",
				.budget_ms = 30000,
				.started_us = 1000000,
				.deadline_us = 31000000 };
	assert_int_equal(sl_journal_freeze_begin(s, id, &f, &fid), 0);
	assert_int_equal(sl_journal_freeze_end(s, fid, 2000000, "unfreeze"), 0);
	assert_int_equal(sl_journal_freeze_end(s, fid, 9000000, "watchdog"), 0); /* the first end wins */
	sl_journal_approval a = { .step = "p.approve", .name = "ana", .role = "dba", .digest = "sha256:cd" };
	assert_int_equal(sl_journal_approval_add(s, id, &a), 0);
	sl_journal_score sc = { .criterion = "lost", .type = "lost_rows", .ok = false, .figure = "1 lost" };
	assert_int_equal(sl_journal_score_set(s, id, &sc), 0);
	sc.ok = true;
	sc.figure = "0 lost";
	assert_int_equal(sl_journal_score_set(s, id, &sc), 0);
	assert_int_equal(sl_journal_run_update(s, id, "done", "p", NULL, true), 0);
	assert_int_equal(sl_journal_load(&j, s, id), 0);
	assert_string_equal(j->run.status, "done");
	assert_non_null(j->run.finished_at);
	assert_int_equal(j->nsteps, 1);
	assert_string_equal(j->steps[0].figures, "{\"budget_ms\":30000}");
	assert_int_equal(j->steps[0].duration_ms, 12);
	assert_int_equal(j->nfreezes, 1);
	assert_int_equal(j->freezes[0].ended_us, 2000000);
	assert_string_equal(j->freezes[0].lifted_by, "unfreeze");
	assert_int_equal(j->napprovals, 1);
	assert_int_equal(j->nscores, 1);
	assert_true(j->scores[0].ok);
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(sl_cutover_journal_json(&b, j, NULL), 0);
	assert_non_null(strstr(b.ptr, "\"format\": \"sluice-cutover/1\""));
	assert_non_null(strstr(b.ptr, "\"window_ms\": 1000"));
	sl_buf_clear(&b);
	assert_int_equal(sl_cutover_timeline_text(&b, j, NULL, false), 0);
	assert_non_null(strstr(b.ptr, "p.freeze"));
	assert_non_null(strstr(b.ptr, "1 of 1 criteria met"));
	sl_buf_free(&b);
	sl_journal_free(j);
	assert_int_equal(sl_journal_load(&j, s, id + 5), SL_ENOTFOUND);
	sl_state_close(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sync_order), cmocka_unit_test(test_proc),
		cmocka_unit_test(test_journal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
