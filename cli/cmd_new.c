/*
 * cmd_new.c - `sluice new TITLE`: a new migration file, named
 * <UTC timestamp>_<slug>.sql, with every metadata field sluice.yaml requires.
 */
#include "cli.h"
#include "project.h"

#include "sluice/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void slugify(char *out, size_t n, const char *title)
{
	size_t j = 0;
	bool sep = false;
	for (const char *p = title; *p && j + 1 < n; p++) {
		unsigned char ch = (unsigned char)*p;
		if (isalnum(ch)) {
			if (sep && j)
				out[j++] = '_';
			if (j + 1 < n)
				out[j++] = (char)tolower(ch);
			sep = false;
		} else {
			sep = true;
		}
	}
	out[j] = '\0';
	if (!j)
		snprintf(out, n, "change");
}

int cmd_new(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *id = NULL;
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p),
				    { "id", 0, CLI_STRING, "ID",
				      "use this id instead of the current UTC time (YYYYMMDDHHMMSS)", &id },
				    { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("new", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return cli_usage_error(
			"new", "expected the change's title, e.g. sluice new \"add invoices.currency\"");
	char idbuf[32], slug[64], path[4096];
	if (!id) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(idbuf, sizeof(idbuf), "%Y%m%d%H%M%S", &tm);
		id = idbuf;
	}
	for (const char *q = id; *q; q++)
		if (!isdigit((unsigned char)*q))
			return cli_usage_error("new", "id \"%s\" must be digits", id);
	slugify(slug, sizeof(slug), pos[0]);
	sl_buf text = SL_BUF_INIT;
	int rc = cli_project_load(&p, false);
	if (!rc)
		rc = sl_migration_render_template(&text, id, pos[0], p.cfg ? p.cfg->required : NULL,
						  p.cfg ? p.cfg->nrequired : 0);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/%s_%s.sql", p.dir_resolved, id, slug);
		FILE *f = fopen(path, "wx");
		if (!f)
			rc = sl_error_set(errno == EEXIST ? SL_EREFUSED : SL_EIO, "create \"%s\": %s", path,
					  strerror(errno));
		else {
			fwrite(text.ptr, 1, text.len, f);
			if (fclose(f))
				rc = sl_error_set(SL_EIO, "write \"%s\": %s", path, strerror(errno));
			else
				printf("%s\n", path);
		}
	}
	sl_buf_free(&text);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
