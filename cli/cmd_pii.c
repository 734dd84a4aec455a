/*
 * cmd_pii.c - `sluice pii scan SOURCE`: the columns of a database that look
 * like personal data, with a suggested masking rule each, written as a
 * sluice.yaml `snapshot:` section to start from (docs/commands/pii.md).
 * Thin: the work is sl_pii_scan() (src/pii/).
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"
#include "sluice/pii.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int write_json(const sl_pii_report *r)
{
	json_t *arr = json_array();
	if (!arr)
		return sl_error_nomem();
	for (size_t i = 0; i < r->ncols; i++) {
		const sl_pii_column *c = &r->cols[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "table", c->table, "column", c->column, "kind",
				      sl_pii_kind_name(c->kind), "reason", c->reason, "suggest", c->suggest);
		json_t *paths = json_array();
		for (size_t k = 0; o && paths && k < c->npaths; k++)
			json_array_append_new(paths, json_pack("{s:s,s:s}", "path", c->paths[k].path, "kind",
							       sl_pii_kind_name(c->paths[k].kind)));
		if (o && c->npaths)
			json_object_set_new(o, "paths", paths);
		else
			json_decref(paths);
		json_array_append_new(arr, o);
	}
	char *txt = json_dumps(arr, JSON_INDENT(2));
	json_decref(arr);
	if (!txt)
		return sl_error_nomem();
	puts(txt);
	free(txt);
	return 0;
}

static int scan(cli_project *p, const char *source, int sample, sl_pii_report **out, char **display)
{
	sl_conn *c = NULL;
	sl_schema *s = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	sl_pii_opts po = SL_PII_OPTS_INIT;
	io.exact_counts = false;
	po.sample_rows = sample;
	int rc = cli_project_connect(&c, p, source);
	if (!rc && !(*display = strdup(sl_conn_display(c))))
		rc = sl_error_nomem();
	if (!rc)
		rc = sl_conn_introspect(&s, c, &io);
	if (!rc)
		rc = sl_pii_scan(out, c, s, &po);
	sl_schema_free(s);
	sl_conn_close(c);
	return rc;
}

int cmd_pii(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *output = NULL;
	bool json = false, force = false;
	long sample = 200;
	const cli_option opts[] = { { "config", 'C', CLI_STRING, "FILE",
				      "project file (default sluice.yaml): environments", &p.config_path },
				    { "sample", 0, CLI_INT, "N", "rows sampled per table (default 200)",
				      &sample },
				    { "output", 'o', CLI_STRING, "FILE",
				      "write the sluice.yaml section to FILE instead of stdout", &output },
				    { "force", 0, CLI_FLAG, NULL, "overwrite FILE", &force },
				    { "json", 0, CLI_FLAG, NULL, "print the findings as JSON", &json },
				    { 0 } };
	const char *pos[2];
	int npos = 0, prc = cli_parse("pii", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos != 2 || strcmp(pos[0], "scan") != 0)
		return cli_usage_error("pii", "expected: pii scan SOURCE (a database URL or an environment)");
	if (sample < 1)
		return cli_usage_error("pii", "--sample takes a positive number");
	struct stat st;
	if (output && !force && stat(output, &st) == 0)
		return cli_usage_error("pii", "\"%s\" exists: choose another file or add --force", output);
	sl_pii_report *r = NULL;
	char *display = NULL;
	sl_buf b = SL_BUF_INIT;
	int ex = EXIT_OK;
	int rc = cli_project_load(&p, false);
	if (!rc)
		rc = scan(&p, pos[1], (int)sample, &r, &display);
	if (!rc && json) {
		rc = write_json(r);
	} else if (!rc) {
		char header[600], day[16];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		snprintf(header, sizeof(header),
			 "sluice pii scan of %s on %s: %d rows sampled per table, %zu column%s flagged",
			 display, day, r->sample, r->ncols, r->ncols == 1 ? "" : "s");
		rc = sl_pii_yaml(&b, r, header);
	}
	if (!rc && !json) {
		FILE *f = output ? fopen(output, "w") : stdout;
		if (!f)
			rc = sl_error_set(SL_EIO, "write \"%s\": cannot open it", output);
		else if (fwrite(b.ptr, 1, b.len, f) != b.len || (output && fclose(f) != 0))
			rc = sl_error_set(SL_EIO, "write \"%s\": failed", output ? output : "stdout");
		if (!rc && output)
			fprintf(stderr, "%zu column%s flagged; wrote %s\n", r->ncols,
				r->ncols == 1 ? "" : "s", output);
	}
	if (rc)
		ex = cli_fail(rc);
	sl_buf_free(&b);
	sl_pii_report_free(r);
	free(display);
	cli_project_free(&p);
	return ex;
}
