/*
 * cmd_sync.c - `sluice sync start|run|status|stop|pause|resume|reverse`
 * (docs/commands/sync.md). Thin: parses options, resolves the two sides (URL
 * or sluice.yaml environment), reads tables (--tables, --domain) and cast
 * rules, prints progress and summaries; the work is src/sync/ (sync.h).
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/sync.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sync_cli {
	cli_project proj;
	const char *source, *target;
	pthread_mutex_t mu; /* the initial copy connects from worker threads */
	bool quiet;
	bool create_target; /* sync start: the initial copy may create a new SQLite target */
} sync_cli;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int connect_side(sl_conn **out, sl_copy_side side, void *ud)
{
	sync_cli *sc = ud;
	pthread_mutex_lock(&sc->mu);
	int rc = side == SL_COPY_SOURCE ? cli_project_connect(out, &sc->proj, sc->source)
		 : sc->create_target    ? cli_project_connect_target(out, &sc->proj, sc->target)
					: cli_project_connect(out, &sc->proj, sc->target);
	pthread_mutex_unlock(&sc->mu);
	if (rc)
		sl_error_prefix("%s", side == SL_COPY_SOURCE ? "source" : "target");
	return rc;
}

static void stamp(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S", &tm);
}

static void on_event(void *ud, const sl_sync_event *ev)
{
	sync_cli *sc = ud;
	char ts[16];
	stamp(ts, sizeof(ts));
	switch (ev->kind) {
	case SL_SYNC_EV_NOTICE:
		fprintf(stderr, "%s\n", ev->message);
		break;
	case SL_SYNC_EV_RETRY:
		fprintf(stderr, "%s %s\n", ts, ev->message);
		break;
	case SL_SYNC_EV_BATCH:
		if (sc->quiet)
			break;
		if (ev->batch_changes == 0) { /* a heartbeat alone */
			fprintf(stderr, "%s heartbeat applied, lag %.2fs\n", ts, ev->lag_seconds);
			break;
		}
		fprintf(stderr,
			"%s applied %" PRId64 " changes (%" PRId64 " upserted, %" PRId64
			" deleted%s), total %" PRId64,
			ts, ev->batch_changes, ev->upserts, ev->deletes, ev->rejects ? ", some rejected" : "",
			ev->applied);
		if (ev->lag_seconds >= 0)
			fprintf(stderr, ", lag %.2fs", ev->lag_seconds);
		fputc('\n', stderr);
		break;
	case SL_SYNC_EV_IDLE:
		break;
	}
}

static void on_copy_event(void *ud, const sl_copy_event *ev)
{
	sync_cli *sc = ud;
	if (ev->kind == SL_COPY_EV_NOTICE)
		fprintf(stderr, "%s\n", ev->message);
	else if (ev->kind == SL_COPY_EV_TABLE_DONE && !sc->quiet)
		fprintf(stderr, "copied \"%s\": %" PRId64 " rows\n", ev->table, ev->written);
}

static void print_status(const sl_sync_status *s)
{
	char when[40] = "-";
	if (s->updated_us > 0) {
		time_t t = (time_t)(s->updated_us / 1000000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("run        %s%s\n", s->run_id, s->paused ? " (paused)" : "");
	printf("source     %s\n", s->source);
	printf("target     %s\n", s->target);
	printf("tables     ");
	for (size_t i = 0; i < s->ntables; i++)
		printf("%s%s", i ? ", " : "", s->tables[i]);
	printf("%s\n", s->ntables ? "" : "(source unreachable)");
	if (s->behind >= 0)
		printf("behind     %" PRId64 " changes\n", s->behind);
	else
		printf("behind     unknown (source unreachable)\n");
	if (s->lag_seconds >= 0)
		printf("lag        %.1fs (since the newest applied heartbeat was written)\n", s->lag_seconds);
	else
		printf("lag        unknown (no heartbeat applied yet)\n");
	printf("applied    %" PRId64 " changes in %" PRId64 " batches, last at %s\n", s->applied, s->batches,
	       when);
	printf("rate       %.0f changes/s recently, %.0f changes/s since start\n", s->rate, s->avg_rate);
	printf("last error %s\n", s->last_error ? s->last_error : "none");
}

static const char *sub_summary(const char *sub)
{
	static const struct {
		const char *name, *text;
	} subs[] = {
		{ "start", "Install capture triggers on the source tables, then copy them to the target." },
		{ "run",
		  "Apply the change log to the target in checkpointed batches (--follow: until stopped)." },
		{ "status", "Lag, changes behind, rates and the last error of the sync run." },
		{ "pause", "Make the runs applying to the target idle until resumed." },
		{ "resume", "Let paused runs apply again." },
		{ "stop", "Remove the triggers, the change log and sync's tables from both sides." },
		{ "reverse", "After cutover: capture on the target toward the source, for rollback." },
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i].name, sub) == 0)
			return subs[i].text;
	return "";
}

