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
	{ "inspect", cmd_inspect, "inspect URL|ENV [--format text|json|md] [options]",
	  "Read a database's schema and print it: tables, keys, links, views, triggers, row counts.",
	  "URL is sqlite:PATH, postgres://... or mysql://... (see docs/urls.md); ENV an environment\n"
	  "of sluice.yaml.\n"
	  "--format md writes a data map a non-technical reader can follow: what each\n"
	  "table holds, what links to what, and how many rows each has.\n"
	  "Exit codes: 0 ok, 2 bad URL or usage, 3 database unreachable or error.",
	  NULL },
	{ "init", cmd_init, "init [DIR] [--project NAME]",
	  "Create sluice.yaml and migrations/ (never overwrites a file).", NULL, NULL },
	{ "new", cmd_new, "new TITLE [--id ID] [options]",
	  "Write a new migration file with every metadata field the project requires.",
	  "The file is migrations/<UTC timestamp>_<slug>.sql with sections up, down and\n"
	  "verify to fill in. Format: docs/migration-format.md.",
	  NULL },
	{ "status", cmd_status, "status [TARGET] [--json] [options]",
	  "Show every migration: applied (when, by whom, how long), pending, dirty or edited since.",
	  "TARGET is a database URL or an environment of sluice.yaml. An applied file\n"
	  "edited afterwards is shown with a diff. Exit 5 when a migration is dirty or drifted.",
	  NULL },
	{ "up", cmd_up, "up [TARGET] [--to ID] [--dry-run] [--lock-timeout SECONDS] [options]",
	  "Apply pending migrations in order, each in its own transaction where the engine allows.",
	  "A run takes a lock first: a concurrent run fails with exit 4 (or waits with\n"
	  "--lock-timeout). Refuses (exit 5) while a migration is dirty or an applied\n"
	  "file was edited, until `sluice repair`.\n"
	  "An expand/contract migration (docs/expand-contract.md) stops in expand: old and\n"
	  "new versions live, backfilled in batches; a killed backfill resumes on the next\n"
	  "up; later migrations wait for `sluice contract`.",
	  "interrupted: a migration in progress is rolled back where the engine allows; sluice status shows "
	  "what was applied" },
	{ "down", cmd_down, "down [TARGET] [--steps N | --to ID] [--dry-run] [options]",
	  "Revert applied migrations, newest first (one by default).",
	  "A migration in expand is rolled back: its new version goes, the old shape keeps\n"
	  "every write of both versions (docs/expand-contract.md).",
	  "interrupted: a migration in progress is rolled back where the engine allows; sluice status shows "
	  "what was applied" },
	{ "contract", cmd_contract, "contract [TARGET] [--confirm] [--dry-run] [options]",
	  "Complete the expand/contract migration in expand: remove the old shape once no client uses it.",
	  "Refuses (exit 5) while a session shows it uses the old version, and, where sluice\n"
	  "cannot see every client's version, until --confirm. Details: docs/expand-contract.md.",
	  "interrupted: the contract in progress is rolled back where the engine allows; sluice status "
	  "shows the state" },
	{ "verify", cmd_verify, "verify [TARGET] [options]",
	  "Run the verify query of every applied migration; exit 1 when any returns rows.", NULL, NULL },
	{ "baseline", cmd_baseline, "baseline ID [TARGET] [options]",
	  "Adopt an existing database: record migrations up to ID as applied without running them.", NULL,
	  "interrupted: a migration in progress is rolled back where the engine allows; sluice status shows "
	  "what was applied" },
	{ "repair", cmd_repair, "repair [TARGET] [--mark-applied] [options]",
	  "Resolve dirty migrations and accept edited files' checksums, printing each change.",
	  "A dirty record is removed (so `up` runs it again) unless --mark-applied says\n"
	  "you completed it by hand. A drifted checksum is replaced by the file's.",
	  "interrupted: a migration in progress is rolled back where the engine allows; sluice status shows "
	  "what was applied" },
	{ "log", cmd_log, "log [TARGET] [--format text|md|json] [options]",
	  "The schema decision log: each change with ticket, PR, why, rollback note, who and when.",
	  "Without TARGET the files alone are read; with it, who applied each change and\n"
	  "when comes from the history table in that database.",
	  NULL },
	{ "why", cmd_why, "why OBJECT [TARGET] [--json] [options]",
	  "Which migrations created and changed a table, a column (table.column) or an index, and why.", NULL,
	  NULL },
	{ "lint", cmd_lint, "lint [TARGET] [--json] [options]",
	  "Check pending migrations: metadata, destructive or locking statements, and (with TARGET) what "
	  "they do on a scratch copy.",
	  "Rules, levels and sluice.yaml overrides: docs/commands/lint.md. Exit 1 when a finding is an "
	  "error.",
	  NULL },
	{ "diff", cmd_diff,
	  "diff SOURCE TARGET [--tables LIST] [--key COLS] [--json] [--threshold N] [--mode "
	  "auto|keyed|keyless|bisect] [options]",
	  "Compare the rows of every table on two databases (any engines): missing, extra and changed rows.",
	  "SOURCE and TARGET are URLs or environments of sluice.yaml. Values compare "
	  "canonically\n(docs/canonical.md): 1.10 equals 1.1 in a decimal column. Exit 1 when "
	  "discrepancies\nexceed --threshold (default 0). Details: docs/commands/diff.md.",
	  "interrupted: the diff did not finish (nothing was written)" },
	{ "check", cmd_check, "check [ENV ...] [--json] [--history [RULE]] [options]",
	  "Run the integrity rules of sluice.yaml; exit 1 when a halt rule fails. Every run is recorded in "
	  "the state store.",
	  "Rule types, thresholds and severities: docs/rules.md. --history lists past runs.", NULL },
	{ "copy", cmd_copy,
	  "copy SOURCE TARGET [--plan] [--tables A,B] [--resume|--restart] [--jobs N] [--max-rejects N] "
	  "[--json]",
	  "Copy schema and data between any two engines: bulk, parallel, resumable, bad rows quarantined.",
	  "Phases: tables, data, indexes, constraints, foreign keys, sequences, views, triggers "
	  "(docs/copy.md).\n`sluice copy --rejects TARGET` lists the rows a copy quarantined (sensitive "
	  "values "
	  "masked).\nExit codes: 0 copied, 1 rows rejected past --max-rejects or foreign keys failed "
	  "validation,\n2 usage or plan errors, 3 database error, 5 the target holds an unfinished copy (use "
	  "--resume or --restart),\n6 refused: source and target are the same database, a table exists, or "
	  "--restart would drop\ntables sluice did not create (asked on a terminal; --force),\n7 "
	  "incomplete: tables the target refused to create were left out (fix, then --resume),\n130 "
	  "interrupted by Ctrl-C (resumable: --resume).",
	  NULL },
	{ "completion", cmd_completion, "completion bash|zsh",
	  "Print a shell completion script for bash or zsh, generated from the command and option tables.",
	  "bash: source <(sluice completion bash), or save it in a bash-completion directory.\n"
	  "zsh: save it as _sluice in a directory of $fpath, or source <(sluice completion zsh).\n"
	  "Commands and options complete; so do environment names of ./sluice.yaml and files.",
	  NULL },
	{ "rehearse", cmd_rehearse,
	  "rehearse [TARGET] [--repeat N] [--forecast ROWS] [--fail-at MIG:N | --drop-connection-at MIG:N] "
	  "[--json | --format md] [--cleanup | --latest]",
	  "Dry-run pending migrations on a scratch copy: timed up, locks, rewrites, verify, rules, down, "
	  "rollback fidelity; GO or NO-GO.",
	  "The database itself is only read. Thresholds: sluice.yaml `rehearsal:` (docs/config.md).\n"
	  "Every verdict and figure is recorded in the state store; --latest --json reads the newest back.\n"
	  "Exit codes: 0 GO (or a fault drill that left the state reported truthfully), 1 NO-GO,\n"
	  "2 usage or config, 3 database error. Details: docs/commands/rehearse.md.",
	  NULL },
	{ "map", cmd_map, "map [ENV] [--format md|mermaid|dot|json] [options]",
	  "The data map: tables, keys, views, triggers, the consumers and domains that use them, and the "
	  "migrations that made them.",
	  "ENV is an environment of sluice.yaml or a URL. --format md writes a map a non-technical\n"
	  "reader follows: who uses the data and how critical it is, business areas, a diagram,\n"
	  "objects nobody explains, then every table. JSON (\"sluice-map/1\") is for programs.\n"
	  "Consumers, domains and criticality: docs/config.md. Details: docs/commands/map.md.\n"
	  "Exit codes: 0 ok, 2 bad sluice.yaml (a consumer naming a missing table or column, a query\n"
	  "that does not parse), 3 database error.",
	  NULL },
	{ "report", cmd_report,
	  "report [ENV] [--out FILE] [--format html|md|json] [--now TIME] [--runs N] [--sync TARGET] "
	  "[options]",
	  "The sign-off report: GO / NO-GO and what is red, the data map, decision log, rehearsals, checks, "
	  "diffs, copies, sync, cutover, watch.",
	  "One self-contained HTML page (no script, no network; charts in inline SVG; the data embedded\n"
	  "as JSON), or Markdown for a pull request, or the JSON model. Evidence comes from the state\n"
	  "store (what check, rehearse, diff, copy, shadow, snapshot, cutover and watch recorded), the\n"
	  "database ENV (its map and decision log) and, with --sync, a sync's checkpoint. Nothing\n"
	  "recorded yet is shown as not run yet. The same inputs give the same bytes: the time is --now\n"
	  "or the newest record's. Details: docs/commands/report.md.\n"
	  "Exit codes: 0 written (GO or NO-GO alike), 2 usage or sluice.yaml, 3 database error.",
	  NULL },
	{ "impact", cmd_impact, "impact MIGRATION|OBJECT [ENV] [--format text|md|json] [options]",
	  "Everything a migration or an object reaches - views, triggers, keys, consumers, domains - with "
	  "criticality.",
	  "MIGRATION is an id or file of the migrations directory: it is applied to a scratch database\n"
	  "(as `sluice lint` does) and the schema before and after are compared. OBJECT is a table,\n"
	  "table.column, view, index, trigger, consumer or domain (or kind:name): what would break if it\n"
	  "were dropped or renamed. Details: docs/commands/impact.md.\n"
	  "Exit codes: 0 ok, 2 usage or sluice.yaml, 3 database error.",
	  NULL },
	{ "snapshot", cmd_snapshot,
	  "snapshot SOURCE TARGET [--subset SPEC] [--key-env NAME] [--resume|--restart] [--jobs N] [--json]",
	  "An anonymized, referentially complete copy for staging: masking rules per column, subsets, a "
	  "report that proves it.",
	  "Masking rules come from sluice.yaml snapshot.masks (docs/masking.md); a column that looks like\n"
	  "personal data and has no rule stops the snapshot (fail closed). The key comes from the "
	  "environment\n"
	  "variable --key-env names and is never printed. After the copy the report checks orphans, unique\n"
	  "keys and scans the target for source values; it is recorded in the state store.\n"
	  "Exit codes: 0 ok, 1 the report found problems, 2 usage, configuration or unmasked personal data,\n"
	  "3 database error, 5 the target holds an unfinished snapshot (--resume or --restart).\n"
	  "Details: docs/commands/snapshot.md.",
	  NULL },
	{ "pii", cmd_pii, "pii scan SOURCE [--sample N] [--output FILE] [--json]",
	  "Find columns that look like personal data and write masking rules for them as a sluice.yaml "
	  "section.",
	  "Columns are judged by name and by a sample of their values (emails, phones, names, IP addresses,\n"
	  "card numbers with a Luhn check, emails inside free text, paths inside JSON). Review the output,\n"
	  "then paste it into sluice.yaml. Details: docs/commands/pii.md.",
	  NULL },
	{ "sync", cmd_sync, "sync start|run|status|pause|resume|stop|reverse SOURCE TARGET [options]",
	  "Keep a target in step with a live source (any engines, either direction) until cutover, and back.",
	  "start installs capture triggers and copies the tables; run applies the change log\n"
	  "(--follow keeps going); status shows lag and rates; stop removes every trace;\n"
	  "reverse points capture back for rollback after a cutover. Details:\n"
	  "docs/commands/sync.md and docs/sync.md. Exit codes: 0 ok, 1 rows rejected, 2 usage\n"
	  "or a table without a key, 3 database error, 4 another run applies to the target,\n"
	  "5 another sync's state found, or a captured table's schema changed.",
	  NULL },
	{ "shadow", cmd_shadow,
	  "shadow SOURCE TARGET [--query NAME | --sql SQL [--ordered]] [--json] [--history]",
	  "Run the workflow queries of sluice.yaml on both databases and compare the results canonically.",
	  "Queries live under `shadow:` in sluice.yaml, written once or once per engine;\n"
	  "results compare as multisets, or row by row with `ordered: true`. Each run is\n"
	  "recorded in the state store (--history lists them). Details: docs/commands/shadow.md.\n"
	  "Exit codes: 0 same results, 1 differences, 2 usage or configuration error, 3 a query\n"
	  "failed or a database error.",
	  NULL },
	{ "watch", cmd_watch,
	  "watch [TARGET] [--source ENV] [--every 5m] [--for 72h] [--checks LIST] [--exit-on-breach] | watch "
	  "status",
	  "Hypercare after a cutover: rules, diff, sync lag and shadow reads on a schedule, with history and "
	  "a "
	  "hook.",
	  "Thresholds in sluice.yaml `watch:` turn each run into ok, warn or breach; on each change of\n"
	  "state the hook command gets a JSON payload on stdin, once. Every run is recorded in the state\n"
	  "store; a database that cannot be reached is recorded as a gap, never as a pass.\n"
	  "`sluice watch status` prints the state, the last runs and the trends (--json for programs).\n"
	  "Details: docs/commands/watch.md. Exit codes: 0 ok, 1 breach with --exit-on-breach, 2 usage\n"
	  "or configuration, 3 the state store failed, 4 another watch uses the state store (--wait),\n"
	  "143 stopped by SIGTERM (130 Ctrl-C) after recording the run in progress.",
	  "interrupted: the run in progress was not recorded as finished" },
	{ "cutover", cmd_cutover,
	  "cutover plan|run|dry-run|status|approve|rollback|unfreeze RUNBOOK [options]",
	  "Run a written cutover runbook: gates, approvals, a measured write freeze, the switch, and the way "
	  "back.",
	  "The runbook (docs/runbook.md) names phases, one per domain, each a list of steps with gates,\n"
	  "and the steps that undo it. Every step is journaled in the state store before and after it\n"
	  "runs; a run killed at any point resumes without repeating a completed step. `dry-run` walks\n"
	  "the plan against scratch copies, practicing each rollback. Details: docs/commands/cutover.md.\n"
	  "Exit codes: 0 done and every success criterion met, 1 a gate failed, a rollback ran or a\n"
	  "criterion failed, 2 a bad runbook, 3 database error, 4 another process runs it, 5 the runbook\n"
	  "changed or its last run ended, 6 an approval refused, 8 waiting for an approval (--no-wait).",
	  "interrupted: the step under way stopped; `sluice cutover run RUNBOOK` resumes it" },
	{ "worker", cmd_worker,
	  "worker STATE_URL [--source URL|ENV] [--target URL|ENV] [--id NAME] [--run ID] [--idle SECONDS]",
	  "Work on distributed copies and diffs: claim chunks from a PostgreSQL work table until none is "
	  "left.",
	  "STATE_URL is the postgres:// database `sluice copy|diff --distributed STATE_URL` planned the\n"
	  "run in; start any number of workers on any machines. Each claims a chunk (one key range of a\n"
	  "table) with FOR UPDATE SKIP LOCKED under a lease, copies or compares it, and records the\n"
	  "result. A worker that dies leaves its chunk to the next one once the lease expires; copy's\n"
	  "checkpoints in the target, fenced by the chunk's attempt number, make every row land once.\n"
	  "The databases come from --source/--target, else from what the run recorded (environment\n"
	  "names resolved in this machine's sluice.yaml, or URLs that hold no password).\n"
	  "Details: docs/commands/distributed.md.\n"
	  "Exit codes: 0 nothing left to do, 2 usage or a store that is not PostgreSQL, 3 database error,\n"
	  "5 this worker's plan differs from the coordinator's, 130 interrupted (the chunk is given back).",
	  "interrupted: the chunk in hand was given back; its committed batches are kept" },
	{ "help", cmd_help, "help [COMMAND]", "Show the commands, or one command's help.", NULL, NULL },
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
		return cli_error(EXIT_USAGE, "no command given");
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
	if (c)
		cli_signals_immediate(c->on_interrupt);
	if (!c) {
		return cli_error(EXIT_USAGE, "unknown command \"%s\" (see sluice help)", argv[1]);
	}
	return c->run(argc - 1, argv + 1);
}
