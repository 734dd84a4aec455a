/*
 * signals.c - what Ctrl-C (SIGINT) and SIGTERM do (docs/exit-codes.md).
 *
 * Every command starts with the immediate handler: it writes
 * "sluice: error: interrupted..." and ends the process with 128 + the signal
 * (130 for SIGINT), as a shell reports a process killed by it; the servers
 * roll back what was not committed. A command that can stop cleanly (copy)
 * asks for the graceful handler instead: the first signal only sets a flag
 * the command polls, so it stops after its last committed batch and says how
 * to go on; a second signal ends the process at once.
 *
 * The flag is the one process-wide variable of the command line: a signal
 * handler can reach nothing else. Only async-signal-safe calls are made in
 * the handlers (write, _exit, sigaction).
 */
#include "cli.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught; /* the signal received, 0 until then */
static const char *immediate_note = "interrupted";

static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));
	(void)n;
}

static void on_immediate(int sig)
{
	say("\nsluice: error: ");
	say(immediate_note);
	say("\n");
	_exit(128 + sig);
}

static void set_handler(void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART; /* the command polls the flag; blocking calls carry on */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void on_graceful(int sig)
{
	caught = sig;
	set_handler(on_immediate); /* a second Ctrl-C does not wait */
}

void cli_signals_immediate(const char *note)
{
	if (note)
		immediate_note = note;
	set_handler(on_immediate);
}

void cli_signals_graceful(void)
{
	caught = 0;
	set_handler(on_graceful);
}

int cli_interrupted(void)
{
	return caught;
}

const volatile sig_atomic_t *cli_interrupt_flag(void)
{
	return &caught;
}

int cli_interrupt_exit(void)
{
	return caught ? 128 + caught : EXIT_INTERRUPTED;
}
