/*
 * cli.h - the sluice command line: command table, option tables, output.
 *
 * Adding a command:
 *   1. write cli/cmd_<verb>.c with `int cmd_<verb>(int argc, char **argv)` and
 *      a static option table (cli_option[]) that drives both parsing and help;
 *   2. declare it below and add one line to the table in cli/main.c;
 *   3. document it: docs/commands/<verb>.md, the man page docs/sluice.1,
 *      README's command list; add a scenario test in tests/integration/.
 * tests/integration/test_cli.sh checks that every command answers --help;
 * test_exit_codes.sh and test_completion.sh take every command of the table
 * too. `sluice completion` picks a new command and its options up by itself,
 * provided cli_parse() is the first thing the command does (cmd_completion.c).
 *
 * Library code never prints or exits; commands do, through the helpers here.
 * Exit codes (docs/exit-codes.md) come from cli_exit_code() only.
 */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

enum {
	EXIT_OK = 0,
	EXIT_PROBLEMS = 1,   /* checks, diff or lint found problems */
	EXIT_USAGE = 2,      /* bad usage, URL, config, or a file that is missing or unreadable */
	EXIT_DATABASE = 3,   /* database unreachable or an error from it */
	EXIT_LOCKED = 4,     /* another run holds the lock */
	EXIT_CONFLICT = 5,   /* recorded state disagrees: drift, dirty migration, a copy to resume */
	EXIT_REFUSED = 6,    /* refused to protect data: same database, tables it did not create */
	EXIT_INCOMPLETE = 7, /* copy: tables the target refused were left out; --resume after a fix */
	EXIT_WAITING = 8,    /* cutover run --no-wait stopped at an approval nobody gave yet */
	EXIT_INTERNAL = 70,
	EXIT_INTERRUPTED = 130, /* Ctrl-C (SIGINT); SIGTERM ends with 143 */
	EXIT_TERMINATED = 143
};

typedef enum { CLI_FLAG, CLI_STRING, CLI_INT, CLI_LIST } cli_kind;

/* The target of a CLI_LIST option: each use appends one value (borrowed from argv). */
#define CLI_LIST_MAX 64
typedef struct cli_list {
	const char *v[CLI_LIST_MAX];
	size_t n;
} cli_list;

typedef struct cli_option {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 when none */
	cli_kind kind;
	const char *arg; /* placeholder shown in help, e.g. "URL" */
	const char *help;
	void *target; /* bool*, const char**, long* or cli_list* */
} cli_option;

typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;        /* "inspect URL [options]" */
	const char *summary;      /* one line */
	const char *description;  /* paragraphs for `sluice help <cmd>` */
	const char *on_interrupt; /* said after Ctrl-C: "interrupted" when NULL */
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
/*
 * Collecting mode, for generated completion scripts (cmd_completion.c): the
 * next cli_parse() copies its option table (up to max entries) into out and
 * returns 1 without parsing, as for --help, so the command does nothing.
 */
void cli_collect_begin(cli_option *out, size_t max, size_t *n);
void cli_collect_end(void);
/* True between cli_collect_begin() and the next option table collected. */
bool cli_collecting(void);
/*
 * For a command with subcommands, each with its own option table: while
 * collecting, hands over every option of the NULL-terminated tables once (by
 * name) and returns 1, as cli_parse() does for "--help".
 */
int cli_collect_all(const cli_option *const *tables);
const cli_command *cli_find(const char *name);
const cli_command *cli_commands(int *n);

/*
 * Every error sluice prints has one form: "sluice: error: <what was being
 * done>: <why>" (docs/exit-codes.md), on stderr.
 */
/* Prints the last library error in that form (with its SQLSTATE), for an error that does not end the command.
 */
void cli_report_error(int rc);
/* cli_report_error(), then the exit code the library code maps to. */
int cli_fail(int rc);
/* Prints "sluice: error: <message>"; returns code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "sluice: error: <cmd>: <message>" for usage errors; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_code(int rc);
/*
 * Ctrl-C and SIGTERM (cli/signals.c). main() installs the immediate handler
 * for every command: "sluice: error: <note>" and exit 128 + signal. A command
 * that can stop cleanly switches to the graceful one and polls
 * cli_interrupted() (the signal number, 0 when none came); it then exits
 * with cli_interrupt_exit() (130 for SIGINT, 143 for SIGTERM).
 */
void cli_signals_immediate(const char *note);
void cli_signals_graceful(void);
int cli_interrupted(void);
int cli_interrupt_exit(void);
/* The flag itself, for library code that polls a `const volatile sig_atomic_t *stop` (sync, watch). */
const volatile sig_atomic_t *cli_interrupt_flag(void);

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
int cmd_completion(int argc, char **argv);
int cmd_rehearse(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_impact(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_pii(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_shadow(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_cutover(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
