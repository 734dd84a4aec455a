/*
 * cmd_cutover.c - `sluice cutover plan|run|dry-run|status|approve|rollback|
 * unfreeze RUNBOOK` (docs/commands/cutover.md; the file format is
 * docs/runbook.md). Thin: loads the runbook and the project it names, opens
 * connections for the library (environment passwords applied here), prints
 * progress and the timeline; the work is src/cutover/ (cutover.h).
 * `cutover watchdog` is started by the library itself when a freeze goes up.
 */
#include "cli.h"
#include "project.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice/cutover.h"
#include "sluice/error.h"
#include "sluice/url.h"

typedef struct co_cli {
	cli_project proj;
	sl_runbook *rb;
	sl_rules *rules;
	sl_cast_rules *casts;
	const sl_flavour *flavour;       /* the target environment's flavour: */
	const char **shard_t, **shard_c; /* copy.distribution */
	size_t nshard;
	sl_state *state;
	const char *state_path;
	pthread_mutex_t mu;
	bool quiet, json;
	char exe[4096];
	char *cfg_abs, *rb_abs;
} co_cli;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
	signal(sig, SIG_DFL); /* a second one ends the process */
}

/* Opens the runbook's source or target, or a dry run's scratch database beside it. */
static int connect_cb(sl_conn **out, void *ud, sl_side side, const sl_conn *beside, const char *scratch,
		      bool create)
{
	co_cli *c = ud;
	const char *url = NULL;
	const sl_config_env *env = NULL;
	*out = NULL;
	pthread_mutex_lock(&c->mu);
	int rc = cli_project_resolve(&c->proj, side == SL_SIDE_SOURCE ? c->rb->source : c->rb->target, &url,
				     &env);
	if (!rc && !scratch)
		rc = cli_project_open(out, url, env, NULL, create);
	else if (!rc)
		rc = cli_project_open_beside(out, url, env, beside, scratch);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static void stamp(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S", &tm);
}

static void on_event(void *ud, const sl_cutover_event *ev)
{
	co_cli *c = ud;
	char ts[16];
	const char *mark = "  ";
	stamp(ts, sizeof(ts));
	switch (ev->kind) {
	case SL_CO_EV_STEP_STARTED:
		mark = "> ";
		break;
	case SL_CO_EV_STEP_DONE:
		mark = "  ";
		break;
	case SL_CO_EV_GATE_FAILED:
	case SL_CO_EV_STOPPED:
	case SL_CO_EV_ROLLBACK_STARTED:
		mark = "! ";
		break;
	case SL_CO_EV_APPROVAL_NEEDED:
		mark = "? ";
		break;
	default:
		break;
	}
	bool loud = ev->kind & (SL_CO_EV_GATE_FAILED | SL_CO_EV_STOPPED | SL_CO_EV_ROLLBACK_STARTED |
				SL_CO_EV_ROLLBACK_DONE | SL_CO_EV_APPROVAL_NEEDED | SL_CO_EV_NOTICE);
	if (c->quiet && (!loud || strncmp(ev->message, "scorecard:", 10) == 0))
		return; /* the scorecard is printed whole at the end */
	fprintf(stderr, "%s %s%s\n", ts, mark, ev->message);
}

/* The project file: -C, else the runbook's project:, else sluice.yaml beside the runbook, else ./sluice.yaml.
 */
static const char *project_path(const co_cli *c, const char *given)
{
	static char buf[4096];
	if (given)
		return given;
	if (c->rb->project)
		return c->rb->project;
	snprintf(buf, sizeof(buf), "%s/sluice.yaml", c->rb->dir);
	if (access(buf, R_OK) == 0)
		return buf;
	return access("sluice.yaml", R_OK) == 0 ? "sluice.yaml" : NULL;
}

static bool wants_migrations(const sl_runbook *rb)
{
	for (size_t p = 0; p < rb->nphases; p++)
		for (size_t i = 0; i < rb->phases[p].nsteps; i++)
			if (rb->phases[p].steps[i].gate.has_rehearsal ||
			    rb->phases[p].steps[i].require.has_rehearsal)
				return true;
	return false;
}

/* Loads the runbook, the project, rules, casts and (when asked) the state store. */
static int load(co_cli *c, const char *runbook, const char *config, bool state, bool migrations)
{
	int rc = sl_runbook_load(&c->rb, runbook);
	if (rc)
		return rc;
	c->proj.config_path = project_path(c, config);
	if ((rc = cli_project_load(&c->proj, false)) != 0)
		return rc;
	if (migrations && wants_migrations(c->rb)) {
		cli_project_free(&c->proj);
		c->proj.config_path = project_path(c, config);
		if ((rc = cli_project_load(&c->proj, true)) != 0)
			return rc;
	}
	if (c->proj.cfg && (rc = sl_rules_load(&c->rules, c->proj.cfg)) != 0)
		return rc;
	if ((rc = sl_runbook_resolve(c->rb, c->proj.cfg, c->rules)) != 0)
		return rc;
	if ((rc = cli_project_cast_rules(&c->casts, &c->proj)) != 0)
		return rc;
	if (c->rb->target && (rc = cli_project_flavour(&c->flavour, &c->proj, c->rb->target, NULL)) != 0)
		return rc;
	if ((rc = cli_project_distribution(&c->proj, &c->shard_t, &c->shard_c, &c->nshard)) != 0)
		return rc;
	c->state_path = c->proj.cfg ? sl_config_resolve(c->proj.cfg, c->proj.cfg->state) : ".sluice/state.db";
	if (state)
		rc = sl_state_open(&c->state, c->state_path);
	c->rb_abs = realpath(runbook, NULL);
	c->cfg_abs = c->proj.config_path ? realpath(c->proj.config_path, NULL) : NULL;
	ssize_t n = readlink("/proc/self/exe", c->exe, sizeof(c->exe) - 1);
	c->exe[n > 0 ? n : 0] = '\0';
	return rc;
}

static void unload(co_cli *c)
{
	sl_state_close(c->state);
	sl_cast_rules_free(c->casts);
	free(c->shard_t);
	free(c->shard_c);
	sl_rules_free(c->rules);
	sl_runbook_free(c->rb);
	cli_project_free(&c->proj);
	free(c->rb_abs);
	free(c->cfg_abs);
}

static sl_cutover_opts options(co_cli *c)
{
	sl_cutover_opts o = SL_CUTOVER_OPTS_INIT;
	o.rb = c->rb;
	o.cfg = c->proj.cfg;
	o.rules = c->rules;
	o.casts = c->casts;
	o.flavour = c->flavour;
	o.shard_tables = c->shard_t;
	o.shard_columns = c->shard_c;
	o.nshard = c->nshard;
	o.set = c->proj.set;
	o.history_table = c->proj.table;
	o.state = c->state;
	o.state_path = c->state_path;
	o.connect = connect_cb;
	o.connect_ud = c;
	o.on_event = on_event;
	o.event_ud = c;
	o.cancel = &stop_signal;
	return o;
}

/* Checks the runbook's tables against the source, read-only. */
static int check_tables(co_cli *c)
{
	sl_conn *src = NULL;
	sl_schema *s = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	int rc = connect_cb(&src, c, SL_SIDE_SOURCE, NULL, NULL, false);
	if (!rc)
		rc = sl_conn_introspect(&s, src, &io);
	if (!rc)
		rc = sl_runbook_check_tables(c->rb, s);
	sl_schema_free(s);
	sl_conn_close(src);
	return rc;
}

static int print_status(co_cli *c, bool dry, long run_id)
{
	sl_journal *j = NULL;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_cutover_journal(&j, c->state, c->rb->name, dry, run_id);
	if (!rc && c->json)
		rc = sl_cutover_journal_json(&b, j, c->rb);
	else if (!rc)
		rc = sl_cutover_timeline_text(&b, j, c->rb, cli_color(stdout));
	if (!rc) {
		fputs(sl_buf_cstr(&b), stdout);
		if (!c->json && !j->run.finished_at)
			printf("\n%s\n", sl_cutover_running(c->state_path, c->rb->name)
						 ? "a process is running it now"
						 : "no process runs it: `sluice cutover run` resumes it");
	}
	sl_buf_free(&b);
	sl_journal_free(j);
	return rc;
}

static const char usage_text[] =
	"usage: sluice cutover plan RUNBOOK [--offline]\n"
	"       sluice cutover run RUNBOOK [--dry-run] [--no-wait] [--wait SECONDS] [--new] "
	"[--accept-changes]\n"
	"       sluice cutover dry-run RUNBOOK [--no-rollback-practice]\n"
	"       sluice cutover status RUNBOOK [--json] [--run ID] [--dry-run]\n"
	"       sluice cutover approve [RUNBOOK] STEP --as NAME [--note TEXT] [--role ROLE] [--digest D] "
	"[--show]\n"
	"       sluice cutover rollback RUNBOOK [--wait SECONDS]\n"
	"       sluice cutover unfreeze RUNBOOK\n"
	"\n"
	"Run a written cutover runbook (docs/runbook.md) step by step: gates, approvals bound to the\n"
	"evidence shown, a measured write freeze that lifts itself when the downtime budget runs out,\n"
	"the switch, and the way back. Every step is journaled in the state store before and after it\n"
	"runs: a run that was killed resumes where it stopped without repeating a completed step.\n"
	"Details: docs/commands/cutover.md. Exit codes: 0 done and every success criterion met,\n"
	"1 a gate failed, the run was rolled back or a criterion failed, 2 a bad runbook (file:line:col),\n"
	"3 database error, 4 another process runs the runbook, 5 the runbook changed since its run began\n"
	"or its last run ended, 6 an approval refused, 8 waiting for an approval (--no-wait).\n";

static const char *sub_summary(const char *sub)
{
	static const struct {
		const char *name, *text;
	} subs[] = {
		{ "plan", "Check the runbook against sluice.yaml and the source, and print the plan." },
		{ "run", "Run the runbook, or resume its last run where it stopped." },
		{ "dry-run", "Walk the whole plan against scratch copies, practicing each rollback, timed." },
		{ "status",
		  "The timeline of the last run: steps, gates, truth, freezes, approvals, scorecard." },
		{ "approve", "Approve a waiting step as NAME, bound to the digest of the evidence shown." },
		{ "rollback", "Roll back the phase under way of the last run (a person's decision)." },
		{ "unfreeze", "Lift a freeze fence a run left standing (its watchdog and deadline do too)." },
		{ "watchdog", "Internal: lifts a freeze fence at its deadline if the run cannot." },
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i].name, sub) == 0)
			return subs[i].text;
	return NULL;
}

