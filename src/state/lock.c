/*
 * lock.c - named locks of the state store (include/sluice/state.h): one
 * process at a time may run, say, `sluice watch` on a store. The lock is an
 * flock() on "<store>.<name>.lock" beside the store file, so the kernel
 * releases it when the holder ends, however it ends (no stale lock after a
 * crash). The holder writes its process id and start time into the file,
 * for the message the next one gets.
 */
#include "state_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"

struct sl_state_lock {
	int fd;
	char *path;
};

static bool valid_name(const char *name)
{
	if (!name || !*name || strlen(name) > 32)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return true;
}

static void nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Who holds the lock, as its holder wrote it ("pid 123 since ..."), into buf. */
static void holder(int fd, char *buf, size_t n)
{
	ssize_t got = pread(fd, buf, n - 1, 0);
	buf[got > 0 ? got : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0])
		snprintf(buf, n, "a process that has not said who it is");
}

static int claim(int fd)
{
	char line[96], now[40];
	sl_state_now_utc(now, sizeof(now));
	int len = snprintf(line, sizeof(line), "pid %ld since %s\n", (long)getpid(), now);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
		return sl_error_set(SL_EIO, "write lock file: %s", strerror(errno));
	return 0;
}

int sl_state_lock_take(sl_state_lock **out, sl_state *s, const char *name, int64_t wait_ms,
		       const volatile sig_atomic_t *stop)
{
	sl_state_lock *l = NULL;
	char who[96];
	int rc = 0;
	*out = NULL;
	if (!valid_name(name))
		return sl_error_set(SL_EINVALID, "lock name \"%s\": letters, digits and '_' only",
				    name ? name : "");
	size_t len = strlen(s->path) + strlen(name) + 8;
	if ((l = calloc(1, sizeof(*l))) != NULL)
		l->fd = -1;
	if (!l || !(l->path = malloc(len))) {
		rc = sl_error_nomem();
		goto done;
	}
	snprintf(l->path, len, "%s.%s.lock", s->path, name);
	l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->fd < 0) {
		rc = sl_error_set(SL_EIO, "open lock file \"%s\": %s", l->path, strerror(errno));
		goto done;
	}
	int64_t until = wait_ms > 0 ? mono_ms() + wait_ms : 0;
	for (;;) {
		if (flock(l->fd, LOCK_EX | LOCK_NB) == 0) {
			rc = claim(l->fd);
			break;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = sl_error_set(SL_EIO, "lock \"%s\": %s", l->path, strerror(errno));
			break;
		}
		if (wait_ms == 0 || (wait_ms > 0 && mono_ms() >= until) || (stop && *stop)) {
			holder(l->fd, who, sizeof(who));
			rc = sl_error_set(SL_ELOCKED, "the state store \"%s\" is in use by another %s (%s)",
					  s->path, name, who);
			break;
		}
		nap_ms(100);
	}
done:
	if (rc) {
		sl_state_lock_release(l);
		return rc;
	}
	*out = l;
	return 0;
}

void sl_state_lock_release(sl_state_lock *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd); /* releases the flock; the file stays for the next holder */
	free(l->path);
	free(l);
}
