/*
 * cmd_worker.c - `sluice worker STATE_URL`: one worker of distributed copies
 * and diffs (docs/commands/distributed.md). Claims chunks from the work
 * table in the PostgreSQL database STATE_URL until none is left.
 *
 * The databases: --source/--target (a URL or an environment of this
 * machine's sluice.yaml) when given, else what the run recorded: the
 * coordinator's environment names (resolved here, in this worker's own
 * sluice.yaml, with its own password_env), or its URLs when they held no
 * password. The work table never holds a password.
 */
#include "cli.h"
#include "dist_cli.h"

#include "sluice/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct worker_cli {
	cli_project *proj;
	const char *source, *target; /* --source, --target (NULL: the run's) */
	bool quiet;
} worker_cli;

static int connect_side(sl_conn **out, const sl_dist_run *run, sl_copy_side side, void *ud)
{
	worker_cli *w = ud;
	bool src = side == SL_COPY_SOURCE;
	const char *name = src ? w->source : w->target;
	if (!name)
		name = src ? run->source_ref : run->target_ref;
	if (!name || !*name)
		return sl_error_set(
			SL_EINVALID,
			"run %s names its %s as %s, which holds a password the work table does not "
			"keep: start the worker with --%s URL|ENV",
			run->id, src ? "source" : "target", src ? run->source : run->target,
			src ? "source" : "target");
	int rc = cli_project_connect(out, w->proj, name);
	if (rc)
		sl_error_prefix("%s", src ? "source" : "target");
	return rc;
}

static void log_line(void *ud, const char *line)
{
	worker_cli *w = ud;
	if (!w->quiet) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
}

static bool interrupted(void *ud)
{
	(void)ud;
	return cli_interrupted() != 0;
}

/* The worker's command line, once parsed. */
typedef struct worker_args {
	const char *state_url; /* STATE_URL */
	const char *id, *run;  /* --id (default HOST:PID in name), --run */
	long idle, max_chunks;
	bool verbose;
	char name[128];
} worker_args;

/* Parses the worker's command line into w and a; -1 to go on, else the exit code. */
static int worker_parse(int argc, char **argv, worker_cli *w, worker_args *a)
{
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default sluice.yaml): environments and casts", &w->proj->config_path },
		{ "source", 0, CLI_STRING, "URL|ENV", "the source (default: what the run recorded)",
		  &w->source },
		{ "target", 0, CLI_STRING, "URL|ENV", "the target (default: what the run recorded)",
		  &w->target },
		{ "id", 0, CLI_STRING, "NAME", "this worker's name in the work table (default HOST:PID)",
		  &a->id },
		{ "run", 0, CLI_STRING, "ID", "work on this run only (default: any active run)", &a->run },
		{ "idle", 0, CLI_INT, "SECONDS",
		  "exit after this long with nothing to claim and no chunk running anywhere (default 5)",
		  &a->idle },
		{ "max-chunks", 0, CLI_INT, "N", "exit after N chunks (default: no limit)", &a->max_chunks },
		{ "verbose", 'v', CLI_FLAG, NULL, "a line per committed batch", &a->verbose },
		{ "quiet", 'q', CLI_FLAG, NULL, "no progress lines on stderr", &w->quiet },
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("worker", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return cli_usage_error("worker", "expected STATE_URL (a postgres:// URL of the state store)");
	if (a->idle < 1 || a->max_chunks < 0)
		return cli_usage_error("worker",
				       "--idle takes a positive number of seconds, --max-chunks N >= 0");
	a->state_url = pos[0];
	if (!a->id) {
		char host[64] = "localhost";
		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		snprintf(a->name, sizeof(a->name), "%s:%ld", host, (long)getpid());
		a->id = a->name;
	}
	return -1;
}

/* Works the chunks of the state store d until none is left (or an interrupt) and
 * says what was done; returns the exit code. */
static int worker_work(sl_dist *d, worker_cli *w, const worker_args *a, const sl_cast_rules *rules,
		       const char **sens, size_t nsens)
{
	sl_dist_worker_opts o = { 0 };
	const char **shard_t = NULL, **shard_c = NULL;
	int lrc = cli_project_distribution(w->proj, &shard_t, &shard_c, &o.nshard);
	if (lrc)
		return cli_fail(lrc);
	o.shard_tables = shard_t;
	o.shard_columns = shard_c;
	sl_dist_worker_stats st = { 0 };
	int ex = EXIT_OK;
	o.name = a->id;
	o.run_id = a->run;
	o.idle_s = (int)a->idle;
	o.max_chunks = a->max_chunks;
	o.connect = connect_side;
	o.connect_ud = w;
	o.rules = rules;
	o.sensitive = sens;
	o.nsensitive = nsens;
	o.log = log_line;
	o.log_ud = w;
	o.verbose = a->verbose;
	o.interrupted = interrupted;
	cli_signals_graceful();
	int rc = sl_dist_worker_run(d, &o, &st);
	cli_signals_immediate(NULL);
	if (!w->quiet)
		fprintf(stderr,
			"worker %s: %d chunks done, %d given up, %d failed attempts, %" PRId64 " rows\n",
			a->id, st.chunks_done, st.chunks_lost, st.chunks_failed, st.rows);
	if (rc == SL_EINTERRUPTED) {
		cli_report_error(rc);
		ex = cli_interrupt_exit();
	} else if (rc) {
		ex = cli_fail(rc);
	}
	free(shard_t);
	free(shard_c);
	return ex;
}

int cmd_worker(int argc, char **argv)
{
	cli_project p = { 0 };
	worker_cli w = { .proj = &p };
	worker_args a = { .idle = 5 };
	int ex = worker_parse(argc, argv, &w, &a);
	if (ex >= 0)
		return ex;
	sl_dist *d = NULL;
	sl_cast_rules *rules = NULL;
	const char **sens = NULL;
	size_t nsens = 0;
	int rc = cli_project_load(&p, false);
	if (!rc)
		rc = cli_project_cast_rules(&rules, &p);
	if (!rc)
		rc = cli_project_sensitive(&p, &sens, &nsens);
	if (!rc)
		rc = dist_cli_open(&d, a.state_url);
	ex = rc ? cli_fail(rc) : worker_work(d, &w, &a, rules, sens, nsens);
	sl_dist_close(d);
	sl_cast_rules_free(rules);
	free(sens);
	cli_project_free(&p);
	return ex;
}
