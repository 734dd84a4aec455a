/*
 * cmd_copy.c - `sluice copy SOURCE TARGET`: schema and data between any two
 * engines (docs/commands/copy.md). Thin: resolves the two sides (URL or
 * sluice.yaml environment), reads cast rules from sluice.yaml `casts:`,
 * prints the plan, progress (stderr, only on a terminal) and the summary;
 * the work is sl_copy_run() (src/copy/).
 */
#include "cli.h"
#include "dist_cli.h"
#include "project.h"

#include "sluice/copy.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct copy_cli {
	cli_project *proj;
	const char *source, *target;
	pthread_mutex_t mu; /* cli_project_connect touches the environment */
	bool progress;      /* stderr is a terminal */
	bool quiet;
	double t0;
	double last_draw;
} copy_cli;

static int connect_side(sl_conn **out, sl_copy_side side, void *ud)
{
	copy_cli *cc = ud;
	pthread_mutex_lock(&cc->mu);
	int rc = side == SL_COPY_SOURCE ? cli_project_connect(out, cc->proj, cc->source)
					: cli_project_connect_target(out, cc->proj, cc->target);
	pthread_mutex_unlock(&cc->mu);
	if (rc)
		sl_error_prefix("%s", side == SL_COPY_SOURCE ? "source" : "target");
	return rc;
}

/* Called under the library's event mutex. */
static void on_event(void *ud, const sl_copy_event *ev)
{
	copy_cli *cc = ud;
	switch (ev->kind) {
	case SL_COPY_EV_PHASE:
		if (!cc->quiet)
			fprintf(stderr, "%sphase %s\n", cc->progress ? "\r\033[K" : "", ev->phase);
		break;
	case SL_COPY_EV_NOTICE:
		fprintf(stderr, "%s%s\n", cc->progress ? "\r\033[K" : "", ev->message);
		break;
	case SL_COPY_EV_PROGRESS: {
		if (!cc->progress)
			break;
		double now = sl_now_s();
		if (now - cc->last_draw < 0.2)
			break;
		cc->last_draw = now;
		double el = now - cc->t0;
		double rate = el > 0 ? (double)ev->read / el : 0;
		char eta[32] = "?";
		if (ev->expected > ev->read && rate > 0)
			snprintf(eta, sizeof(eta), "%.0fs", (double)(ev->expected - ev->read) / rate);
		else if (ev->expected >= 0)
			snprintf(eta, sizeof(eta), "0s");
		fprintf(stderr,
			"\r\033[K%s%s: %" PRId64 "/%" PRId64 " rows, %.0f rows/s, %" PRId64
			" rejected, eta %s",
			ev->table, ev->nparts > 1 ? " (range)" : "", ev->read, ev->expected, rate,
			ev->rejected, eta);
		fflush(stderr);
		break;
	}
	case SL_COPY_EV_TABLE_START:
		if (!cc->progress && !cc->quiet && (ev->read > 0))
			fprintf(stderr, "resuming \"%s\" part %d after %" PRId64 " rows\n", ev->table,
				ev->part, ev->read);
		break;
	case SL_COPY_EV_TABLE_DONE:
		if (cc->progress)
			fprintf(stderr, "\r\033[K");
		if (!cc->quiet)
			fprintf(stderr,
				"copied \"%s\"%s: %" PRId64 " read, %" PRId64 " written, %" PRId64
				" rejected\n",
				ev->table, ev->nparts > 1 ? " (one key range)" : "", ev->read, ev->written,
				ev->rejected);
		break;
	}
}

/*
 * --restart over tables sluice did not create: asks on a terminal. Only set
 * when stdin and stderr both are one; a script gets the refusal and --force.
 */
