/*
 * proc.c - running the runbook's hook commands (switch, command, freeze by
 * command, notify) and starting the freeze watchdog.
 *
 * A hook runs as /bin/sh -c COMMAND in the runbook's directory, in its own
 * process group, with a JSON payload on its stdin (a socket, written without
 * blocking: a hook that never reads its stdin cannot stall the cutover),
 * stdout and stderr captured (the last 2 KiB kept, passwords in URLs
 * masked). After the timeout the whole group gets SIGTERM, and SIGKILL a
 * second later: co_proc_run never waits much longer than its timeout. No
 * descriptor of the cutover (the state store, database sockets, the run's
 * lock) is inherited. posix_spawn, so nothing runs between fork and exec in
 * this multi-threaded process.
 */
#include "cutover_int.h"
#include "sluice/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"

extern char **environ;

#define KEEP_OUTPUT 2048

/* The end of a URL's authority or a key word's value: where a password stops. */
static bool stops(char c)
{
	return c == '\0' || c == '/' || c == ' ' || c == '\n' || c == '"' || c == '&' || c == ';';
}

void co_redact(char *s)
{
	/* scheme://user:password@host -> scheme://user:***@host, in place */
	for (char *p = strstr(s, "://"); p; p = strstr(p + 3, "://")) {
		char *start = p + 3, *at = NULL, *colon = NULL;
		for (char *q = start; !stops(*q); q++) {
			if (*q == '@')
				at = q;
			if (*q == ':' && !colon && !at)
				colon = q;
		}
		if (at && colon && colon < at) {
			size_t plen = (size_t)(at - colon - 1);
			if (plen >= 3) {
				memcpy(colon + 1, "***", 3);
				memmove(colon + 4, at, strlen(at) + 1);
			} else {
				memset(colon + 1, '*', plen);
			}
		}
	}
	/* password=secret (libpq key words, MySQL options) */
	for (char *p = strstr(s, "password="); p; p = strstr(p + 9, "password=")) {
		char *v = p + 9, *e = v;
		while (!stops(*e))
			e++;
		if (e - v >= 3) {
			memcpy(v, "***", 3);
			memmove(v + 3, e, strlen(e) + 1);
		}
	}
}

/* environ plus extra ("NAME=value"), extra winning over an inherited NAME. */
static char **make_env(const char *const *extra)
{
	size_t n = 0, m = 0;
	while (environ && environ[n])
		n++;
	while (extra && extra[m])
		m++;
	char **env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool over = false;
		for (size_t j = 0; j < m && !over; j++) {
			const char *eq = strchr(extra[j], '=');
			size_t len = eq ? (size_t)(eq - extra[j]) + 1 : strlen(extra[j]);
			over = strncmp(environ[i], extra[j], len) == 0;
		}
		if (!over)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = (char *)extra[j];
	return env;
}

/* Keeps the last KEEP_OUTPUT bytes of what the hook printed. */
static void keep(sl_buf *out, const char *data, size_t n)
{
	sl_buf_put(out, data, n);
	if (out->len > KEEP_OUTPUT * 2) {
		memmove(out->ptr, out->ptr + out->len - KEEP_OUTPUT, KEEP_OUTPUT);
		out->len = KEEP_OUTPUT;
		out->ptr[out->len] = '\0';
	}
}

static int spawn_attrs(posix_spawnattr_t *at, bool setsid)
{
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGQUIT);
	int e = posix_spawnattr_init(at);
	if (!e)
		e = posix_spawnattr_setsigmask(at, &none);
	if (!e)
		e = posix_spawnattr_setsigdefault(at, &def);
	if (!e && !setsid)
		e = posix_spawnattr_setpgroup(at, 0);
	if (!e)
		e = posix_spawnattr_setflags(at,
					     (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						     (setsid ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP)));
	return e;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child's file actions: stdin from in1, stdout and stderr to out1, in dir, nothing else open. */
static int child_actions(posix_spawn_file_actions_t *fa, bool *fa_ok, int in1, int out1, const char *dir)
{
	int e = posix_spawn_file_actions_init(fa);
	*fa_ok = e == 0;
	if (!e)
		e = posix_spawn_file_actions_adddup2(fa, in1, 0);
	if (!e)
		e = posix_spawn_file_actions_adddup2(fa, out1, 1);
	if (!e)
		e = posix_spawn_file_actions_adddup2(fa, out1, 2);
	if (!e && dir)
		e = posix_spawn_file_actions_addchdir_np(fa, dir);
	if (!e)
		e = posix_spawn_file_actions_addclosefrom_np(fa, 3);
	return e;
}

