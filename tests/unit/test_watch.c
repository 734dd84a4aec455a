/*
 * test_watch.c - the watch module without a server: sluice.yaml `watch:`
 * read into its fields with the defaults, and every mistake reported with
 * file:line:col and "did you mean"; limits turning figures into levels; the
 * state machine (a gap never clears a breach, nor makes "ok" out of
 * nothing); the hook command: payload on stdin, its environment, its exit
 * status, a hook killed at its timeout, and one that never reads its stdin.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/config.h"
#include "sluice/watch.h"
#include "watch/watch_int.h"

static const char project[] = "environments:\n"
			      "  prod: { url: \"sqlite:prod.db\" }\n"
			      "  legacy: { url: \"sqlite:legacy.db\" }\n"
			      "rules:\n"
			      "  billing:\n"
			      "    - { name: one number, type: unique, table: invoices, column: number }\n"
			      "shadow:\n"
			      "  - { name: revenue, sql: SELECT 1 }\n";

/* Loads project + watch (the watch section's text); the error message, or NULL when it loads. */
static char *load(const char *watch)
{
	char text[4096];
	sl_config *cfg = NULL;
	sl_watch_config *w = NULL;
	char *msg = NULL;
	snprintf(text, sizeof(text), "%swatch:\n%s", project, watch);
	if (sl_config_parse(&cfg, "sluice.yaml", text, strlen(text)) != 0)
		fail_msg("config: %s", sl_error_last()->message);
	if (sl_watch_config_load(&w, cfg) != 0)
		msg = strdup(sl_error_last()->message);
	sl_watch_config_free(w);
	sl_config_free(cfg);
	return msg;
}

static void expect_error(const char *watch, const char *want)
{
	char *msg = load(watch);
	if (!msg)
		fail_msg("no error for:\n%s", watch);
	if (strcmp(msg, want) != 0)
		fail_msg("message\n  [%s]\nexpected\n  [%s]", msg, want);
	free(msg);
}

static void test_config_fields(void **state)
{
	(void)state;
	sl_config *cfg = NULL;
	sl_watch_config *w = NULL;
	const char text[] = "environments:\n"
			    "  prod: { url: \"sqlite:prod.db\" }\n"
			    "  legacy: { url: \"sqlite:legacy.db\" }\n"
			    "rules:\n"
			    "  billing:\n"
			    "    - { name: one number, type: unique, table: invoices, column: number }\n"
			    "shadow:\n"
			    "  - { name: revenue, sql: SELECT 1 }\n"
			    "watch:\n"
			    "  target: prod\n"
			    "  source: legacy\n"
			    "  every: 30s\n"
			    "  for: 72h\n"
			    "  checks: [rules, diff, sync]\n"
			    "  rules: { domain: billing, only: [one number] }\n"
			    "  diff: { tables: [invoices, customers], mode: bisect, bisect_above: 5000 }\n"
			    "  sync: { source: prod, target: legacy }\n"
			    "  shadow: { queries: [revenue] }\n"
			    "  thresholds:\n"
			    "    diff: { warn: 1, breach: 10 }\n"
			    "    shadow: 3\n"
			    "    sync_lag: { warn: 30s, breach: 5m }\n"
			    "    sync_behind: { breach: off }\n"
			    "  hook: { command: \"cat >/dev/null\", timeout: 2s, gaps: true }\n";
	assert_int_equal(sl_config_parse(&cfg, "sluice.yaml", text, strlen(text)), 0);
	if (sl_watch_config_load(&w, cfg) != 0)
		fail_msg("%s", sl_error_last()->message);
	assert_string_equal(w->target, "prod");
	assert_string_equal(w->source, "legacy");
	assert_int_equal(w->every_ms, 30000);
	assert_int_equal(w->for_ms, 72 * 3600 * 1000LL);
	assert_int_equal(w->checks, SL_WATCH_RULES | SL_WATCH_DIFF | SL_WATCH_SYNC);
	assert_string_equal(w->rules_domain, "billing");
	assert_int_equal(w->nrules_only, 1);
	assert_int_equal(w->ndiff_tables, 2);
	assert_string_equal(w->diff_tables[1], "customers");
	assert_int_equal(w->diff_mode, SL_WATCH_DIFF_BISECT);
	assert_int_equal(w->bisect_above, 5000);
	assert_true(w->sync_set);
	assert_string_equal(w->sync_target, "legacy");
	assert_int_equal(w->nshadow_queries, 1);
	assert_true(w->diff.warn == 1 && w->diff.breach == 10);
	assert_true(w->shadow.warn < 0 && w->shadow.breach == 3);
	assert_true(w->sync_lag.warn == 30 && w->sync_lag.breach == 300);
	assert_true(w->sync_behind.warn < 0 && w->sync_behind.breach < 0);
	assert_string_equal(w->hook, "cat >/dev/null");
	assert_int_equal(w->hook_timeout_ms, 2000);
	assert_true(w->hook_gaps);
	/* the options a caller starts from */
	sl_watch_opts o = SL_WATCH_OPTS_INIT;
	sl_watch_opts_from_config(&o, w, cfg);
	assert_string_equal(o.target, "prod");
	assert_int_equal(o.every_ms, 30000);
	assert_int_equal(sl_watch_checks_of(&o), SL_WATCH_RULES | SL_WATCH_DIFF | SL_WATCH_SYNC);
	sl_watch_config_free(w);
	sl_config_free(cfg);
}

