/*
 * cmd_snapshot.c - `sluice snapshot SOURCE TARGET`: an anonymized,
 * referentially complete copy for staging (docs/commands/snapshot.md).
 * Thin: resolves the two sides, reads the snapshot section of sluice.yaml
 * and the key from the environment variable --key-env names, prints
 * progress and the report, and records the report in the state store; the
 * work is sl_snapshot_run() (src/snapshot/). The key is never printed.
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/snapshot.h"
#include "sluice/state.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct snap_cli {
	cli_project *proj;
	const char *source, *target;
	pthread_mutex_t mu; /* cli_project_connect touches the environment */
	bool quiet;
} snap_cli;

static int connect_side(sl_conn **out, sl_copy_side side, void *ud)
{
	snap_cli *sc = ud;
	pthread_mutex_lock(&sc->mu);
	/* the target is a copy's target: a new SQLite file is created */
	int rc = side == SL_COPY_SOURCE ? cli_project_connect(out, sc->proj, sc->source)
					: cli_project_connect_target(out, sc->proj, sc->target);
	pthread_mutex_unlock(&sc->mu);
	if (rc)
		sl_error_prefix("%s", side == SL_COPY_SOURCE ? "source" : "target");
	return rc;
}

/* Called under the library's event mutex. */
static void on_event(void *ud, const sl_copy_event *ev)
{
	snap_cli *sc = ud;
	switch (ev->kind) {
	case SL_COPY_EV_PHASE:
		if (!sc->quiet)
			fprintf(stderr, "phase %s\n", ev->phase);
		break;
	case SL_COPY_EV_NOTICE:
		fprintf(stderr, "%s\n", ev->message);
		break;
	case SL_COPY_EV_TABLE_DONE:
		if (!sc->quiet)
			fprintf(stderr,
				"copied \"%s\"%s: %" PRId64 " read, %" PRId64 " written, %" PRId64
				" rejected\n",
				ev->table, ev->nparts > 1 ? " (one key range)" : "", ev->read, ev->written,
				ev->rejected);
		break;
	default:
		break;
	}
}

/* The key from the environment variable name; never printed. */
static int read_key(const char *name, const char **key, size_t *len)
{
	const char *v = getenv(name);
	if (!v)
		return sl_error_set(SL_EINVALID, "--key-env %s: the environment variable is not set", name);
	if (strlen(v) < 16)
		return sl_error_set(
			SL_EINVALID,
			"--key-env %s: the key is shorter than 16 characters; use a long random secret "
			"(e.g. `openssl rand -hex 32`)",
			name);
	*key = v;
	*len = strlen(v);
	return 0;
}

static int record(cli_project *p, const sl_snapshot_report *r, bool quiet)
{
	const char *path = p->cfg ? sl_config_resolve(p->cfg, p->cfg->state) : ".sluice/state.db";
	sl_state *st = NULL;
	int64_t id = 0;
	int rc = sl_state_open(&st, path);
	if (!rc)
		rc = sl_state_snapshot_add(st, r, &id);
	sl_state_close(st);
	if (!rc && !quiet)
		fprintf(stderr, "report recorded as snapshot %" PRId64 " in %s\n", id, path);
	return rc;
}

/* snapshot's numbers and flags; -1 when they are fine, else the exit code. */
static int check_args(int npos, const sl_snapshot_opts *o, long jobs, long max_rejects, long batch_rows,
		      long sample)
{
	if (npos != 2)
		return cli_usage_error("snapshot",
				       "expected SOURCE and TARGET (database URLs or environments)");
	if (o->copy.resume && o->copy.restart)
		return cli_usage_error("snapshot", "--resume and --restart exclude each other");
	if (jobs < 1 || jobs > 64 || max_rejects < 0 || batch_rows < 1 || sample < 1)
		return cli_usage_error("snapshot",
				       "--jobs takes 1-64; --max-rejects, --batch-rows and --sample a "
				       "positive number");

	return -1;
}

/* The options from the command line and sluice.yaml's snapshot: section (the key read from key_env). */
static int snapshot_opts(sl_snapshot_opts *o, snap_cli *sc, const sl_snapshot_config *cfg,
			 const char *key_env, const char *subset, long sample, long jobs, long batch_rows,
			 long max_rejects)
{
	int rc = 0;
	if (!key_env && cfg)
		key_env = cfg->key_env;
	if (!subset && cfg)
		subset = cfg->subset;
	if (key_env) {
		const char *key = NULL;
		if ((rc = read_key(key_env, &key, &o->key_len)) != 0)
			return rc;
		o->key = key;
	}
	o->config = cfg;
	o->subset = subset;
	o->pii_sample = (int)sample;
	o->copy.jobs = (int)jobs;
	o->copy.batch_rows = (size_t)batch_rows;
	o->copy.max_rejects = max_rejects;
	o->copy.connect = connect_side;
	o->copy.connect_ud = sc;
	o->copy.on_event = on_event;
	o->copy.event_ud = sc;
	return rc;
}

/* Prints the report and records it in the state store; rc, the run's outcome, wins over the record's. */
static int print_and_record(cli_project *p, const sl_snapshot_report *rep, bool json, bool quiet, int rc)
{
	sl_buf b = SL_BUF_INIT;
	int prc2 = json ? sl_snapshot_report_json(&b, rep) : sl_snapshot_report_text(&b, rep);
	if (!prc2)
		fwrite(b.ptr, 1, b.len, stdout);
	sl_buf_free(&b);
	char *msg = rc ? strdup(sl_error_last()->message) : NULL;
	int code = rc ? sl_error_last()->code : 0;
	int src = record(p, rep, quiet);
	if (src && !rc)
		rc = src;
	else if (rc)
		sl_error_set(code, "%s", msg ? msg : "snapshot failed");
	free(msg);
	return rc;
}