static const char usage_text[] =
	"usage: sluice sync start SOURCE TARGET [--tables A,B | --domain NAME] [--no-copy] [--resume]\n"
	"                         [--target-flavour NAME]\n"
	"       sluice sync run SOURCE TARGET [--follow] [--batch N] [--max-rate N] [--retry-for SECONDS]\n"
	"       sluice sync status SOURCE TARGET [--json]\n"
	"       sluice sync pause|resume SOURCE TARGET\n"
	"       sluice sync stop SOURCE TARGET [--force]\n"
	"       sluice sync reverse SOURCE TARGET [--force]\n"
	"\n"
	"Keep TARGET in step with a live SOURCE: capture triggers log changed keys in\n"
	"the source, run applies them (re-reading each row) in batches checkpointed in\n"
	"the target. SOURCE and TARGET are URLs or environments of sluice.yaml. Run\n"
	"`sluice sync SUBCOMMAND --help` for its options; details: docs/commands/sync.md.\n"
	"Exit codes: 0 ok, 1 rows rejected, 2 usage or a table without a key, 3 database\n"
	"error, 4 another run applies to the target, 5 the source or target is in another\n"
	"sync's state, or a captured table's schema changed.\n";

/* sync's arguments: the subcommand's options and the two sides. */
typedef struct sync_args {
	const char *sub, *tables, *domain, *flavour;
	bool json, follow, no_copy, resume, force, start;
	long jobs, batch, max_rate, retry;
	char cmdname[32];
} sync_args;

/* Parses sync's command line into a and pos; -1 to go on, else the exit code. */
/* The rest of sync's command line under the subcommand's options: --help, the sides, their limits. */
static int sync_check(int argc, char **argv, sync_args *a, const cli_option *opts, const char *pos[2])
{
	const char *sub = a->sub;
	snprintf(a->cmdname, sizeof(a->cmdname), "sync %s", sub);
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: sluice sync %s SOURCE TARGET [options]\n\n%s\n", sub,
			       sub_summary(sub));
			cli_print_help(stdout, a->cmdname, opts);
			return EXIT_OK;
		}
	int npos = 0, prc = cli_parse(a->cmdname, opts, argc - 1, argv + 1, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos != 2)
		return cli_usage_error(a->cmdname,
				       "expected SOURCE and TARGET (database URLs or environments)");
	if (a->tables && a->domain)
		return cli_usage_error(a->cmdname, "--tables and --domain exclude each other");
	if (a->jobs < 1 || a->jobs > 64 || a->batch < 1 || a->max_rate < 0 || a->retry < -1)
		return cli_usage_error(a->cmdname,
				       "--jobs takes 1-64, --batch a positive number, --max-rate 0 or more");

	return -1;
}

