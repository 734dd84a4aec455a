/*
 * cmd_inspect.c - `sluice inspect URL|ENV`: read a database's schema and print
 * it as text, JSON or a Markdown data map. ENV is an environment of
 * sluice.yaml, resolved as copy, diff and check resolve it.
 */
#include "cli.h"
#include "project.h"

#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/report.h"

#include <stdio.h>
#include <string.h>

int cmd_inspect(int argc, char **argv)
{
	const char *format = "text", *schema = NULL, *title = NULL;
	bool estimate = false, with_sluice = false;
	cli_project p = { 0 };
	const cli_option opts[] = {
		{ "config", 'C', CLI_STRING, "FILE",
		  "project file, for environment names (default sluice.yaml)", &p.config_path },
		{ "format", 'f', CLI_STRING, "text|json|md", "output format (default text)", &format },
		{ "schema", 's', CLI_STRING, "NAME",
		  "PostgreSQL schema to read (default: the search path's first)", &schema },
		{ "estimate", 0, CLI_FLAG, NULL, "use the engine's row estimates instead of counting rows",
		  &estimate },
		{ "include-sluice", 0, CLI_FLAG, NULL, "also show sluice's own tables (sluice_*)",
		  &with_sluice },
		{ "title", 0, CLI_STRING, "TEXT", "title of the Markdown data map", &title },
		{ 0 }
	};
	const char *pos[1];
	int npos = 0;
	int prc = cli_parse("inspect", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return cli_usage_error("inspect",
				       "expected one database URL or environment (see sluice help inspect)");
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "md"))
		return cli_usage_error("inspect", "unknown format \"%s\" (expected text, json or md)",
				       format);

	sl_conn *c = NULL;
	sl_schema *s = NULL;
	sl_buf out = SL_BUF_INIT;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.schema = schema;
	io.exact_counts = !estimate;
	io.include_sluice = with_sluice;

	int rc = cli_project_load(&p, false);
	if (!rc)
		rc = cli_project_connect(&c, &p, pos[0]);
	if (!rc)
		rc = sl_conn_introspect(&s, c, &io);
	if (!rc) {
		if (!strcmp(format, "json"))
			rc = sl_report_schema_json(&out, s);
		else if (!strcmp(format, "md"))
			rc = sl_report_schema_md(&out, s, title);
		else
			rc = sl_report_schema_text(&out, s);
	}
	if (!rc)
		fwrite(out.ptr, 1, out.len, stdout);
	/* PostgreSQL schemas that were not read are named, never skipped in silence */
	for (size_t i = 0; !rc && i < s->nothers; i++)
		fprintf(stderr, "%s\"%s\" (%lld)%s",
			i ? ", " : "other schemas hold tables (see them with --schema NAME): ",
			s->others[i].schema, (long long)s->others[i].ntables,
			i + 1 == s->nothers ? "\n" : "");
	sl_buf_free(&out);
	sl_schema_free(s);
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
