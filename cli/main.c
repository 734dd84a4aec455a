/*
 * main.c - the sluice command table and entry point.
 *
 * One line per command (see cli.h for how to add one). `sluice help CMD`
 * and `sluice CMD --help` print the same text, built from the table and the
 * command's option table.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const cli_command commands[] = {
	{ "inspect", cmd_inspect, "inspect URL [--format text|json|md] [options]",
	  "Read a database's schema and print it: tables, keys, links, views, triggers, row counts.",
	  "URL is sqlite:PATH, postgres://... or mysql://... (see docs/urls.md).\n"
	  "--format md writes a data map a non-technical reader can follow: what each\n"
	  "table holds, what links to what, and how many rows each has.\n"
	  "Exit codes: 0 ok, 2 bad URL or usage, 3 database unreachable or error." },
	{ "init", cmd_init, "init [DIR] [--project NAME]",
	  "Create sluice.yaml and migrations/ (never overwrites a file).", NULL },
	{ "new", cmd_new, "new TITLE [--id ID] [options]",
	  "Write a new migration file with every metadata field the project requires.",
	  "The file is migrations/<UTC timestamp>_<slug>.sql with sections up, down and\n"
	  "verify to fill in. Format: docs/migration-format.md." },
	{ "status", cmd_status, "status [TARGET] [--json] [options]",
	  "Show every migration: applied (when, by whom, how long), pending, dirty or edited since.",
	  "TARGET is a database URL or an environment of sluice.yaml. An applied file\n"
	  "edited afterwards is shown with a diff. Exit 5 when a migration is dirty or drifted." },
	{ "up", cmd_up, "up [TARGET] [--to ID] [--dry-run] [--lock-timeout SECONDS] [options]",
	  "Apply pending migrations in order, each in its own transaction where the engine allows.",
	  "A run takes a lock first: a concurrent run fails with exit 4 (or waits with\n"
	  "--lock-timeout). Refuses (exit 5) while a migration is dirty or an applied\n"
	  "file was edited, until `sluice repair`.\n"
	  "An expand/contract migration (docs/expand-contract.md) stops in expand: old and\n"
	  "new versions live, backfilled in batches; a killed backfill resumes on the next\n"
	  "up; later migrations wait for `sluice contract`." },
	{ "down", cmd_down, "down [TARGET] [--steps N | --to ID] [--dry-run] [options]",
	  "Revert applied migrations, newest first (one by default).",
	  "A migration in expand is rolled back: its new version goes, the old shape keeps\n"
	  "every write of both versions (docs/expand-contract.md)." },
	{ "contract", cmd_contract, "contract [TARGET] [--confirm] [--dry-run] [options]",
	  "Complete the expand/contract migration in expand: remove the old shape once no client uses it.",
	  "Refuses (exit 5) while a session shows it uses the old version, and, where sluice\n"
	  "cannot see every client's version, until --confirm. Details: docs/expand-contract.md." },
	{ "verify", cmd_verify, "verify [TARGET] [options]",
	  "Run the verify query of every applied migration; exit 1 when any returns rows.", NULL },
	{ "baseline", cmd_baseline, "baseline ID [TARGET] [options]",
	  "Adopt an existing database: record migrations up to ID as applied without running them.", NULL },
	{ "repair", cmd_repair, "repair [TARGET] [--mark-applied] [options]",
	  "Resolve dirty migrations and accept edited files' checksums, printing each change.",
	  "A dirty record is removed (so `up` runs it again) unless --mark-applied says\n"
	  "you completed it by hand. A drifted checksum is replaced by the file's." },
	{ "log", cmd_log, "log [TARGET] [--format text|md|json] [options]",
	  "The schema decision log: each change with ticket, PR, why, rollback note, who and when.",
	  "Without TARGET the files alone are read; with it, who applied each change and\n"
	  "when comes from the history table in that database." },
	{ "why", cmd_why, "why OBJECT [TARGET] [--json] [options]",
	  "Which migrations created and changed a table, a column (table.column) or an index, and why.",
	  NULL },
	{ "lint", cmd_lint, "lint [TARGET] [--json] [options]",
	  "Check pending migrations: metadata, destructive or locking statements, and (with TARGET) what "
	  "they do on a scratch copy.",
	  "Rules, levels and sluice.yaml overrides: docs/commands/lint.md. Exit 1 when a finding is an "
	  "error." },
	{ "diff", cmd_diff,
	  "diff SOURCE TARGET [--tables LIST] [--key COLS] [--json] [--threshold N] [--mode "
	  "auto|keyed|keyless|bisect] [options]",
	  "Compare the rows of every table on two databases (any engines): missing, extra and changed rows.",
	  "SOURCE and TARGET are URLs or environments of sluice.yaml. Values compare "
	  "canonically\n(docs/canonical.md): 1.10 equals 1.1 in a decimal column. Exit 1 when "
	  "discrepancies\nexceed --threshold (default 0). Details: docs/commands/diff.md." },
	{ "check", cmd_check, "check [ENV ...] [--json] [--history [RULE]] [options]",
	  "Run the integrity rules of sluice.yaml; exit 1 when a halt rule fails. Every run is recorded in "
	  "the state store.",
	  "Rule types, thresholds and severities: docs/rules.md. --history lists past runs." },
	{ "copy", cmd_copy,
	  "copy SOURCE TARGET [--plan] [--tables A,B] [--resume|--restart] [--jobs N] [--max-rejects N] "
	  "[--json]",
	  "Copy schema and data between any two engines: bulk, parallel, resumable, bad rows quarantined.",
	  "Phases: tables, data, indexes, constraints, foreign keys, sequences, views, triggers "
	  "(docs/copy.md).\nExit codes: 0 copied, 1 rows rejected past --max-rejects or foreign keys failed "
	  "validation,\n2 usage or plan errors, 3 database error, 5 the target holds an unfinished copy (use "
	  "--resume or --restart)." },
	{ "help", cmd_help, "help [COMMAND]", "Show the commands, or one command's help.", NULL },
};

const cli_command *cli_commands(int *n)
{
	*n = (int)(sizeof(commands) / sizeof(commands[0]));
	return commands;
}

const cli_command *cli_find(const char *name)
{
	int n;
	const cli_command *c = cli_commands(&n);
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

static void usage(FILE *f)
{
	int n;
	const cli_command *c = cli_commands(&n);
	fprintf(f, "usage: sluice COMMAND [options]\n\n"
		   "Move a database to where it must be - a new schema, a new engine, or both -\n"
		   "and prove the move was safe.\n\ncommands:\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", c[i].name, c[i].summary);
	fprintf(f, "\nRun 'sluice help COMMAND' for a command's options. Exit codes: docs/exit-codes.md.\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_help(stdout, "help", NULL);
		return EXIT_OK;
	}
	const cli_command *c = cli_find(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command \"%s\"", argv[1]);
	char *args[] = { (char *)c->name, (char *)"--help", NULL };
	return c->run(2, args);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("sluice %s\n", SLUICE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	const cli_command *c = cli_find(argv[1]);
	if (!c) {
		fprintf(stderr, "sluice: unknown command \"%s\"\n\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