static int sync_parse(int argc, char **argv, sync_cli *sc, sync_args *a, const char *pos[2])
{
	const char *sub = a->sub;
	const cli_option start_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE", "project file (default sluice.yaml)",
		  &sc->proj.config_path },
		{ "tables", 't', CLI_STRING, "A,B", "capture only these source tables", &a->tables },
		{ "domain", 0, CLI_STRING, "NAME", "capture the tables of this domain of sluice.yaml",
		  &a->domain },
		{ "no-copy", 0, CLI_FLAG, NULL, "install capture only: the target already holds the rows",
		  &a->no_copy },
		{ "resume", 0, CLI_FLAG, NULL, "continue the initial copy of a start that stopped",
		  &a->resume },
		{ "jobs", 'j', CLI_INT, "N", "workers of the initial copy (default 2)", &a->jobs },
		{ "target-flavour", 0, CLI_STRING, "NAME",
		  "adapt the initial copy's tables to this flavour of the target's engine (citus, "
		  "yugabyte, cockroach, vitess); default: the target environment's flavour: "
		  "(docs/commands/distributed.md)",
		  &a->flavour },
		{ "quiet", 'q', CLI_FLAG, NULL, "no per-table lines on stderr", &sc->quiet },
		{ 0 }
	};
	const cli_option run_opts[] = {
		{ "config", 'C', CLI_STRING, "FILE", "project file (default sluice.yaml)",
		  &sc->proj.config_path },
		{ "follow", 'f', CLI_FLAG, NULL,
		  "keep applying until SIGINT/SIGTERM (default: until drained)", &a->follow },
		{ "batch", 0, CLI_INT, "N", "change-log rows per batch (default 5000)", &a->batch },
		{ "max-rate", 0, CLI_INT, "N", "apply at most N changes per second", &a->max_rate },
		{ "retry-for", 0, CLI_INT, "SECONDS",
		  "give up after failing to reconnect this long (default 300, -1 never)", &a->retry },
		{ "quiet", 'q', CLI_FLAG, NULL, "no per-batch lines on stderr", &sc->quiet },
		{ 0 }
	};
	const cli_option status_opts[] = { { "config", 'C', CLI_STRING, "FILE",
					     "project file (default sluice.yaml)", &sc->proj.config_path },
					   { "json", 0, CLI_FLAG, NULL, "print the status as JSON",
					     &a->json },
					   { 0 } };
	const cli_option stop_opts[] = { { "config", 'C', CLI_STRING, "FILE",
					   "project file (default sluice.yaml)", &sc->proj.config_path },
					 { "force", 0, CLI_FLAG, NULL,
					   "stop: also remove sluice capture triggers of other runs; "
					   "reverse: although the forward log "
					   "is not drained",
					   &a->force },
					 { 0 } };
	const cli_option plain_opts[] = { { "config", 'C', CLI_STRING, "FILE",
					    "project file (default sluice.yaml)", &sc->proj.config_path },
					  { 0 } };
	const cli_option *opts = NULL;
	if (cli_collecting()) { /* `sluice completion`: the options of every subcommand */
		const cli_option *all[] = { start_opts, run_opts, status_opts, stop_opts, plain_opts, NULL };
		return cli_collect_all(all) > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage_text, sub ? stdout : stderr);
		return sub ? EXIT_OK : EXIT_USAGE;
	}
	if (strcmp(sub, "start") == 0)
		opts = start_opts;
	else if (strcmp(sub, "run") == 0)
		opts = run_opts;
	else if (strcmp(sub, "status") == 0)
		opts = status_opts;
	else if (strcmp(sub, "stop") == 0 || strcmp(sub, "reverse") == 0)
		opts = stop_opts;
	else if (strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0)
		opts = plain_opts;
	else
		return cli_usage_error("sync",
				       "unknown subcommand \"%s\" (start, run, status, pause, resume, "
				       "stop, reverse)",
				       sub);
	int rc = sync_check(argc, argv, a, opts, pos);
	if (rc >= 0)
		return rc;
	a->start = opts == start_opts;
	return -1;
}