/* What a snapshot takes from the project as a copy does: cast rules, the target flavour
 * (--target-flavour or the environment's) and copy.distribution. */
typedef struct snap_lists {
	sl_cast_rules *rules;
	const char **shard_t, **shard_c;
} snap_lists;

static int snapshot_as_copy(sl_copy_opts *o, cli_project *p, const char *target, const char *flavour,
			    snap_lists *l)
{
	int rc = cli_project_cast_rules(&l->rules, p);
	o->rules = l->rules;
	if (!rc)
		rc = cli_project_flavour(&o->flavour, p, target, flavour);
	if (!rc)
		rc = cli_project_distribution(p, &l->shard_t, &l->shard_c, &o->nshard);
	o->shard_tables = l->shard_t;
	o->shard_columns = l->shard_c;
	return rc;
}

static void snap_lists_free(snap_lists *l)
{
	sl_cast_rules_free(l->rules);
	free(l->shard_t);
	free(l->shard_c);
}

int cmd_snapshot(int argc, char **argv)
{
	cli_project p = { 0 };
	sl_snapshot_opts o = SL_SNAPSHOT_OPTS_INIT;
	const char *tables = NULL, *subset = NULL, *key_env = NULL, *flavour = NULL;
	bool json = false, quiet = false;
	long jobs = 2, batch_rows = 10000, max_rejects = 0, sample = 200;
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default sluice.yaml): environments and the snapshot section",
		  &p.config_path },
		{ "subset", 's', CLI_STRING, "SPEC",
		  "copy a referentially complete subset: \"customers: 5%\" or \"TABLE: CONDITION\" (roots "
		  "separated by \";\")",
		  &subset },
		{ "key-env", 'k', CLI_STRING, "NAME", "the environment variable holding the masking key",
		  &key_env },
		{ "tables", 't', CLI_STRING, "A,B", "snapshot only these source tables", &tables },
		{ "resume", 0, CLI_FLAG, NULL, "continue the unfinished snapshot recorded in the target",
		  &o.copy.resume },
		{ "restart", 0, CLI_FLAG, NULL, "forget an unfinished snapshot in the target and start again",
		  &o.copy.restart },
		{ "jobs", 'j', CLI_INT, "N", "worker threads, each with its own connections (default 2)",
		  &jobs },
		{ "batch-rows", 0, CLI_INT, "N", "rows per committed batch (default 10000)", &batch_rows },
		{ "max-rejects", 0, CLI_INT, "N", "halt when more than N rows are rejected (default 0)",
		  &max_rejects },
		{ "sample", 0, CLI_INT, "N", "rows per table the personal-data check samples (default 200)",
		  &sample },
		{ "target-flavour", 0, CLI_STRING, "NAME",
		  "adapt the DDL to citus, yugabyte, cockroach or vitess (as sluice copy)", &flavour },
		{ "json", 0, CLI_FLAG, NULL, "print the report as JSON on stdout", &json },
		{ "quiet", 'q', CLI_FLAG, NULL, "no per-table lines on stderr", &quiet },
		{ 0 }
	};
	const char *pos[2];
	int npos = 0, prc = cli_parse("snapshot", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	int arc = check_args(npos, &o, jobs, max_rejects, batch_rows, sample);
	if (arc >= 0)
		return arc;
	snap_cli sc = { .proj = &p, .source = pos[0], .target = pos[1], .quiet = quiet };
	pthread_mutex_init(&sc.mu, NULL);
	sl_snapshot_config *cfg = NULL;
	sl_snapshot_report *rep = NULL;
	const char **tl = NULL;
	char *tcopy = NULL;
	snap_lists l = { 0 };
	int ex = EXIT_OK;
	int rc = cli_project_load(&p, false);
	if (!rc)
		rc = sl_snapshot_config_load(&cfg, p.cfg);
	if (!rc) /* a snapshot is a copy: the same cast rules and flavour */
		rc = snapshot_as_copy(&o.copy, &p, pos[1], flavour, &l);
	if (!rc && tables) {
		tcopy = strdup(tables);
		rc = tcopy ? cli_split_list(tcopy, &tl, &o.copy.ntables) : sl_error_nomem();
		o.copy.tables = tl;
	}
	if (!rc)
		rc = snapshot_opts(&o, &sc, cfg, key_env, subset, sample, jobs, batch_rows, max_rejects);
	if (rc) {
		ex = cli_fail(rc);
		goto done;
	}
	rc = sl_snapshot_run(&rep, &o);
	if (rep && rep->copy)
		rc = print_and_record(&p, rep, json, quiet, rc);
	if (rc)
		ex = cli_fail(rc);
	else
		ex = rep && rep->ok ? EXIT_OK : EXIT_PROBLEMS;
done:
	sl_snapshot_report_free(rep);
	sl_snapshot_config_free(cfg);
	snap_lists_free(&l);
	free(tl);
	free(tcopy);
	cli_project_free(&p);
	pthread_mutex_destroy(&sc.mu);
	return ex;
}
