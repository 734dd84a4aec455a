/*
 * hook.c - the watch's hook command (docs/commands/watch.md, "The hook"):
 * `/bin/sh -c COMMAND` with the JSON payload on its stdin, its stdout sent
 * to sluice's stderr (so it never mixes with --json output), and
 * SLUICE_WATCH_EVENT, SLUICE_WATCH_STATE and SLUICE_WATCH_PREVIOUS in its
 * environment. It runs in a process group of its own, which is killed when
 * it outlives its timeout (SIGTERM, then SIGKILL a second later), so a hung
 * curl cannot stall the watch. A hook that does not read its stdin does not
 * stop sluice either: writes wait at most until the timeout, and SIGPIPE is
 * blocked (for this thread) while writing.
 */
#include "watch_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"

extern char **environ;

static void nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* environ plus the three SLUICE_WATCH_* variables (replacing any inherited). */
static char **hook_env(sl_arena *a, const char *event, const char *state, const char *previous)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = sl_arena_calloc(a, n + 4, sizeof(char *));
	size_t k = 0;
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SLUICE_WATCH_", 13) != 0)
			env[k++] = environ[i];
	env[k++] = sl_arena_printf(a, "SLUICE_WATCH_EVENT=%s", event ? event : "");
	env[k++] = sl_arena_printf(a, "SLUICE_WATCH_STATE=%s", state ? state : "");
	env[k++] = sl_arena_printf(a, "SLUICE_WATCH_PREVIOUS=%s", previous ? previous : "");
	return env[k - 1] && env[k - 2] && env[k - 3] ? env : NULL;
}

/* Writes the payload, giving up at deadline or when the hook closed its stdin. */
static void feed(int fd, const char *payload, int64_t deadline)
{
	sigset_t pipe_set, old;
	size_t len = strlen(payload), done = 0;
	bool broken = false;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (done < len && watch_mono_ms() < deadline) {
		ssize_t n = write(fd, payload + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 50);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		broken = n < 0 && errno == EPIPE;
		break;
	}
	if (broken) { /* take the SIGPIPE the write raised, so it is not delivered when unblocked */
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Waits for pid until deadline; then ends its group. */
static void reap(watch_hook_result *out, pid_t pid, int64_t deadline)
{
	int status = 0;
	pid_t got = 0;
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && watch_mono_ms() < deadline)
		nap_ms(10);
	if (got == 0) {
		out->timed_out = true;
		kill(-pid, SIGTERM);
		for (int i = 0; i < 100 && (got = waitpid(pid, &status, WNOHANG)) == 0; i++)
			nap_ms(10);
		if (got == 0) {
			kill(-pid, SIGKILL);
			got = waitpid(pid, &status, 0);
		}
	}
	if (got == pid && WIFEXITED(status) && !out->timed_out)
		out->exit_code = WEXITSTATUS(status);
	if (out->timed_out)
		snprintf(out->error, sizeof(out->error),
			 "the hook did not finish within its timeout: killed");
	else if (got == pid && WIFSIGNALED(status))
		snprintf(out->error, sizeof(out->error), "the hook was killed by signal %d",
			 WTERMSIG(status));
	else if (got != pid)
		snprintf(out->error, sizeof(out->error), "waiting for the hook: %s", strerror(errno));
	else if (out->exit_code != 0)
		snprintf(out->error, sizeof(out->error), "the hook exited with status %d", out->exit_code);
}

int watch_hook_exec(watch_hook_result *out, const char *command, int64_t timeout_ms, const char *payload,
		    const char *event, const char *state, const char *previous)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	int fds[2] = { -1, -1 }, rc = 0, err;
	pid_t pid = -1;
	sl_arena *a = sl_arena_new(1024);
	char **env = a ? hook_env(a, event, state, previous) : NULL;
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	int64_t t0 = watch_mono_ms(), deadline = t0 + timeout_ms;
	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (!env) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		rc = sl_error_set(SL_EIO, "run the watch hook: pipe: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr,
				 POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	err = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[0]);
	fds[0] = -1;
	if (err != 0) {
		rc = sl_error_set(SL_EIO, "run the watch hook: /bin/sh: %s", strerror(err));
		goto done;
	}
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	feed(fds[1], payload ? payload : "", deadline);
	close(fds[1]);
	fds[1] = -1;
	reap(out, pid, deadline);
	out->ms = watch_mono_ms() - t0;
done:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	sl_arena_free(a);
	return rc;
}