static int run_exit(const sl_cutover_result *r)
{
	switch (r->outcome) {
	case SL_CUTOVER_DONE:
		return r->scorecard_ok ? EXIT_OK : EXIT_PROBLEMS;
	case SL_CUTOVER_WAITING:
		return EXIT_WAITING;
	case SL_CUTOVER_INTERRUPTED:
		return stop_signal == SIGTERM ? EXIT_TERMINATED : EXIT_INTERRUPTED;
	default:
		return EXIT_PROBLEMS;
	}
}

static int do_run(co_cli *c, bool dry, bool no_wait, bool new_run, bool accept, bool no_practice, long wait,
		  bool rollback)
{
	sl_cutover_result res = { 0 };
	sl_cutover_opts o = options(c);
	const char *wd[8];
	size_t n = 0;
	if (c->exe[0] && c->rb_abs) {
		wd[n++] = c->exe;
		wd[n++] = "cutover";
		wd[n++] = "watchdog";
		wd[n++] = c->rb_abs;
		if (c->cfg_abs) {
			wd[n++] = "-C";
			wd[n++] = c->cfg_abs;
		}
		wd[n] = NULL;
		o.watchdog_argv = wd;
	}
	o.dry_run = dry;
	o.no_wait = no_wait;
	o.new_run = new_run;
	o.accept_changes = accept;
	o.practice_rollback = !no_practice;
	o.lock_wait_s = (double)wait;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int rc = check_tables(c);
	if (!rc)
		rc = rollback ? sl_cutover_rollback(&res, &o) : sl_cutover_run(&res, &o);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	int ex = EXIT_OK;
	if (res.run_id) {
		sl_journal *j = NULL;
		sl_buf b = SL_BUF_INIT;
		if (sl_journal_load(&j, c->state, res.run_id) == 0) {
			if (c->json)
				sl_cutover_journal_json(&b, j, c->rb);
			else
				sl_cutover_timeline_text(&b, j, c->rb, cli_color(stdout));
			fputs("\n", c->json ? stderr : stdout);
			fputs(sl_buf_cstr(&b), stdout);
		}
		sl_journal_free(j);
		sl_buf_free(&b);
	}
	if (rc)
		ex = cli_fail(rc);
	else {
		ex = run_exit(&res);
		if (res.outcome == SL_CUTOVER_WAITING)
			fprintf(stderr,
				"sluice: waiting for an approval; approve it, then run `sluice cutover run "
				"%s` again\n",
				c->rb->path);
		else if (res.outcome == SL_CUTOVER_INTERRUPTED)
			cli_error(ex, "interrupted: `sluice cutover run %s` resumes where it stopped",
				  c->rb->path);
		else if (res.outcome == SL_CUTOVER_STOPPED)
			cli_error(ex, "stopped: %s; fix it, then `sluice cutover run %s` resumes",
				  res.message ? res.message : "", c->rb->path);
		else if (res.outcome == SL_CUTOVER_ROLLBACK_FAILED)
			cli_error(ex, "the rollback failed: %s", res.message ? res.message : "");
	}
	sl_cutover_result_clear(&res);
	return ex;
}

