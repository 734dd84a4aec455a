/*
 * cmd_map.c - `sluice map [ENV]`: the data map of a database - tables,
 * columns, keys, views, triggers, indexes, the consumers and domains of
 * sluice.yaml and the migrations that made each object - as Markdown for
 * people, Mermaid, Graphviz DOT, or JSON. docs/commands/map.md.
 */
#include "cli.h"
#include "mapctx.h"

#include "sluice/error.h"

#include <stdio.h>
#include <string.h>

int cmd_map(int argc, char **argv)
{
	cli_mapctx x = { 0 };
	const char *format = "md";
	bool estimate = false;
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&x.p),
				    { "format", 'f', CLI_STRING, "md|mermaid|dot|json",
				      "output format (default md)", &format },
				    { "estimate", 0, CLI_FLAG, NULL,
				      "use the engine's row estimates instead of counting rows", &estimate },
				    { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("map", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (strcmp(format, "md") && strcmp(format, "mermaid") && strcmp(format, "dot") &&
	    strcmp(format, "json"))
		return cli_usage_error("map", "unknown format \"%s\" (expected md, mermaid, dot or json)",
				       format);
	sl_buf out = SL_BUF_INIT;
	int rc = cli_mapctx_open(&x, npos ? pos[0] : NULL, !estimate);
	if (!rc && !strcmp(format, "json"))
		rc = sl_map_render_json(&out, x.map);
	else if (!rc && !strcmp(format, "dot"))
		rc = sl_map_render_dot(&out, x.map);
	else if (!rc && !strcmp(format, "mermaid"))
		rc = sl_map_render_mermaid(&out, x.map);
	else if (!rc)
		rc = sl_map_render_md(&out, x.map, x.schema);
	if (!rc)
		fwrite(out.ptr, 1, out.len, stdout);
	sl_buf_free(&out);
	cli_mapctx_close(&x);
	return rc ? cli_fail(rc) : EXIT_OK;
}