/* Feed payload to the child, keep its output, stop it at the deadline, until it exits: its wait status. */
static int wait_child(pid_t pid, int *in0, int *out0, const char *payload, size_t plen, double deadline,
		      sl_buf *output, bool *timed_out)
{
	int status = 0;
	bool exited = false;
	size_t sent = 0;
	double killed_at = 0, exit_at = 0;

	while (!exited || *out0 >= 0) {
		double now = sl_now_s();
		if (!exited && now >= deadline && killed_at == 0) {
			*timed_out = true;
			kill(-pid, SIGTERM);
			killed_at = now;
		} else if (!exited && killed_at > 0 && now >= killed_at + 1.0) {
			kill(-pid, SIGKILL);
			killed_at = now + 1e9; /* once */
		}
		struct pollfd pf[2] = { { .fd = *out0, .events = POLLIN }, { .fd = -1, .events = POLLOUT } };
		if (*in0 >= 0 && sent < plen)
			pf[1].fd = *in0;
		int wait_ms = exited ? 0 : 50;
		if (poll(pf, 2, wait_ms) > 0) {
			if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
				char buf[4096];
				ssize_t n = read(*out0, buf, sizeof(buf));
				if (n > 0)
					keep(output, buf, (size_t)n);
				else if (n == 0 || (errno != EAGAIN && errno != EINTR))
					close_fd(out0);
			}
			if (pf[1].fd >= 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
				ssize_t n =
					send(*in0, payload + sent, plen - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (n > 0)
					sent += (size_t)n;
				if (n < 0 && errno != EAGAIN && errno != EINTR)
					sent = plen; /* the hook closed its stdin */
				if (sent >= plen)
					shutdown(*in0, SHUT_WR);
			}
		} else if (exited) {
			close_fd(out0); /* exited, nothing more buffered: a background child may hold the pipe
					 */
		}
		if (exited && now - exit_at > 0.5)
			close_fd(out0); /* ... and may keep writing */
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			exit_at = sl_now_s();
		}
	}
	return status;
}

int co_proc_run(co_proc_result *out, const char *command, const char *dir, const char *payload,
		const char *const *env, double timeout_s, void (*started)(void *ud, int64_t pid), void *ud)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, rc = 0, e = 0, status = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	bool fa_ok = false, at_ok = false;
	char **envp = NULL;
	pid_t pid = -1;
	sl_buf output = SL_BUF_INIT;
	size_t plen = payload ? strlen(payload) : 0;
	double t0 = sl_now_s(), deadline = t0 + (timeout_s > 0 ? timeout_s : 60);
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };

	memset(out, 0, sizeof(*out));
	out->status = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
		rc = sl_error_set(SL_EIO, "run \"%s\": %s", command, strerror(errno));
		goto done;
	}
	if (!(envp = make_env(env))) {
		rc = sl_error_nomem();
		goto done;
	}
	e = child_actions(&fa, &fa_ok, in[1], outp[1], dir);
	if (!e) {
		e = spawn_attrs(&at, false);
		at_ok = true;
	}
	if (!e)
		e = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, envp);
	if (e) {
		rc = sl_error_set(SL_EIO, "run \"%s\": %s", command, strerror(e));
		goto done;
	}
	close_fd(&in[1]);
	close_fd(&outp[1]);
	if (started)
		started(ud, pid);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	if (plen == 0)
		shutdown(in[0], SHUT_WR);
	status = wait_child(pid, &in[0], &outp[0], payload, plen, deadline, &output, &out->timed_out);
	out->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
done:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	free(envp);
	out->seconds = sl_now_s() - t0;
	if (output.len > KEEP_OUTPUT) {
		memmove(output.ptr, output.ptr + output.len - KEEP_OUTPUT, KEEP_OUTPUT);
		output.len = KEEP_OUTPUT;
		output.ptr[output.len] = '\0';
	}
	if (output.ptr)
		co_redact(output.ptr);
	out->output = sl_buf_detach(&output);
	return rc;
}

void co_proc_result_clear(co_proc_result *r)
{
	free(r->output);
	r->output = NULL;
}

int co_proc_spawn_detached(const char *const *argv, int64_t *pid_out)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid = -1;
	int e = posix_spawn_file_actions_init(&fa);
	if (e)
		return sl_error_set(SL_EIO, "start \"%s\": %s", argv[0], strerror(e));
	e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	bool at_ok = false;
	if (!e) {
		e = spawn_attrs(&at, true);
		at_ok = true;
	}
	if (!e)
		e = posix_spawn(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	if (e)
		return sl_error_set(SL_EIO, "start \"%s\": %s", argv[0], strerror(e));
	*pid_out = pid;
	return 0;
}