/* Runs the subcommand; 0 or SL_E*, *ex the exit code when it succeeded. */
static int sync_dispatch(sync_cli *sc, sl_sync_opts *o, const sync_args *a, int *ex)
{
	const char *sub = a->sub;
	sl_sync_status *st = NULL;
	int rc = 0;
	if (strcmp(sub, "start") == 0) {
		sc->create_target = true;
		rc = sl_sync_start(o);
		if (!rc)
			printf("sync started: capture is on; apply changes with `sluice sync run %s %s "
			       "--follow`\n",
			       sc->source, sc->target);
	} else if (strcmp(sub, "run") == 0) {
		sl_sync_stats stats;
		struct sigaction sa = { 0 };
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		rc = sl_sync_run(&stats, o);
		printf("sync %s: %" PRId64 " changes in %" PRId64 " batches (%" PRId64 " upserted, %" PRId64
		       " deleted, %" PRId64 " rejected), %d reconnects, %.1fs\n",
		       rc ? "stopped" : (a->follow ? "stopped" : "drained"), stats.consumed, stats.batches,
		       stats.upserts, stats.deletes, stats.rejects, stats.reconnects, stats.seconds);
		if (!rc && stats.rejects)
			*ex = EXIT_PROBLEMS;
	} else if (strcmp(sub, "status") == 0) {
		rc = sl_sync_status_get(&st, o);
		if (!rc && a->json) {
			sl_buf b = SL_BUF_INIT;
			if (!(rc = sl_sync_status_json(&b, st)))
				fwrite(b.ptr, 1, b.len, stdout);
			sl_buf_free(&b);
		} else if (!rc)
			print_status(st);
	} else if (strcmp(sub, "stop") == 0) {
		rc = sl_sync_stop(o);
		if (!rc)
			printf("sync stopped: capture triggers, change log and sync state removed\n");
	} else if (strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0) {
		rc = sl_sync_pause(o, sub[0] == 'p');
		if (!rc)
			printf("sync %s\n", sub[0] == 'p' ? "paused" : "resumed");
	} else {
		rc = sl_sync_reverse(o);
		if (!rc)
			printf("sync reversed: capture is on in %s; apply with `sluice sync run %s %s "
			       "--follow`\n",
			       sc->target, sc->target, sc->source);
	}
	sl_sync_status_free(st);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	sync_cli sc = { 0 };
	sl_sync_opts o = SL_SYNC_OPTS_INIT;
	sync_args a = {
		.sub = argc > 1 ? argv[1] : NULL, .jobs = 2, .batch = 5000, .max_rate = 0, .retry = 300
	};
	const char *pos[2];
	int prc = sync_parse(argc, argv, &sc, &a, pos);
	if (prc >= 0)
		return prc;
	const char *tables = a.tables, *domain = a.domain;
	sc.source = pos[0];
	sc.target = pos[1];
	sc.create_target = a.start;
	pthread_mutex_init(&sc.mu, NULL);
	const char **tl = NULL;
	char *tcopy = NULL;
	sl_cast_rules *rules = NULL;
	const char **shard_t = NULL, **shard_c = NULL;
	int ex = EXIT_OK, rc = cli_project_load(&sc.proj, false);
	if (!rc && tables) {
		tcopy = strdup(tables);
		rc = tcopy ? cli_split_list(tcopy, &tl, &o.ntables) : sl_error_nomem();
		o.tables = tl;
	} else if (!rc && domain) {
		rc = cli_project_domain(&sc.proj, domain, &tl, &o.ntables);
		o.tables = tl;
	}
	if (!rc)
		rc = cli_project_cast_rules(&rules, &sc.proj);
	/* start: the initial copy takes the target's flavour and copy.distribution as copy does */
	if (!rc && a.start)
		rc = cli_project_flavour(&o.flavour, &sc.proj, sc.target, a.flavour);
	if (!rc && a.start)
		rc = cli_project_distribution(&sc.proj, &shard_t, &shard_c, &o.nshard);
	o.shard_tables = shard_t;
	o.shard_columns = shard_c;
	if (rc) {
		ex = cli_fail(rc);
		goto done;
	}
	o.rules = rules;
	o.connect = connect_side;
	o.connect_ud = &sc;
	o.on_event = on_event;
	o.event_ud = &sc;
	o.on_copy_event = on_copy_event;
	o.copy_event_ud = &sc;
	o.copy_jobs = (int)a.jobs;
	o.no_copy = a.no_copy;
	o.resume = a.resume;
	o.force = a.force;
	o.follow = a.follow;
	o.batch_rows = (size_t)a.batch;
	o.max_rate = (double)a.max_rate;
	o.retry_seconds = (double)a.retry;
	o.stop = &stop_flag;

	rc = sync_dispatch(&sc, &o, &a, &ex);
	if (rc)
		ex = cli_fail(rc);
done:
	sl_cast_rules_free(rules);
	free(shard_t);
	free(shard_c);
	free(tl);
	free(tcopy);
	cli_project_free(&sc.proj);
	pthread_mutex_destroy(&sc.mu);
	return ex;
}