static int do_approve(co_cli *c, const char *step, const char *name, const char *role, const char *note,
		      const char *digest, bool show)
{
	sl_cutover_opts o = options(c);
	sl_buf ev = SL_BUF_INIT;
	char d[72] = "";
	int ex = EXIT_OK;
	if (show) {
		/* the evidence as the waiting run shows it, without approving */
		sl_journal *j = NULL;
		int rc = sl_cutover_journal(&j, c->state, c->rb->name, false, 0);
		const sl_journal_request *req = NULL;
		const sl_rb_step *s = sl_runbook_find_step(c->rb, step, NULL);
		for (size_t i = 0; !rc && s && i < j->nrequests; i++)
			if (strcmp(j->requests[i].step, s->id) == 0)
				req = &j->requests[i];
		if (!rc && !req)
			rc = sl_error_set(SL_ENOTFOUND, "no run waits for approval of \"%s\"", step);
		if (!rc)
			printf("%s\ndigest %s\n", req->evidence, req->digest);
		sl_journal_free(j);
		return rc ? cli_fail(rc) : EXIT_OK;
	}
	int rc = sl_cutover_approve(&o, step, name, role, note, digest, &ev, d);
	if (rc)
		ex = cli_fail(rc);
	else
		printf("approved %s as %s, bound to evidence %s:\n%s\n", step, name, d, sl_buf_cstr(&ev));
	sl_buf_free(&ev);
	return ex;
}

