/*
 * cli.h - the sluice command line: command table, option tables, output.
 *
 * Adding a command:
 *   1. write cli/cmd_<verb>.c with `int cmd_<verb>(int argc, char **argv)` and
 *      a static option table (cli_option[]) that drives both parsing and help;
 *   2. declare it below and add one line to the table in cli/main.c;
 *   3. document it: docs/commands/<verb>.md, the man page docs/sluice.1,
 *      README's command list; add a scenario test in tests/integration/.
 * tests/integration/test_cli.sh checks that every command answers --help.
 *
 * Library code never prints or exits; commands do, through the helpers here.
 * Exit codes (docs/exit-codes.md) come from cli_exit_code() only.
 */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum {
	EXIT_OK = 0,
	EXIT_PROBLEMS = 1, /* checks, diff or lint found problems */
	EXIT_USAGE = 2,    /* bad usage, URL, config or input file */
	EXIT_DATABASE = 3, /* database unreachable or an error from it */
	EXIT_LOCKED = 4,   /* another run holds the lock */
	EXIT_CONFLICT = 5, /* recorded state disagrees: drift, dirty migration */
	EXIT_INTERNAL = 70
};

typedef enum { CLI_FLAG, CLI_STRING, CLI_INT } cli_kind;

typedef struct cli_option {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 when none */
	cli_kind kind;
	const char *arg; /* placeholder shown in help, e.g. "URL" */
	const char *help;
	void *target; /* bool*, const char**, or long* */
} cli_option;

typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;       /* "inspect URL [options]" */
	const char *summary;     /* one line */
	const char *description; /* paragraphs for `sluice help <cmd>` */
} cli_command;

/*
 * Parses argv[1..] (argv[0] is the command name) against opts. Positional
 * arguments are collected in order into pos (up to max_pos). "--help"/"-h"
 * prints help and returns 1 (the caller exits 0). Returns 0 on success,
 * -1 after printing a usage error.
 */
int cli_parse(const char *cmd, const cli_option *opts, int argc, char **argv, const char **pos, int max_pos,
	      int *npos);
void cli_print_help(FILE *f, const char *cmd, const cli_option *opts);
const cli_command *cli_find(const char *name);
const cli_command *cli_commands(int *n);

/* Prints "sluice: error: <last library error>" and maps the code to an exit code. */
int cli_fail(int rc);
/* Prints "sluice: <cmd>: <message>" for usage errors; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_code(int rc);
/* True when stdout is a terminal and NO_COLOR is unset. */
bool cli_color(FILE *f);

int cmd_inspect(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_contract(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