static void test_config_defaults(void **state)
{
	(void)state;
	sl_watch_config *w = NULL;
	assert_int_equal(sl_watch_config_load(&w, NULL), 0);
	assert_int_equal(w->every_ms, 300000);
	assert_int_equal(w->for_ms, -1);
	assert_int_equal(w->checks, 0);
	assert_int_equal(w->diff_mode, SL_WATCH_DIFF_AUTO);
	assert_int_equal(w->bisect_above, 1000000);
	assert_true(w->diff.warn < 0 && w->diff.breach == 1);
	assert_true(w->sync_lag.warn == 60 && w->sync_lag.breach == 300);
	assert_null(w->hook);
	assert_int_equal(w->hook_timeout_ms, 10000);
	/* the checks when none are named: what sluice.yaml has */
	sl_config *cfg = NULL;
	assert_int_equal(sl_config_parse(&cfg, "sluice.yaml", project, strlen(project)), 0);
	sl_watch_opts o = SL_WATCH_OPTS_INIT;
	sl_watch_opts_from_config(&o, w, cfg);
	o.target = "prod";
	assert_int_equal(sl_watch_checks_of(&o), SL_WATCH_RULES);
	o.source = "legacy";
	assert_int_equal(sl_watch_checks_of(&o), SL_WATCH_RULES | SL_WATCH_DIFF | SL_WATCH_SHADOW);
	sl_watch_config_free(w);
	sl_config_free(cfg);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_error("  evrey: 5m\n",
		     "sluice.yaml:10:3: unknown key \"evrey\" in \"watch\" (did you mean \"every\"?)");
	expect_error("  checks: [rules, dif]\n",
		     "sluice.yaml:10:19: unknown check \"dif\" (did you mean \"diff\"?)");
	expect_error("  checks: rules\n",
		     "sluice.yaml:10:11: \"watch.checks\" must be a list: [rules, diff, sync, shadow]");
	expect_error("  target: prd\n",
		     "sluice.yaml:10:11: \"watch.target\": no environment \"prd\" (did you mean \"prod\"?)");
	expect_error("  source: somewhere\n",
		     "sluice.yaml:10:11: \"watch.source\": \"somewhere\" is neither an "
		     "environment of sluice.yaml nor a URL");
	expect_error("  every: 5 minutes\n", "sluice.yaml:10:10: \"watch.every\": \"5 minutes\" has no unit: "
					     "write ms, s, m or h (\"30s\")");
	expect_error("  every: 0s\n", "sluice.yaml:10:10: \"watch.every\" must be longer than 0s");
	expect_error("  rules: { only: [one numbr] }\n",
		     "sluice.yaml:10:19: unknown rule \"one numbr\" (did you mean \"one number\"?)");
	expect_error("  rules: { domain: biling }\n",
		     "sluice.yaml:10:20: unknown rule domain \"biling\" (did you mean \"billing\"?)");
	expect_error("  diff: { mode: fast }\n", "sluice.yaml:10:17: unknown diff mode \"fast\"");
	expect_error("  diff: { mod: full }\n",
		     "sluice.yaml:10:11: unknown key \"mod\" in \"watch.diff\" (did you mean \"mode\"?)");
	expect_error("  shadow: { queries: [revenu] }\n",
		     "sluice.yaml:10:23: unknown shadow query \"revenu\" (did you mean \"revenue\"?)");
	expect_error("  thresholds: { diff: { warn: 10, breach: 5 } }\n",
		     "sluice.yaml:10:17: \"watch.thresholds.diff\": warn must be below breach");
	expect_error(
		"  thresholds: { sync_lag: { warn: soon } }\n",
		"sluice.yaml:10:35: \"watch.thresholds.sync_lag.warn\": \"soon\" is not a duration (a number "
		"and ms, s, m or h: \"30s\")");
	expect_error("  thresholds: { diff: -1 }\n", "sluice.yaml:10:23: \"watch.thresholds.diff\" must be a "
						     "whole number of at least 1, not \"-1\"");
	expect_error(
		"  thresholds: { rules: 1 }\n",
		"sluice.yaml:10:17: \"watch.thresholds.rules\": rules are judged by their own severity and "
		"threshold (docs/rules.md): a halt rule over its threshold is a breach, a warn rule a "
		"warning");
	expect_error("  thresholds: { lag: 5m }\n",
		     "sluice.yaml:10:17: unknown key \"lag\" in \"watch.thresholds\"");
	expect_error("  hook: { timeout: 5s }\n", "sluice.yaml:10:3: \"watch.hook\" needs a \"command\"");
	expect_error("  hook: { command: x, gaps: maybe }\n",
		     "sluice.yaml:10:29: \"watch.hook.gaps\" must be true or false");
	expect_error("  sync: { from: prod }\n", "sluice.yaml:10:11: unknown key \"from\" in \"watch.sync\"");
}

