/*
 * cmd_report.c - `sluice report [ENV]`: the sign-off report of a database
 * (docs/commands/report.md) as one self-contained HTML page, Markdown or
 * JSON. Thin: loads the map and the decision log as `sluice map` does
 * (mapctx.c), opens the state store when it exists (a report never
 * creates one), reads a sync's status when --sync names its target, and
 * hands all of it to sl_report_build() (src/report/signoff/).
 */
#include "cli.h"
#include "mapctx.h"

#include "sluice/error.h"
#include "sluice/report.h"
#include "sluice/state.h"
#include "sluice/sync.h"
#include "sluice/url.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct report_cli {
	cli_mapctx x;
	const char *env_arg, *sync_target;
	sl_state *state;
	sl_sync_status *sync;
	char *sync_error;
} report_cli;

static int sync_connect(sl_conn **out, sl_copy_side side, void *ud)
{
	report_cli *r = ud;
	return cli_project_connect(out, &r->x.p, side == SL_COPY_SOURCE ? r->env_arg : r->sync_target);
}

/* The status of the sync from the reported database to --sync; its absence is not an error. */
static void read_sync(report_cli *r)
{
	sl_sync_opts o = SL_SYNC_OPTS_INIT;
	o.connect = sync_connect;
	o.connect_ud = r;
	int rc = sl_sync_status_get(&r->sync, &o);
	if (rc == SL_ENOTFOUND)
		sl_error_clear();
	else if (rc)
		r->sync_error = strdup(sl_error_last()->message);
}

/* "YYYY-MM-DDTHH:MM:SS" followed by an optional fraction and "Z". */
static bool iso_utc(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i = 0;
	for (; pat[i]; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
	return s[i] == 'Z' && s[i + 1] == '\0';
}

/* Writes b to path through a temporary file beside it, so a reader never sees half a report. */
static int write_file(const char *path, const sl_buf *b)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f = NULL;
	int rc = 0;
	if (!tmp)
		return sl_error_nomem();
	snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w")) || fwrite(b->ptr, 1, b->len, f) != b->len) {
		rc = sl_error_set(SL_EIO, "write the report \"%s\": %s", path, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
	} else if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = sl_error_set(SL_EIO, "write the report \"%s\": %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* The report's model from what the command read: the map, the state store, a sync's status. */
static int build_report(sl_report **rep, report_cli *r, const char *map_error, const char *state_rel,
			const char *now, long runs)
{
	sl_report_input in = {
		.title = r->x.p.cfg && r->x.p.cfg->project ? r->x.p.cfg->project : NULL,
		.environment = r->x.env ? r->x.env->name : sl_conn_display(r->x.conn),
		.engine = sl_engine_name(sl_conn_engine(r->x.conn)),
		.generator = "sluice " SLUICE_VERSION,
		.state = r->state,
		.state_path = state_rel,
		.map = r->x.map,
		.map_error = map_error,
		.migrations = r->x.status,
		.sync = r->sync,
		.sync_error = r->sync_error,
		.sync_checked = r->sync_target != NULL,
		.now = now,
		.runs = (size_t)runs,
	};
	return sl_report_build(rep, &in);
}

int cmd_report(int argc, char **argv)
{
	report_cli r = { .env_arg = NULL };
	const char *out_path = NULL, *format = NULL, *now = NULL;
	long runs = 20;
	bool estimate = false;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&r.x.p),
		{ "out", 'o', CLI_STRING, "FILE", "write the report to FILE (default: stdout)", &out_path },
		{ "format", 'f', CLI_STRING, "html|md|json",
		  "HTML page (default), Markdown for a pull request, or the JSON model", &format },
		{ "now", 0, CLI_STRING, "TIME",
		  "the report's time, ISO 8601 UTC (default: the newest record's; never the clock)", &now },
		{ "runs", 0, CLI_INT, "N", "runs shown per history (default 20)", &runs },
		{ "sync", 0, CLI_STRING, "TARGET", "show the status of the sync from ENV to TARGET",
		  &r.sync_target },
		{ "estimate", 0, CLI_FLAG, NULL, "use the engine's row estimates instead of counting rows",
		  &estimate },
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("report", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (!format) {
		size_t n = out_path ? strlen(out_path) : 0;
		format = n > 3 && !strcmp(out_path + n - 3, ".md")     ? "md"
			 : n > 5 && !strcmp(out_path + n - 5, ".json") ? "json"
								       : "html";
	}
	if (strcmp(format, "html") && strcmp(format, "md") && strcmp(format, "json"))
		return cli_usage_error("report", "unknown format \"%s\" (expected html, md or json)", format);
	if (now && !iso_utc(now))
		return cli_usage_error("report",
				       "--now expects a UTC time like 2026-03-01T12:00:00Z, got \"%s\"", now);
	if (runs < 1 || runs > 1000)
		return cli_usage_error("report", "--runs takes 1-1000");
	r.env_arg = npos ? pos[0] : NULL;

	sl_report *rep = NULL;
	sl_buf out = SL_BUF_INIT;
	struct stat st;
	char *map_error = NULL;
	int rc = cli_mapctx_open(&r.x, r.env_arg, !estimate);
	if (rc && r.x.history) {
		/* the database was read but the map could not be drawn (sluice.yaml names what it lacks) */
		map_error = strdup(sl_error_last()->message);
		sl_error_clear();
		rc = map_error ? 0 : sl_error_nomem();
	}
	const char *state_rel = r.x.p.cfg && r.x.p.cfg->state ? r.x.p.cfg->state : ".sluice/state.db";
	const char *state_path = r.x.p.cfg ? sl_config_resolve(r.x.p.cfg, state_rel) : state_rel;
	if (!rc && stat(state_path, &st) == 0)
		rc = sl_state_open(&r.state, state_path);
	if (!rc && r.sync_target)
		read_sync(&r);
	if (!rc)
		rc = build_report(&rep, &r, map_error, state_rel, now, runs);
	if (!rc)
		rc = !strcmp(format, "md")     ? sl_report_md(&out, rep)
		     : !strcmp(format, "json") ? sl_report_json(&out, rep)
					       : sl_report_html(&out, rep);
	if (!rc && out_path)
		rc = write_file(out_path, &out);
	else if (!rc)
		fwrite(out.ptr, 1, out.len, stdout);
	if (!rc && out_path)
		fprintf(stderr, "report written to %s: %s\n", out_path, sl_report_verdict(rep));
	sl_buf_free(&out);
	sl_report_free(rep);
	sl_sync_status_free(r.sync);
	free(r.sync_error);
	free(map_error);
	sl_state_close(r.state);
	cli_mapctx_close(&r.x);
	return rc ? cli_fail(rc) : EXIT_OK;
}
