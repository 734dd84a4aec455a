/*
 * dist_cli.c - helpers of the distributed commands: how a side is named in
 * the work table (never with a password), waiting for a run with progress,
 * and `sluice status --distributed`.
 */
#include "cli.h"
#include "dist_cli.h"

#include "sluice/error.h"
#include "sluice/url.h"
#include "sluice/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dist_cli_names(const cli_project *p, const char *arg, char *display, char *ref, size_t n)
{
	const char *url = NULL;
	const sl_config_env *env = NULL;
	sl_url *u = NULL;
	cli_project_display(p, arg, display, n);
	ref[0] = '\0';
	if (cli_project_resolve(p, arg, &url, &env) == 0 && env)
		snprintf(ref, n, "%s", env->name);
	else if (url && sl_url_parse(&u, url) == 0 && !u->password && !strstr(url, "password="))
		snprintf(ref, n, "%s", url);
	sl_url_free(u);
	sl_error_clear();
}

int dist_cli_open(sl_dist **out, const char *url)
{
	return sl_dist_open(out, url);
}

int dist_cli_wait(sl_dist *d, const char *run_id, bool quiet)
{
	bool tty = isatty(fileno(stderr));
	double last = 0;
	int rc = 0;
	for (;;) {
		sl_dist_progress p;
		rc = sl_dist_progress_get(d, run_id, &p);
		if (rc)
			break;
		double now = sl_now_s();
		bool all = p.done == p.chunks;
		if (!quiet && (tty || now - last >= 10 || all)) {
			char eta[32] = "?";
			if (p.eta_s >= 0)
				snprintf(eta, sizeof(eta), "%.0fs", p.eta_s);
			fprintf(stderr,
				"%schunks %d/%d done, %d running, %d failed, %zu workers, %" PRId64
				" rows, %.0f rows/s, eta %s%s",
				tty ? "\r\033[K" : "", p.done, p.chunks, p.running, p.failed, p.nworkers,
				p.rows, p.rows_per_s, eta, tty && !all ? "" : "\n");
			fflush(stderr);
			last = now;
		}
		int failed = p.failed, running = p.running, done = p.done, chunks = p.chunks;
		sl_dist_progress_free(&p);
		if (all)
			break;
		if (failed && running == 0 && done + failed == chunks) {
			rc = sl_error_set(SL_ECHECK,
					  "%d chunk%s of run %s failed (see `sluice status --distributed`); "
					  "the run stays in the state store",
					  failed, failed == 1 ? "" : "s", run_id);
			break;
		}
		if (cli_interrupted()) {
			rc = sl_error_set(SL_EINTERRUPTED,
					  "interrupted: run %s goes on with its workers; finish it with "
					  "`sluice copy --distributed URL --finish`",
					  run_id);
			break;
		}
		usleep(tty ? 500000 : 1000000);
	}
	if (tty && !quiet)
		fprintf(stderr, "\r\033[K");
	return rc;
}

int dist_cli_status(const char *url, const char *run_id, bool json)
{
	sl_dist *d = NULL;
	sl_dist_run r = { 0 };
	sl_dist_progress p = { 0 };
	sl_buf b = SL_BUF_INIT;
	int rc = dist_cli_open(&d, url);
	if (!rc)
		rc = sl_dist_run_get(d, run_id, &r);
	if (!rc)
		rc = sl_dist_progress_get(d, r.id, &p);
	if (!rc)
		rc = json ? sl_dist_progress_json(&b, &r, &p) : sl_dist_progress_text(&b, &r, &p);
	if (!rc)
		fwrite(b.ptr, 1, b.len, stdout);
	sl_buf_free(&b);
	sl_dist_progress_free(&p);
	sl_dist_run_clear(&r);
	sl_dist_close(d);
	return rc;
}

/* One side of a run, to check its snapshot: by the name the run recorded. */
static int connect_run_side(sl_conn **out, cli_project *p, const sl_dist_run *run, bool src)
{
	const char *name = src ? run->source_ref : run->target_ref;
	if (!*name)
		return sl_error_set(
			SL_EINVALID,
			"run %s names its %s as %s, whose password the work table does not keep: "
			"its snapshot cannot be checked (name it by an environment of sluice.yaml)",
			run->id, src ? "source" : "target", src ? run->source : run->target);
	return cli_project_connect(out, p, name);
}