/* cutover's arguments: the subcommand's options, the runbook and the step. */
typedef struct co_args {
	const char *sub, *config, *as, *note, *role, *digest, *runbook_opt, *runbook, *step;
	bool dry, no_wait, new_run, accept, offline, show, no_practice;
	long wait, run_id, freeze_id;
	char cmdname[48];
} co_args;

/* The rest of the command line under the subcommand's options: --help, RUNBOOK (and STEP), limits. */
static int co_check(int argc, char **argv, co_args *a, const cli_option *opts)
{
	const char *sub = a->sub;
	const char *pos[2];
	snprintf(a->cmdname, sizeof(a->cmdname), "cutover %s", sub);
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: sluice cutover %s %sRUNBOOK%s [options]\n\n%s\n", sub,
			       !strcmp(sub, "approve") ? "[" : "",
			       !strcmp(sub, "approve") ? "] STEP --as NAME" : "", sub_summary(sub));
			cli_print_help(stdout, a->cmdname, opts);
			return EXIT_OK;
		}
	int npos = 0, prc = cli_parse(a->cmdname, opts, argc - 1, argv + 1, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (!strcmp(sub, "approve")) {
		if (npos < 1)
			return cli_usage_error(a->cmdname, "expected the STEP to approve (and --as NAME)");
		a->runbook = npos == 2 ? pos[0] : a->runbook_opt ? a->runbook_opt : "cutover.yaml";
		a->step = pos[npos - 1];
		if (!a->as && !a->show)
			return cli_usage_error(a->cmdname, "--as NAME says who approves");
	} else {
		if (npos != 1)
			return cli_usage_error(a->cmdname, "expected the RUNBOOK file");
		a->runbook = pos[0];
	}
	if (a->wait < 0 || a->run_id < 0)
		return cli_usage_error(a->cmdname, "--wait and --run take 0 or more");
	return -1;
}

