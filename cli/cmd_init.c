/*
 * cmd_init.c - `sluice init [DIR]`: scaffold sluice.yaml and migrations/.
 * Never overwrites an existing file.
 */
#include "cli.h"

#include "sluice/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char template_yaml[] =
	"# sluice project file - reference: docs/config.md\n"
	"project: %s\n"
	"\n"
	"migrations:\n"
	"  dir: migrations\n"
	"  table: sluice_migrations\n"
	"  # metadata every migration must carry (sluice lint refuses a file without it)\n"
	"  required: [title, ticket, pr, why, rollback]\n"
	"\n"
	"lint:\n"
	"  rules:\n"
	"    destructive-statement: error\n"
	"    missing-down: error\n"
	"\n"
	"environments:\n"
	"  dev:\n"
	"    url: \"sqlite:dev.db\"\n"
	"  # prod:\n"
	"  #   url: \"postgres://app@db.internal/%s\"\n"
	"  #   password_env: PGPASSWORD\n";

int cmd_init(int argc, char **argv)
{
	const char *project = NULL;
	const cli_option opts[] = { { "project", 0, CLI_STRING, "NAME",
				      "project name (default: the directory's name)", &project },
				    { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("init", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	const char *dir = npos ? pos[0] : ".";
	char path[4096];
	if (mkdir(dir, 0777) && errno != EEXIST) {
		sl_error_set(SL_EIO, "create \"%s\": %s", dir, strerror(errno));
		return cli_fail(SL_EIO);
	}
	if (!project) {
		const char *slash = strrchr(dir, '/');
		project = strcmp(dir, ".") == 0 ? "app" : (slash ? slash + 1 : dir);
	}
	snprintf(path, sizeof(path), "%s/migrations", dir);
	if (mkdir(path, 0777) && errno != EEXIST) {
		sl_error_set(SL_EIO, "create \"%s\": %s", path, strerror(errno));
		return cli_fail(SL_EIO);
	}
	fprintf(stderr, "%s/ ready\n", path);
	snprintf(path, sizeof(path), "%s/sluice.yaml", dir);
	FILE *f = fopen(path, "wx");
	if (!f && errno == EEXIST) {
		fprintf(stderr, "%s exists: left as it is\n", path);
		return EXIT_OK;
	}
	if (!f) {
		sl_error_set(SL_EIO, "create \"%s\": %s", path, strerror(errno));
		return cli_fail(SL_EIO);
	}
	fprintf(f, template_yaml, project, project);
	if (fclose(f)) {
		sl_error_set(SL_EIO, "write \"%s\": %s", path, strerror(errno));
		return cli_fail(SL_EIO);
	}
	fprintf(stderr, "%s written; next: sluice new \"first change\"\n", path);
	return EXIT_OK;
}