/* --finish --retry-failed: the failed chunks go back; a run whose snapshots are gone goes on without them. */
static int diff_retry(cli_project *p, sl_dist *d, const sl_dist_run *run)
{
	sl_conn *src = NULL, *dst = NULL;
	int64_t n = 0;
	bool lost = false;
	int rc = run->snapshot[0] ? connect_run_side(&src, p, run, true) : 0;
	if (!rc && run->target_snapshot[0])
		rc = connect_run_side(&dst, p, run, false);
	if (!rc)
		rc = sl_dist_diff_retry(d, run, src, dst, &n, &lost);
	if (!rc && lost)
		fprintf(stderr,
			"sluice: warning: run %s: its snapshots are gone; the retried chunks read both sides "
			"at their own moments (recorded in the run, shown by status)\n",
			run->id);
	if (!rc)
		fprintf(stderr, "run %s: %lld failed chunk%s put back for the workers\n", run->id,
			(long long)n, n == 1 ? "" : "s");
	sl_conn_close(src);
	sl_conn_close(dst);
	return rc;
}

int dist_cli_diff(cli_project *p, const dist_cli_diff_args *a)
{
	sl_dist *d = NULL;
	sl_dist_run run = { 0 };
	sl_conn *src = NULL, *dst = NULL;
	sl_dist_diff_sum sum = { 0 };
	sl_buf text = SL_BUF_INIT;
	int ex = EXIT_OK;
	int rc = dist_cli_open(&d, a->url);
	if (rc == SL_EINVALID) {
		cli_report_error(rc);
		return EXIT_USAGE;
	}
	cli_signals_graceful();
	if (!rc && !a->finish) {
		char sd[SL_DIST_NAME_MAX], sr[SL_DIST_NAME_MAX], td[SL_DIST_NAME_MAX], tr[SL_DIST_NAME_MAX];
		dist_cli_names(p, a->source, sd, sr, sizeof(sd));
		dist_cli_names(p, a->target, td, tr, sizeof(td));
		const char *names[4] = { sd, td, sr, tr };
		rc = cli_project_connect(&src, p, a->source);
		if (!rc)
			rc = cli_project_connect(&dst, p, a->target);
		if (!rc)
			rc = sl_conn_refuse_same_database(src, dst, "diff");
		sl_dist_plan_opts plo = { .lease_s = a->lease, .max_attempts = a->max_attempts };
		if (!rc)
			rc = sl_dist_diff_plan(d, src, dst, a->pairing, a->chunk_rows, names, &plo,
					       !a->detach, &run);
		if (!rc)
			fprintf(stderr, "planned distributed diff %s; start workers with: sluice worker %s\n",
				run.id, sl_dist_display(d));
		if (!rc && a->detach) {
			printf("%s\n", run.id);
			goto done;
		}
	} else if (!rc) {
		rc = sl_dist_run_get(d, a->run, &run);
		if (!rc && strcmp(run.kind, "diff") != 0)
			rc = sl_error_set(SL_EINVALID, "run %s is a %s, not a diff", run.id, run.kind);
		if (!rc && a->retry_failed)
			rc = diff_retry(p, d, &run);
		if (!rc && a->retry_failed) { /* its snapshot_mode may say now that they were lost */
			char id[sizeof(run.id)];
			snprintf(id, sizeof(id), "%s", run.id);
			sl_dist_run_clear(&run);
			rc = sl_dist_run_get(d, id, &run);
		}
	}
	if (!rc && strcmp(run.state, "diffing") == 0)
		rc = dist_cli_wait(d, run.id, a->quiet);
	if (!rc)
		rc = sl_dist_diff_sum_get(d, run.id, &sum, &text);
	if (!rc && strcmp(run.state, "diffing") == 0)
		rc = sl_dist_run_set_state(d, run.id, "finished");
	if (!rc) {
		int64_t n = sum.missing + sum.extra + sum.changed;
		fwrite(text.ptr, 1, text.len, stdout);
		printf("\nsnapshots: %s\n", run.snapshot_mode[0] ? run.snapshot_mode : "not recorded");
		printf("%lld discrepanc%s (threshold %ld)\n", (long long)n, n == 1 ? "y" : "ies",
		       a->threshold);
		ex = sum.chunks_failed ? EXIT_DATABASE : n > a->threshold ? EXIT_PROBLEMS : EXIT_OK;
	}
done:
	cli_signals_immediate(NULL);
	if (rc)
		ex = cli_fail(rc);
	sl_buf_free(&text);
	sl_conn_close(src);
	sl_conn_close(dst);
	sl_dist_run_clear(&run);
	sl_dist_close(d);
	return ex;
}