static bool confirm_drop(void *ud, const char *const *tables, size_t n)
{
	(void)ud;
	char line[64];
	fprintf(stderr, "\r\033[K--restart will drop %zu table%s that sluice did not create:\n", n,
		n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  %s\n", tables[i]);
	fprintf(stderr, "Drop them and copy again? [y/N] ");
	fflush(stderr);
	/* nothing is written before the answer: Ctrl-C here may end the program at once */
	cli_signals_immediate("interrupted: nothing was dropped");
	bool yes = fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
	cli_signals_graceful();
	return yes;
}

static bool interrupted(void *ud)
{
	(void)ud;
	return cli_interrupted() != 0;
}

/* `--rejects`: what the copy into the target quarantined, text or JSON. */
static int list_rejects(copy_cli *cc, const sl_copy_opts *o, bool json)
{
	sl_conn *c = NULL;
	sl_copy_rejects *r = NULL;
	sl_buf b = SL_BUF_INIT;
	int rc = cli_project_connect(&c, cc->proj, cc->target);
	if (!rc)
		rc = sl_copy_rejects_read(&r, c, o->tables, o->ntables, o->sensitive, o->nsensitive);
	if (!rc)
		rc = json ? sl_copy_rejects_json(&b, r) : sl_copy_rejects_text(&b, r);
	if (!rc)
		fwrite(b.ptr, 1, b.len, stdout);
	sl_buf_free(&b);
	sl_copy_rejects_free(r);
	sl_conn_close(c);
	return rc ? cli_fail(rc) : EXIT_OK;
}

static void print_summary(const sl_copy_result *r)
{
	printf("%-32s %12s %12s %10s\n", "table", "read", "written", "rejected");
	for (size_t i = 0; i < r->ntables; i++) {
		const sl_copy_table_result *t = &r->tables[i];
		printf("%-32s %12" PRId64 " %12" PRId64 " %10" PRId64 "%s%s\n", t->table, t->read, t->written,
		       t->rejected, t->keyless ? "  (no key: loaded whole)" : "",
		       t->done ? "" : "  (unfinished)");
	}
	for (size_t i = 0; i < r->ntables; i++)
		for (size_t k = 0; k < r->tables[i].nlosses; k++) {
			const sl_copy_loss_count *l = &r->tables[i].losses[k];
			printf("changed \"%s\".\"%s\": %" PRId64 " value%s: %s (%s)\n", r->tables[i].table,
			       l->column, l->values, l->values == 1 ? "" : "s", sl_copy_loss_text(l->kind),
			       sl_copy_loss_name(l->kind));
		}
	for (size_t i = 0; i < r->ntables; i++)
		if (r->tables[i].failed)
			printf("table \"%s\" not created: %s\n", r->tables[i].table,
			       r->tables[i].error ? r->tables[i].error : "");
	for (size_t i = 0; i < r->nviolations; i++) {
		const sl_copy_violation *v = &r->violations[i];
		if (v->rows >= 0)
			printf("constraint \"%s\" on \"%s\": %" PRId64 " violating rows\n", v->constraint,
			       v->table, v->rows);
		else
			printf("constraint on \"%s\" not created: %s\n", v->table, v->message);
	}
	double rate = r->seconds > 0 ? (double)r->read / r->seconds : 0;
	const char *state = r->finished ? "finished"
			    : r->halted ? "halted"
			    : r->failed ? "incomplete"
					: "stopped";
	printf("copy %s: %zu tables, %" PRId64 " rows read, %" PRId64 " written, %" PRId64
	       " rejected, %" PRId64 " values changed by lossy casts, %zu constraint problems, %zu objects "
	       "not translated, %zu tables not created, %.1fs (%.0f rows/s)%s\n",
	       state, r->ntables, r->read, r->written, r->rejected, r->changed, r->nviolations,
	       r->not_translated, r->failed, r->seconds, rate,
	       r->finished               ? ""
	       : r->halted || !r->failed ? "; resume with --resume"
					 : "; fix the tables not created (a cast rule in sluice.yaml) and "
					   "resume with --resume");
}

static int plan_only(copy_cli *cc, const sl_copy_opts *o, bool json, bool force)
{
	sl_conn *src = NULL;
	sl_url *u = NULL;
	sl_copy_plan *plan = NULL;
	sl_buf out = SL_BUF_INIT;
	char *unreached = NULL;
	const char *turl = cc->target;
	int rc = 0;
	if (!strchr(turl, ':')) {
		turl = cc->proj->cfg ? sl_config_env_url(cc->proj->cfg, cc->target) : NULL;
		if (!turl)
			rc = sl_error_set(SL_EINVALID, "\"%s\" is neither a database URL nor an environment",
					  cc->target);
	}
	if (!rc)
		rc = sl_url_parse(&u, turl);
	if (!rc)
		rc = connect_side(&src, SL_COPY_SOURCE, cc);
	if (!rc)
		rc = sl_copy_plan_new(&plan, src, u->engine, o);
	if (!rc)
		rc = sl_copy_plan_check(plan, o, &unreached);
	if (!rc && unreached) /* the plan itself says the DDL is unchecked */
		fprintf(stderr, "sluice: warning: the DDL is not checked on the target: %s\n", unreached);
	free(unreached);
	if (!rc)
		rc = json ? sl_cast_plan_json(&out, sl_copy_plan_casts(plan)) : sl_copy_plan_text(&out, plan);
	if (!rc)
		fwrite(out.ptr, 1, out.len, stdout);
	size_t nerr = rc ? 0 : sl_copy_plan_count(plan, SL_CAST_ERROR);
	sl_buf_free(&out);
	sl_copy_plan_free(plan);
	sl_conn_close(src);
	sl_url_free(u);
	if (rc)
		return cli_fail(rc);
	if (nerr && !force) {
		return cli_usage_error("copy", "the plan has %zu error note%s: add cast rules or use --force",
				       nerr, nerr == 1 ? "" : "s");
	}
	return EXIT_OK;
}

/* The run as the state store records it (`sluice report`), through cli_project_record. */
typedef struct copy_record {
	const copy_cli *cc;
	const sl_copy_result *res;
	const char *error;
} copy_record;

static int record(sl_state *st, void *ud)
{
	const copy_record *x = ud;
	char s[512], t[512];
	cli_project_display(x->cc->proj, x->cc->source, s, sizeof(s));
	cli_project_display(x->cc->proj, x->cc->target, t, sizeof(t));
	return sl_state_copy_record(st, x->res, s, t, x->error, NULL);
}

/* The options that shape the run, beside sl_copy_opts. */
typedef struct copy_flags {
	bool plan, rejects, json, strict;
	const char *tables, *domain;
	long jobs, max_rejects, batch_rows;
	const char *distributed, *run; /* --distributed STATE_URL, --run ID */
	bool detach, finish, retry_failed;
	long part_rows, lease, max_attempts;
	const char *flavour; /* --target-flavour */
	cli_list schemas;    /* --schema; sl_copy_opts.schemas points into it */
	bool quiet;
} copy_flags;

/* What the run's options point into; freed by the caller. */
typedef struct copy_lists {
	const char **tl, **sens, **shard_t, **shard_c;
	char *tcopy;
	sl_cast_rules *rules;
} copy_lists;

/* Progress on stderr only on a terminal without NO_COLOR and without --json; the clock starts. */
static void start_cli(copy_cli *cc, bool json)
{
	const char *nc = getenv("NO_COLOR");
	cc->progress = isatty(fileno(stderr)) && !json && !(nc && *nc);
	cc->t0 = sl_now_s();
	pthread_mutex_init(&cc->mu, NULL);
}

/* EXIT_USAGE (with the message) for options that do not go together, else 0. */
static int check_usage(const copy_flags *f, sl_copy_opts *o, int npos, const cli_list *schemas)
{
	if (f->rejects && (npos < 1 || f->plan))
		return cli_usage_error("copy", "--rejects takes TARGET (and no --plan)");
	if ((f->detach || f->finish || f->run) && !f->distributed)
		return cli_usage_error("copy",
				       "--detach, --finish and --run go with --distributed STATE_URL");
	if (f->distributed &&
	    (f->plan || f->rejects || o->resume || o->restart || o->schema_only || o->data_only))
		return cli_usage_error("copy",
				       "--distributed plans a new copy: no --plan, --rejects, --resume, "
				       "--restart, --schema-only or --data-only");
	if (f->distributed && (f->part_rows < 1 || f->lease < 1 || f->max_attempts < 1))
		return cli_usage_error("copy",
				       "--part-rows, --lease and --max-attempts take a positive number");
	if (f->retry_failed && !f->finish)
		return cli_usage_error("copy", "--retry-failed goes with --distributed URL --finish");
	if (f->flavour && (f->finish || f->rejects))
		return cli_usage_error("copy",
				       "--target-flavour plans a copy: not with --finish or --rejects "
				       "(the run keeps its own)");
	if (f->finish && f->detach)
		return cli_usage_error("copy", "--finish and --detach exclude each other");
	if (npos != 2 && !f->rejects && !(f->finish && npos == 0))
		return cli_usage_error("copy", "expected SOURCE and TARGET (database URLs or environments)");
	if (o->schema_only && o->data_only)
		return cli_usage_error("copy", "--schema-only and --data-only exclude each other");
	if (o->resume && o->restart)
		return cli_usage_error("copy", "--resume and --restart exclude each other");
	if (f->tables && f->domain)
		return cli_usage_error("copy", "--tables and --domain exclude each other");
	if (schemas->n && o->all_schemas)
		return cli_usage_error("copy", "--schema and --all-schemas exclude each other");
	o->schemas = schemas->v;
	o->nschemas = schemas->n;
	if (f->jobs < 1 || f->jobs > 64 || f->max_rejects < 0 || f->batch_rows < 1)
		return cli_usage_error("copy",
				       "--jobs takes 1-64, --max-rejects and --batch-rows a positive number");
	return 0;
}

/* The tables (--tables or --domain), cast rules and sensitive columns of the project. */
static int load_lists(copy_lists *l, cli_project *p, const copy_flags *f, sl_copy_opts *o)
{
	int rc = 0;
	if (f->tables) {
		l->tcopy = strdup(f->tables);
		rc = l->tcopy ? cli_split_list(l->tcopy, &l->tl, &o->ntables) : sl_error_nomem();
		o->tables = l->tl;
	} else if (f->domain) {
		rc = cli_project_domain(p, f->domain, &l->tl, &o->ntables);
		o->tables = l->tl;
	}
	if (!rc)
		rc = cli_project_cast_rules(&l->rules, p);
	if (!rc)
		rc = cli_project_sensitive(p, &l->sens, &o->nsensitive);
	o->sensitive = l->sens;
	if (!rc)
		rc = cli_project_distribution(p, &l->shard_t, &l->shard_c, &o->nshard);
	o->shard_tables = l->shard_t;
	o->shard_columns = l->shard_c;
	return rc;
}

static void set_run_opts(sl_copy_opts *o, const copy_flags *f, copy_cli *cc, const copy_lists *l)
{
	o->rules = l->rules;
	o->max_rejects = f->max_rejects;
	o->jobs = (int)f->jobs;
	o->batch_rows = (size_t)f->batch_rows;
	o->connect = connect_side;
	o->connect_ud = cc;
	o->on_event = on_event;
	o->event_ud = cc;
	o->interrupted = interrupted;
	if (isatty(fileno(stdin)) && isatty(fileno(stderr)))
		o->confirm_drop = confirm_drop;
}

/* Prints the summary of a run (also a failed one) and decides the exit code. */
static int report_copy(copy_cli *cc, const copy_flags *f, sl_copy_result *res, int rc)
{
	int ex = EXIT_OK;
	if (cc->progress)
		fprintf(stderr, "\r\033[K");
	if (res && res->tables) {
		if (f->json) {
			sl_buf b = SL_BUF_INIT;
			if (!sl_copy_result_json(&b, res))
				fwrite(b.ptr, 1, b.len, stdout);
			sl_buf_free(&b);
		} else
			print_summary(res);
	}
	if (rc)
		ex = cli_fail(rc);
	else if (res && res->failed)
		ex = EXIT_INCOMPLETE;
	else if (res && res->nviolations)
		ex = EXIT_PROBLEMS;
	else if (res && f->strict && res->changed) {
		fprintf(stderr,
			"sluice: error: copy --strict: %" PRId64
			" value%s changed by lossy casts (listed in the summary)\n",
			res->changed, res->changed == 1 ? "" : "s");
		ex = EXIT_PROBLEMS;
	}
	if (res) {
		copy_record x = { .cc = cc,
				  .res = res,
				  .error = rc ? strdup(sl_error_last()->message) : NULL };
		cli_project_record(cc->proj, record, &x);
		free((char *)x.error);
	}
	sl_copy_result_free(res);
	return ex;
}

/* Runs the copy, prints its summary and decides the exit code. */
static int run_copy(copy_cli *cc, const sl_copy_opts *o, const copy_flags *f)
{
	sl_copy_result *res = NULL;
	cli_signals_graceful(); /* Ctrl-C stops after the last committed batch */
	int rc = sl_copy_run(&res, o);
	cli_signals_immediate(NULL);
	return report_copy(cc, f, res, rc);
}

/* --finish --retry-failed: the failed chunks go back to the workers. */
static int retry_failed(sl_dist *d, const sl_dist_run *run, const sl_copy_opts *o)
{
	int64_t n = 0;
	bool lost = false;
	int rc = sl_dist_copy_retry(d, run, o, &n, &lost);
	if (!rc && lost)
		fprintf(stderr,
			"sluice: warning: run %s: its source snapshot %s is gone; the retried chunks read "
			"the source at their own moments (recorded in the run, shown by status)\n",
			run->id, run->snapshot);
	if (!rc)
		fprintf(stderr, "run %s: %lld failed chunk%s put back for the workers\n", run->id,
			(long long)n, n == 1 ? "" : "s");
	return rc;
}

/* Plans the run; *holder keeps the source snapshot open while a coordinator waits. */
static int plan_distributed(copy_cli *cc, sl_copy_opts *o, const copy_flags *f, sl_dist *d, sl_dist_run *run,
			    sl_conn **holder)
{
	char sd[SL_DIST_NAME_MAX], sr[SL_DIST_NAME_MAX], td[SL_DIST_NAME_MAX], tr[SL_DIST_NAME_MAX];
	sl_copy_result *res = NULL;
	dist_cli_names(cc->proj, cc->source, sd, sr, sizeof(sd));
	dist_cli_names(cc->proj, cc->target, td, tr, sizeof(td));
	const char *names[4] = { sd, td, sr, tr };
	sl_dist_plan_opts plo = { .lease_s = (int)f->lease, .max_attempts = (int)f->max_attempts };
	int rc = sl_dist_copy_plan(d, o, names, &plo, run, &res, f->detach ? NULL : holder);
	sl_copy_result_free(res);
	if (!rc)
		printf("planned distributed copy %s (target run %s); start workers with: sluice worker %s\n"
		       "source snapshot: %s\n",
		       run->id, run->copy_run, sl_dist_display(d), run->snapshot_mode);
	fflush(stdout);
	return rc;
}

/* --finish: the run named (or the newest), with the sides it recorded unless given. */
static int find_distributed(copy_cli *cc, const sl_copy_opts *o, const copy_flags *f, sl_dist *d,
			    sl_dist_run *run)
{
	int rc = sl_dist_run_get(d, f->run, run);
	if (!rc && !cc->source) {
		cc->source = run->source_ref[0] ? run->source_ref : NULL;
		cc->target = run->target_ref[0] ? run->target_ref : NULL;
		if (!cc->source || !cc->target)
			rc = sl_error_set(
				SL_EINVALID,
				"run %s names a side by a URL with a password: give SOURCE and TARGET",
				run->id);
	}
	if (!rc && f->retry_failed)
		rc = retry_failed(d, run, o);
	return rc;
}

/* The summary's last lines: who finished the run, what its reads of the source were. */
static void print_run_end(sl_dist *d, const char *id, bool json)
{
	sl_dist_run run = { 0 };
	FILE *to = json ? stderr : stdout;
	if (sl_dist_run_get(d, id, &run) == 0) {
		if (run.finished_by[0])
			fprintf(to, "run %s finished (post-data by %s)\n", run.id, run.finished_by);
		fprintf(to, "source snapshot: %s\n",
			run.snapshot_mode[0] ? run.snapshot_mode : "not recorded");
	}
	sl_error_clear();
	sl_dist_run_clear(&run);
}

/*
 * --distributed: plans the run (copy's pre-data phase, then one chunk per
 * part in the work table), waits for the workers unless --detach (holding
 * the source snapshot, where the source exports one, while it waits), then
 * runs copy's post-data phase; --finish only waits and finishes.
 */
static int run_distributed(copy_cli *cc, sl_copy_opts *o, const copy_flags *f)
{
	sl_dist *d = NULL;
	sl_dist_run run = { 0 };
	sl_copy_result *res = NULL;
	sl_conn *holder = NULL;
	char id[64] = "";
	int rc = dist_cli_open(&d, f->distributed);
	if (rc == SL_EINVALID) {
		cli_report_error(rc);
		return EXIT_USAGE;
	}
	o->part_rows = f->part_rows;
	o->split_rows = f->part_rows; /* any table above one chunk is split */
	cli_signals_graceful();
	if (!rc)
		rc = f->finish ? find_distributed(cc, o, f, d, &run)
			       : plan_distributed(cc, o, f, d, &run, &holder);
	if (!rc && f->detach)
		goto done;
	if (!rc && strcmp(run.state, "finished") == 0 && run.finished_by[0]) {
		print_run_end(d, run.id, false); /* finished already, by a worker or another --finish */
		goto done;
	}
	if (!rc && strcmp(run.state, "loading") == 0)
		rc = dist_cli_wait(d, run.id, cc->quiet);
	if (rc && holder) {
		char *m = strdup(sl_error_last()->message);
		rc = sl_error_set(
			rc,
			"%s; the run's source snapshot ends with this command: the chunks not yet read "
			"will fail (`--finish --retry-failed` then goes on without it)",
			m ? m : "stopped");
		free(m);
	}
	/* every chunk read: the snapshot's transaction ends */
	sl_conn_close(holder);
	holder = NULL;
	snprintf(id, sizeof(id), "%s", run.id);
	if (!rc) {
		sl_dist_run_clear(&run);
		rc = sl_dist_run_get(d, id, &run);
	}
	if (!rc && strcmp(run.state, "finished") == 0) {
		print_run_end(d, id, false); /* the last worker ran post-data meanwhile */
		goto done;
	}
	if (!rc) {
		cli_signals_immediate(NULL);
		rc = sl_dist_copy_finish(d, &run, o, "coordinator", &res);
		int ex = report_copy(cc, f, res, rc);
		if (!rc)
			print_run_end(d, id, f->json);
		sl_dist_close(d);
		sl_dist_run_clear(&run);
		return ex;
	}
done:
	cli_signals_immediate(NULL);
	sl_conn_close(holder);
	sl_dist_close(d);
	sl_dist_run_clear(&run);
	return rc ? cli_fail(rc) : EXIT_OK;
}

/* Parses copy's command line into p's file, o, f and pos (*npos of them); -1 to go on,
 * else the exit code. */
static int copy_parse(int argc, char **argv, cli_project *p, sl_copy_opts *o, copy_flags *f,
		      const char *pos[2], int *npos)
{
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file (default sluice.yaml): environments and casts", &p->config_path },
		{ "tables", 't', CLI_STRING, "A,B", "copy only these source tables", &f->tables },
		{ "domain", 0, CLI_STRING, "NAME", "copy only the tables of this domain of sluice.yaml",
		  &f->domain },
		{ "schema", 0, CLI_LIST, "NAME",
		  "PostgreSQL source: copy this schema (default: the search path's first)", &f->schemas },
		{ "all-schemas", 0, CLI_FLAG, NULL,
		  "PostgreSQL source: copy every schema but the system ones", &o->all_schemas },
		{ "plan", 0, CLI_FLAG, NULL,
		  "print the cast plan and the target DDL by phase, the DDL checked on the target, then exit "
		  "(2 when it has errors)",
		  &f->plan },
		{ "rejects", 0, CLI_FLAG, NULL,
		  "list the rows the copy into TARGET quarantined (sluice copy --rejects TARGET), then exit",
		  &f->rejects },
		{ "schema-only", 0, CLI_FLAG, NULL, "create the schema, copy no rows", &o->schema_only },
		{ "data-only", 0, CLI_FLAG, NULL, "copy rows into existing tables", &o->data_only },
		{ "resume", 0, CLI_FLAG, NULL, "continue the unfinished copy recorded in the target",
		  &o->resume },
		{ "restart", 0, CLI_FLAG, NULL,
		  "forget an unfinished copy in the target, drop its tables, start again", &o->restart },
		{ "force", 0, CLI_FLAG, NULL,
		  "copy although the plan has error notes; create a table without the defaults the target "
		  "refuses; --restart drops tables sluice did not create without asking",
		  &o->force },
		{ "max-rejects", 0, CLI_INT, "N", "halt when more than N rows are rejected (default 0)",
		  &f->max_rejects },
		{ "strict", 0, CLI_FLAG, NULL,
		  "exit 1 when a lossy cast changed any value (zero date to NULL, rounding); the summary "
		  "counts them",
		  &f->strict },
		{ "jobs", 'j', CLI_INT, "N", "worker threads, each with its own connections (default 2)",
		  &f->jobs },
		{ "batch-rows", 0, CLI_INT, "N", "rows per committed batch (default 10000)", &f->batch_rows },
		{ "target-flavour", 0, CLI_STRING, "NAME",
		  "adapt the DDL to citus, yugabyte, cockroach (PostgreSQL targets) or vitess (MySQL); "
		  "default: the target environment's flavour: (docs/commands/distributed.md)",
		  &f->flavour },
		{ "json", 0, CLI_FLAG, NULL, "print the summary (or the plan) as JSON on stdout", &f->json },
		{ "quiet", 'q', CLI_FLAG, NULL, "no per-table lines on stderr", &f->quiet },
		{ "distributed", 0, CLI_STRING, "STATE_URL",
		  "share the data phase with `sluice worker` processes through a work table in this "
		  "PostgreSQL "
		  "database (docs/commands/distributed.md)",
		  &f->distributed },
		{ "part-rows", 0, CLI_INT, "N",
		  "--distributed: rows per chunk, by the source's estimate (default 100000)", &f->part_rows },
		{ "lease", 0, CLI_INT, "SECONDS",
		  "--distributed: a worker's hold on a chunk between renewals (default 30)", &f->lease },
		{ "detach", 0, CLI_FLAG, NULL, "--distributed: plan and return; finish later with --finish",
		  &f->detach },
		{ "finish", 0, CLI_FLAG, NULL,
		  "--distributed: wait for the run's chunks, then build indexes and constraints",
		  &f->finish },
		{ "run", 0, CLI_STRING, "ID", "--finish: the run (default: the newest)", &f->run },
		{ "max-attempts", 0, CLI_INT, "N",
		  "--distributed: tries of a chunk that fails transiently (lost connection, deadlock) "
		  "(default 3)",
		  &f->max_attempts },
		{ "retry-failed", 0, CLI_FLAG, NULL,
		  "--finish: put the run's failed chunks back for the workers first", &f->retry_failed },
		{ 0 }
	};
	int prc = cli_parse("copy", opts, argc, argv, pos, 2, npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	int uerr = check_usage(f, o, *npos, &f->schemas);
	return uerr ? uerr : -1;
}

int cmd_copy(int argc, char **argv)
{
	cli_project p = { 0 };
	sl_copy_opts o = SL_COPY_OPTS_INIT;
	copy_flags f = {
		.jobs = 2, .batch_rows = 10000, .part_rows = 100000, .lease = 30, .max_attempts = 3
	};
	const char *pos[2];
	int npos = 0, pex = copy_parse(argc, argv, &p, &o, &f, pos, &npos);
	if (pex >= 0)
		return pex;

	copy_cli cc = { .proj = &p,
			.source = npos ? pos[0] : NULL,
			.target = npos ? pos[npos - 1] : NULL,
			.quiet = f.quiet };
	start_cli(&cc, f.json);
	copy_lists l = { 0 };
	int rc = cli_project_load(&p, false), ex = EXIT_OK;
	if (!rc)
		rc = load_lists(&l, &p, &f, &o);
	/* the flavour adapts the DDL for the target; --finish takes the run's own */
	if (!rc && npos == 2 && !f.rejects)
		rc = cli_project_flavour(&o.flavour, &p, cc.target, f.flavour);
	if (rc) {
		ex = cli_fail(rc);
		goto done;
	}
	set_run_opts(&o, &f, &cc, &l);
	if (f.plan)
		ex = plan_only(&cc, &o, f.json, o.force);
	else if (f.rejects)
		ex = list_rejects(&cc, &o, f.json);
	else if (f.distributed)
		ex = run_distributed(&cc, &o, &f);
	else
		ex = run_copy(&cc, &o, &f);
done:
	sl_cast_rules_free(l.rules);
	free(l.tl);
	free(l.sens);
	free(l.shard_t);
	free(l.shard_c);
	free(l.tcopy);
	cli_project_free(&p);
	pthread_mutex_destroy(&cc.mu);
	return ex;
}
