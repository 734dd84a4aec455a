/*
 * cmd_log.c - `sluice log [TARGET]`: the schema decision log. Without a
 * target it reads the files only; with one, it adds who applied each change,
 * when, and how long it took, from the history table.
 */
#include "cli.h"
#include "project.h"

#include "sluice/report.h"

#include <stdio.h>
#include <string.h>

int cmd_log(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *format = "text", *title = NULL;
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p),
				    { "format", 'f', CLI_STRING, "text|md|json",
				      "output format (default text)", &format },
				    { "title", 0, CLI_STRING, "TEXT",
				      "title of the Markdown log (default: the project name)", &title },
				    { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("log", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (strcmp(format, "text") && strcmp(format, "md") && strcmp(format, "json"))
		return cli_usage_error("log", "unknown format \"%s\" (expected text, md or json)", format);
	sl_conn *c = NULL;
	sl_history *h = NULL;
	sl_migrate_status *st = NULL;
	sl_buf out = SL_BUF_INIT;
	int rc = cli_project_load(&p, true);
	if (!rc && npos)
		rc = cli_project_connect(&c, &p, pos[0]);
	if (!rc && c)
		rc = sl_history_load(&h, c, p.table);
	if (!rc)
		rc = sl_migrate_status_build(&st, p.set, h, c ? sl_conn_engine(c) : SL_ENGINE_NONE);
	if (!rc) {
		if (!strcmp(format, "md"))
			rc = sl_report_log_md(&out, st, title ? title : (p.cfg ? p.cfg->project : NULL));
		else if (!strcmp(format, "json"))
			rc = sl_report_log_json(&out, st);
		else
			rc = sl_report_log_text(&out, st);
	}
	if (!rc)
		fwrite(out.ptr, 1, out.len, stdout);
	sl_buf_free(&out);
	sl_migrate_status_free(st);
	sl_history_free(h);
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