/* The options of subcommand sub among tabs (plan, run, status, approve, plain, watchdog), or NULL. */
static const cli_option *co_pick(const char *sub, const cli_option *const tabs[6])
{
	if (!strcmp(sub, "plan"))
		return tabs[0];
	if (!strcmp(sub, "run") || !strcmp(sub, "dry-run"))
		return tabs[1];
	if (!strcmp(sub, "status"))
		return tabs[2];
	if (!strcmp(sub, "approve"))
		return tabs[3];
	if (!strcmp(sub, "rollback") || !strcmp(sub, "unfreeze"))
		return tabs[4];
	if (!strcmp(sub, "watchdog"))
		return tabs[5];
	return NULL;
}

/* Parses cutover's command line into a; -1 to go on, else the exit code. */
static int co_parse(int argc, char **argv, co_cli *c, co_args *a)
{
	const char *sub = a->sub;
	const cli_option plan_opts[] = { { "config", 'C', CLI_STRING, "FILE",
					   "project file (default: the runbook's project:, else sluice.yaml)",
					   &a->config },
					 { "offline", 0, CLI_FLAG, NULL,
					   "do not connect to the source to check the tables", &a->offline },
					 { 0 } };
	const cli_option run_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default: the runbook's project:, else sluice.yaml)", &a->config },
		{ "dry-run", 0, CLI_FLAG, NULL, "walk the plan against scratch copies of both databases",
		  &a->dry },
		{ "no-rollback-practice", 0, CLI_FLAG, NULL, "dry run: do not practice each phase's rollback",
		  &a->no_practice },
		{ "no-wait", 0, CLI_FLAG, NULL,
		  "stop (exit 8) at an approval that is missing instead of waiting", &a->no_wait },
		{ "wait", 0, CLI_INT, "SECONDS",
		  "wait this long for another process running the runbook (default 0)", &a->wait },
		{ "new", 0, CLI_FLAG, NULL,
		  "begin a new run although the last one can be resumed (or has ended)", &a->new_run },
		{ "accept-changes", 0, CLI_FLAG, NULL,
		  "resume although the runbook changed since the run began", &a->accept },
		{ "json", 0, CLI_FLAG, NULL, "print the journal as JSON at the end", &c->json },
		{ "quiet", 'q', CLI_FLAG, NULL, "progress only for failures, approvals and notices",
		  &c->quiet },
		{ 0 }
	};
	const cli_option status_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default: the runbook's project:, else sluice.yaml)", &a->config },
		{ "json", 0, CLI_FLAG, NULL, "the whole journal as JSON (sluice-cutover/1)", &c->json },
		{ "run", 0, CLI_INT, "ID", "show this run (default: the newest)", &a->run_id },
		{ "dry-run", 0, CLI_FLAG, NULL, "show the newest dry run", &a->dry },
		{ 0 }
	};
	const cli_option approve_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default: the runbook's project:, else sluice.yaml)", &a->config },
		{ "runbook", 'r', CLI_STRING, "FILE", "the runbook (default cutover.yaml)", &a->runbook_opt },
		{ "as", 0, CLI_STRING, "NAME", "who approves (a member of one of the step's roles)", &a->as },
		{ "role", 0, CLI_STRING, "ROLE", "the role approved for, when NAME is in several", &a->role },
		{ "note", 0, CLI_STRING, "TEXT", "why, for the record", &a->note },
		{ "digest", 0, CLI_STRING, "D",
		  "the evidence digest reviewed: refuse if the evidence changed since", &a->digest },
		{ "show", 0, CLI_FLAG, NULL, "print the evidence and its digest; approve nothing", &a->show },
		{ 0 }
	};
	const cli_option plain_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default: the runbook's project:, else sluice.yaml)", &a->config },
		{ "wait", 0, CLI_INT, "SECONDS",
		  "wait this long for another process running the runbook (default 0)", &a->wait },
		{ 0 }
	};
	const cli_option watchdog_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE", "project file", &a->config },
		{ "run", 0, CLI_INT, "ID", "the run", &a->run_id },
		{ "freeze", 0, CLI_INT, "ID", "the freeze window", &a->freeze_id },
		{ 0 }
	};
	const cli_option *opts = NULL;
	if (cli_collecting()) { /* `sluice completion`: the options of every subcommand */
		const cli_option *all[] = {
			run_opts, plan_opts, status_opts, approve_opts, plain_opts, NULL
		};
		return cli_collect_all(all) > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage_text, sub ? stdout : stderr);
		return sub ? EXIT_OK : EXIT_USAGE;
	}
	const cli_option *const tabs[] = { plan_opts,    run_opts,   status_opts,
					   approve_opts, plain_opts, watchdog_opts };
	if (!(opts = co_pick(sub, tabs)))
		return cli_usage_error(
			"cutover",
			"unknown subcommand \"%s\" (plan, run, dry-run, status, approve, rollback, unfreeze)",
			sub);
	return co_check(argc, argv, a, opts);
}