static void test_judge_and_state(void **state)
{
	(void)state;
	sl_watch_limit lim = { .warn = 1, .breach = 10 };
	assert_int_equal(sl_watch_judge(0, lim), SL_WATCH_OK);
	assert_int_equal(sl_watch_judge(1, lim), SL_WATCH_WARN);
	assert_int_equal(sl_watch_judge(9.9, lim), SL_WATCH_WARN);
	assert_int_equal(sl_watch_judge(10, lim), SL_WATCH_BREACH);
	sl_watch_limit none = { .warn = -1, .breach = -1 };
	assert_int_equal(sl_watch_judge(1e9, none), SL_WATCH_OK);
	/* a complete run sets the state */
	assert_int_equal(sl_watch_next_state(SL_WATCH_BREACH, SL_WATCH_OK, true), SL_WATCH_OK);
	assert_int_equal(sl_watch_next_state(SL_WATCH_NONE, SL_WATCH_WARN, true), SL_WATCH_WARN);
	/* a gap raises it only: recovery needs a run that saw everything */
	assert_int_equal(sl_watch_next_state(SL_WATCH_BREACH, SL_WATCH_OK, false), SL_WATCH_BREACH);
	assert_int_equal(sl_watch_next_state(SL_WATCH_OK, SL_WATCH_BREACH, false), SL_WATCH_BREACH);
	assert_int_equal(sl_watch_next_state(SL_WATCH_WARN, SL_WATCH_OK, false), SL_WATCH_WARN);
	assert_int_equal(sl_watch_next_state(SL_WATCH_NONE, SL_WATCH_OK, false), SL_WATCH_NONE);
	assert_string_equal(sl_watch_level_name(SL_WATCH_BREACH), "breach");
	assert_null(sl_watch_level_name(SL_WATCH_NONE));
	assert_int_equal(sl_watch_level_from_name("warn"), SL_WATCH_WARN);
	assert_int_equal(sl_watch_level_from_name("gap"), SL_WATCH_NONE);
	/* checks */
	unsigned bits = 0;
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(sl_watch_checks_parse(&bits, "diff, rules"), 0);
	assert_int_equal(bits, SL_WATCH_RULES | SL_WATCH_DIFF);
	assert_int_equal(sl_watch_checks_format(&b, bits | SL_WATCH_SHADOW), 0);
	assert_string_equal(sl_buf_cstr(&b), "rules,diff,shadow");
	sl_buf_free(&b);
	assert_int_equal(sl_watch_checks_parse(&bits, "rules,shaddow"), SL_EINVALID);
	assert_string_equal(sl_error_last()->message, "unknown check \"shaddow\" (did you mean \"shadow\"?)");
	assert_int_equal(sl_watch_checks_parse(&bits, ""), SL_EINVALID);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[4096];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_hook(void **state)
{
	(void)state;
	char dir[] = "/tmp/sluice-hook-XXXXXX", cmd[512], path[300];
	watch_hook_result h;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/got", dir);
	/* the payload on stdin, the event and states in the environment */
	snprintf(cmd, sizeof(cmd),
		 "cat > %s; echo \" $SLUICE_WATCH_EVENT $SLUICE_WATCH_STATE $SLUICE_WATCH_PREVIOUS\" >> %s",
		 path, path);
	assert_int_equal(watch_hook_exec(&h, cmd, 5000, "{\"state\":\"breach\"}", "state", "breach", "ok"),
			 0);
	assert_int_equal(h.exit_code, 0);
	assert_false(h.timed_out);
	assert_string_equal(h.error, "");
	assert_string_equal(slurp(path), "{\"state\":\"breach\"} state breach ok\n");
	/* its exit status */
	assert_int_equal(watch_hook_exec(&h, "cat >/dev/null; exit 7", 5000, "{}", "state", "ok", NULL), 0);
	assert_int_equal(h.exit_code, 7);
	assert_string_equal(h.error, "the hook exited with status 7");
	/* killed at its timeout, with what it started */
	int64_t t0 = watch_mono_ms();
	assert_int_equal(watch_hook_exec(&h, "sleep 30 & sleep 30", 300, "{}", "state", "ok", NULL), 0);
	assert_true(h.timed_out);
	assert_true(watch_mono_ms() - t0 < 5000);
	assert_non_null(strstr(h.error, "did not finish within its timeout"));
	/* one that never reads a large payload neither blocks nor kills sluice (SIGPIPE) */
	size_t big = 1 << 20;
	char *payload = malloc(big + 1);
	assert_non_null(payload);
	memset(payload, 'x', big);
	payload[big] = '\0';
	assert_int_equal(watch_hook_exec(&h, "exit 0", 5000, payload, "state", "ok", NULL), 0);
	assert_int_equal(h.exit_code, 0);
	free(payload);
	unlink(path);
	rmdir(dir);
}

static void test_payload(void **state)
{
	(void)state;
	sl_state_watch_figure f[] = {
		{ .check = "diff",
		  .item = "invoices",
		  .value = 1,
		  .unit = "rows",
		  .level = "breach",
		  .threshold = "breach 1",
		  .detail = "1 missing, 0 extra, 0 changed; e.g. missing id=3" },
		{ .check = "sync", .item = "lag", .value = 42.5, .unit = "seconds", .level = "ok" },
	};
	sl_state_watch_run run = { .id = 7,
				   .started_at = "2026-03-01T10:00:00.000Z",
				   .status = "breach",
				   .complete = true,
				   .state = "breach",
				   .figures = f,
				   .nfigures = 2 };
	watch_payload_in in = { .event = "state",
				.project = "billing",
				.target = "prod",
				.source = "legacy",
				.state = "breach",
				.previous = "ok",
				.run = &run,
				.at = "2026-03-01T10:00:01.000Z" };
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(watch_payload(&b, &in), 0);
	const char *p = sl_buf_cstr(&b);
	assert_non_null(strstr(p, "\"event\":\"state\""));
	assert_non_null(strstr(p, "\"state\":\"breach\",\"previous_state\":\"ok\""));
	assert_non_null(strstr(p, "\"breached\":[{\"check\":\"diff\",\"item\":\"invoices\",\"value\":1,"));
	assert_non_null(strstr(p, "\"value\":42.5"));
	assert_non_null(strstr(p, "\"warned\":[]"));
	sl_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_fields), cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_errors), cmocka_unit_test(test_judge_and_state),
		cmocka_unit_test(test_hook),          cmocka_unit_test(test_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
