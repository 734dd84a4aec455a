/*
 * util.c - the small helpers of util.h, each once: clocks, UTC text, exact
 * integer parsing, string-list membership, JSON string idioms.
 */
#include "sluice/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "sluice/error.h"

int64_t sl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double sl_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sl_now_utc_text(char *out, size_t n, char sep, int frac_digits)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int len = snprintf(out, n, "%04d-%02d-%02d%c%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			   tm.tm_mday, sep, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (len < 0 || (size_t)len >= n)
		return;
	if (frac_digits == 3)
		snprintf(out + len, n - (size_t)len, ".%03ldZ", ts.tv_nsec / 1000000);
	else if (frac_digits == 6)
		snprintf(out + len, n - (size_t)len, ".%06ldZ", ts.tv_nsec / 1000);
	else
		snprintf(out + len, n - (size_t)len, "Z");
}

bool sl_parse_i64(const char *s, size_t len, int64_t *out)
{
	char tmp[32];
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	size_t i = (tmp[0] == '-' || tmp[0] == '+') ? 1 : 0;
	if (!tmp[i])
		return false;
	for (size_t j = i; tmp[j]; j++)
		if (!isdigit((unsigned char)tmp[j]))
			return false;
	errno = 0;
	char *end = NULL;
	long long v = strtoll(tmp, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool sl_str_in(const char *s, const char *const *v, size_t n)
{
	if (!s)
		return false;
	for (size_t i = 0; v && (n == SL_STRV_NULL_ENDED ? v[i] != NULL : i < n); i++)
		if (v[i] && strcmp(v[i], s) == 0)
			return true;
	return false;
}

json_t *sl_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

const char *sl_json_get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int sl_read_file(char **out, size_t *len, const char *path, size_t max, const char *what)
{
	FILE *f = NULL;
	char *b = NULL;
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (!(f = fopen(path, "rb")) || fstat(fileno(f), &st) != 0) {
		rc = sl_error_set(errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "read %s \"%s\": %s", what, path,
				  strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		rc = sl_error_set(SL_EINVALID, "read %s \"%s\": not a regular file under %zu MiB", what, path,
				  max >> 20);
		goto done;
	}
	if (!(b = malloc((size_t)st.st_size + 1))) {
		rc = sl_error_nomem();
		goto done;
	}
	*len = fread(b, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = sl_error_set(SL_EIO, "read %s \"%s\": %s", what, path, strerror(errno));
		goto done;
	}
	b[*len] = '\0';
	*out = b;
	b = NULL;
done:
	free(b);
	if (f)
		fclose(f);
	return rc;
}