/* Runs the subcommand and prints its outcome; the exit code. */
static int co_dispatch(co_cli *c, co_args *a, int rc)
{
	const char *sub = a->sub;
	int ex = EXIT_OK;
	if (rc) {
		ex = cli_fail(rc);
	} else if (!strcmp(sub, "plan")) {
		sl_buf b = SL_BUF_INIT;
		rc = a->offline ? 0 : check_tables(c);
		if (!rc)
			rc = sl_runbook_plan_text(&b, c->rb);
		if (!rc)
			fputs(sl_buf_cstr(&b), stdout);
		sl_buf_free(&b);
		ex = rc ? cli_fail(rc) : EXIT_OK;
	} else if (!strcmp(sub, "run") || !strcmp(sub, "dry-run")) {
		ex = do_run(c, a->dry, a->no_wait, a->new_run, a->accept, a->no_practice, a->wait, false);
	} else if (!strcmp(sub, "rollback")) {
		ex = do_run(c, false, false, false, true, true, a->wait, true);
	} else if (!strcmp(sub, "status")) {
		rc = print_status(c, a->dry, a->run_id);
		ex = rc ? cli_fail(rc) : EXIT_OK;
	} else if (!strcmp(sub, "approve")) {
		ex = do_approve(c, a->step, a->as, a->role, a->note, a->digest, a->show);
	} else if (!strcmp(sub, "unfreeze")) {
		size_t n = 0;
		sl_cutover_opts o = options(c);
		rc = sl_cutover_unfreeze(&o, &n);
		if (!rc)
			printf("%zu freeze fence%s lifted\n", n, n == 1 ? "" : "s");
		ex = rc ? cli_fail(rc) : EXIT_OK;
	} else {
		sl_cutover_opts o = options(c);
		o.on_event = NULL;
		rc = sl_cutover_watchdog(&o, a->run_id, a->freeze_id);
		ex = rc ? cli_fail(rc) : EXIT_OK;
	}
	return ex;
}

int cmd_cutover(int argc, char **argv)
{
	co_cli c = { 0 };
	co_args a = { .sub = argc > 1 ? argv[1] : NULL };
	int prc = co_parse(argc, argv, &c, &a);
	if (prc >= 0)
		return prc;
	const char *sub = a.sub;
	if (!strcmp(sub, "dry-run"))
		a.dry = true;
	pthread_mutex_init(&c.mu, NULL);
	bool running = !strcmp(sub, "run") || !strcmp(sub, "dry-run") || !strcmp(sub, "rollback");
	int rc = load(&c, a.runbook, a.config, strcmp(sub, "plan") != 0, running || !strcmp(sub, "plan"));
	int ex = co_dispatch(&c, &a, rc);
	unload(&c);
	pthread_mutex_destroy(&c.mu);
	return ex;
}
