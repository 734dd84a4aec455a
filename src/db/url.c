/*
 * url.c - parsing and redaction of database URLs (see include/sluice/url.h).
 *
 * PostgreSQL URLs are validated by libpq's own PQconninfoParse, so sluice
 * accepts exactly what libpq accepts; the redacted form is rebuilt from the
 * parsed options. MySQL URLs are parsed here: percent-decoding, a numeric
 * port, and options after '?'. This file is a fuzz target (fuzz/fuzz_url.c).
 */
#include "sluice/url.h"
#include "sluice/buf.h"
#include "sluice/error.h"

#include <ctype.h>
#include <strings.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *sl_engine_name(sl_engine e)
{
	switch (e) {
	case SL_ENGINE_SQLITE:
		return "sqlite";
	case SL_ENGINE_POSTGRES:
		return "postgres";
	case SL_ENGINE_MYSQL:
		return "mysql";
	default:
		return "none";
	}
}

void sl_url_free(sl_url *u)
{
	if (!u)
		return;
	free(u->raw);
	free(u->redacted);
	free(u->conninfo);
	free(u->path);
	free(u->file);
	free(u->user);
	if (u->password) {
		memset(u->password, 0, strlen(u->password));
		free(u->password);
	}
	free(u->host);
	free(u->database);
	for (size_t i = 0; i < u->nparams; i++) {
		free(u->params[i].key);
		free(u->params[i].value);
	}
	free(u->params);
	free(u);
}

const char *sl_url_param_get(const sl_url *u, const char *key)
{
	for (size_t i = u->nparams; i-- > 0;)
		if (strcmp(u->params[i].key, key) == 0)
			return u->params[i].value;
	return NULL;
}

static int hexv(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into a new string; NULL with the error set on bad input. */
static char *pct_decode(const char *s, size_t n, const char *part)
{
	char *d = malloc(n + 1);
	if (!d) {
		sl_error_nomem();
		return NULL;
	}
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h = i + 2 < n ? hexv((unsigned char)s[i + 1]) : -1;
			int l = i + 2 < n ? hexv((unsigned char)s[i + 2]) : -1;
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(d);
				sl_error_set(SL_EINVALID, "invalid percent-encoding in the %s", part);
				return NULL;
			}
			d[j++] = (char)(h * 16 + l);
			i += 2;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	return d;
}

static int add_param(sl_url *u, const char *k, size_t kn, const char *v, size_t vn)
{
	sl_url_param *np = realloc(u->params, (u->nparams + 1) * sizeof(*np));
	if (!np)
		return sl_error_nomem();
	u->params = np;
	sl_url_param *p = &u->params[u->nparams];
	p->key = pct_decode(k, kn, "option name");
	if (!p->key)
		return SL_EINVALID;
	p->value = pct_decode(v, vn, "option value");
	if (!p->value) {
		free(p->key);
		return SL_EINVALID;
	}
	u->nparams++;
	return 0;
}

static int parse_query(sl_url *u, const char *q)
{
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		if (n == 0) {
			q += amp ? 1 : 0;
			if (!amp)
				break;
			continue;
		}
		if (!eq || eq == q)
			return sl_error_set(SL_EINVALID, "option \"%.*s\" is not KEY=VALUE",
					    (int)(n > 40 ? 40 : n), q);
		int rc = add_param(u, q, (size_t)(eq - q), eq + 1, n - (size_t)(eq - q) - 1);
		if (rc)
			return rc;
		q += n + (amp ? 1 : 0);
	}
	return 0;
}

static int parse_port(sl_url *u, const char *s, size_t n)
{
	if (n == 0 || n > 5)
		goto bad;
	int port = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		port = port * 10 + (s[i] - '0');
	}
	if (port < 1 || port > 65535)
		goto bad;
	u->port = port;
	return 0;
bad:
	return sl_error_set(SL_EINVALID, "invalid port \"%.*s\" (expected 1-65535)", (int)(n > 20 ? 20 : n),
			    s);
}

/* mysql://[user[:password]@][host][:port][/database][?k=v&...] */
static int parse_mysql(sl_url *u, const char *rest)
{
	int rc = 0;
	char *copy = strdup(rest);
	if (!copy)
		return sl_error_nomem();
	char *query = strchr(copy, '?');
	if (query)
		*query++ = '\0';
	char *slash = strchr(copy, '/');
	if (slash) {
		*slash++ = '\0';
		if (strchr(slash, '/')) {
			rc = sl_error_set(SL_EINVALID, "invalid database name \"%s\": it holds a '/'", slash);
			goto done;
		}
		if (*slash && !(u->database = pct_decode(slash, strlen(slash), "database name"))) {
			rc = SL_EINVALID;
			goto done;
		}
	}
	char *hostport = copy;
	char *at = strrchr(copy, '@');
	if (at) {
		*at = '\0';
		hostport = at + 1;
		char *colon = strchr(copy, ':');
		if (colon) {
			*colon = '\0';
			if (!(u->password = pct_decode(colon + 1, strlen(colon + 1), "password"))) {
				rc = SL_EINVALID;
				goto done;
			}
		}
		if (*copy && !(u->user = pct_decode(copy, strlen(copy), "user name"))) {
			rc = SL_EINVALID;
			goto done;
		}
	}
	char *portp = NULL;
	if (hostport[0] == '[') {
		char *close = strchr(hostport, ']');
		if (!close) {
			rc = sl_error_set(SL_EINVALID, "invalid host: '[' without ']'");
			goto done;
		}
		*close = '\0';
		if (close[1] == ':')
			portp = close + 2;
		else if (close[1]) {
			rc = sl_error_set(SL_EINVALID, "invalid host: text after ']'");
			goto done;
		}
		hostport++;
	} else {
		char *colon = strchr(hostport, ':');
		if (colon) {
			*colon = '\0';
			portp = colon + 1;
		}
	}
	if (*hostport && !(u->host = pct_decode(hostport, strlen(hostport), "host"))) {
		rc = SL_EINVALID;
		goto done;
	}
	if (portp && (rc = parse_port(u, portp, strlen(portp))))
		goto done;
	if (query)
		rc = parse_query(u, query);
done:
	free(copy);
	return rc;
}

/*
 * The options src/db/mysql.c reads, and the values it accepts, checked here so
 * a typo is a usage error naming the option before anything connects.
 */
static int mysql_check_options(const sl_url *u)
{
	static const char *const known[] = { "socket",   "group",    "option-file", "connect-timeout",
					     "ssl-mode", "ssl",      "ssl-ca",      "ssl-cert",
					     "ssl-key",  "protocol", "sql-mode" };
	static const char *const sslmodes[] = {
		"disabled", "preferred", "required", "verify_ca", "verify_identity", "true", "false", "1", "0"
	};
	for (size_t i = 0; i < u->nparams; i++) {
		const char *k = u->params[i].key, *v = u->params[i].value;
		bool ok = false;
		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			ok = ok || !strcmp(k, known[j]);
		if (!ok)
			return sl_error_set(
				SL_EINVALID,
				"unknown option \"%.40s\" (MySQL URLs take socket, group, option-file, "
				"connect-timeout, protocol, ssl-mode, ssl-ca, ssl-cert, ssl-key, sql-mode)",
				k);
		if (!strcmp(k, "connect-timeout")) {
			char *end = NULL;
			long t = strtol(v, &end, 10);
			if (end == v || *end || t < 1 || t > 86400)
				return sl_error_set(SL_EINVALID,
						    "invalid connect-timeout \"%.20s\" (expected seconds)",
						    v);
		} else if (!strcmp(k, "protocol") && strcasecmp(v, "tcp") && strcasecmp(v, "socket")) {
			return sl_error_set(SL_EINVALID,
					    "invalid protocol \"%.20s\" (expected tcp or socket)", v);
		} else if (!strcmp(k, "ssl-mode") || !strcmp(k, "ssl")) {
			ok = false;
			for (size_t j = 0; j < sizeof(sslmodes) / sizeof(sslmodes[0]); j++)
				ok = ok || !strcasecmp(v, sslmodes[j]);
			if (!ok)
				return sl_error_set(
					SL_EINVALID,
					"invalid %s \"%.20s\" (expected disabled, preferred, required, "
					"verify_ca or verify_identity)",
					k, v);
		}
	}
	return 0;
}

static int mysql_redact(sl_url *u, const char *scheme)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b, "%s://", scheme);
	if (!rc && u->user)
		rc = sl_buf_printf(&b, "%s%s@", u->user, u->password ? ":***" : "");
	if (!rc && u->host)
		rc = sl_buf_printf(&b, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
	if (!rc && u->port)
		rc = sl_buf_printf(&b, ":%d", u->port);
	if (!rc && u->database)
		rc = sl_buf_printf(&b, "/%s", u->database);
	for (size_t i = 0; !rc && i < u->nparams; i++) {
		bool secret = strstr(u->params[i].key, "password") != NULL;
		rc = sl_buf_printf(&b, "%c%s=%s", i ? '&' : '?', u->params[i].key,
				   secret ? "***" : u->params[i].value);
	}
	if (rc) {
		sl_buf_free(&b);
		return rc;
	}
	u->redacted = sl_buf_detach(&b);
	return u->redacted ? 0 : SL_ENOMEM;
}

/*
 * The password as written in a libpq string, for scrubbing messages that
 * echo the input: the userinfo's part after ':' in URL form, or the value of
 * password= in keyword form. Returns a malloc'd string or NULL when none.
 */
static char *pg_raw_password(const char *conninfo)
{
	const char *p = strstr(conninfo, "://");
	if (p) {
		p += 3;
		size_t n = strcspn(p, "/?#");
		const char *at = NULL;
		for (size_t i = 0; i < n; i++)
			if (p[i] == '@')
				at = p + i;
		const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon && at > colon + 1)
			return strndup(colon + 1, (size_t)(at - colon - 1));
		return NULL;
	}
	p = strstr(conninfo, "password");
	if (!p)
		return NULL;
	p += 8;
	while (*p == ' ')
		p++;
	if (*p++ != '=')
		return NULL;
	while (*p == ' ')
		p++;
	if (*p == '\'') {
		/* an unterminated quote (a URL that does not parse) hides the rest */
		const char *e = strchr(p + 1, '\'');
		if (!e)
			return p[1] ? strdup(p + 1) : NULL;
		return e > p + 1 ? strndup(p + 1, (size_t)(e - p - 1)) : NULL;
	}
	size_t n = strcspn(p, " \t");
	return n ? strndup(p, n) : NULL;
}

/* Copies msg with every occurrence of secret replaced by "***". */
static char *scrub(const char *msg, const char *secret)
{
	sl_buf b = SL_BUF_INIT;
	size_t sn = secret ? strlen(secret) : 0;
	const char *p = msg;
	while (*p) {
		const char *hit = sn ? strstr(p, secret) : NULL;
		if (!hit) {
			sl_buf_puts(&b, p);
			break;
		}
		sl_buf_put(&b, p, (size_t)(hit - p));
		sl_buf_puts(&b, "***");
		p = hit + sn;
	}
	return sl_buf_detach(&b);
}

/*
 * What libpq only checks when it connects, checked here so a malformed URL is
 * a usage error before anything connects: every port of a (comma-separated)
 * port list, connect_timeout, and sslmode.
 */
static int pg_check_options(const PQconninfoOption *opts)
{
	static const char *const sslmodes[] = { "disable", "allow",     "prefer",
						"require", "verify-ca", "verify-full" };
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "port")) {
			for (const char *p = o->val;;) {
				size_t n = strcspn(p, ",");
				sl_url scratch = { 0 };
				if (n && parse_port(&scratch, p, n))
					return SL_EINVALID;
				if (!p[n])
					break;
				p += n + 1;
			}
		} else if (!strcmp(o->keyword, "connect_timeout") && *o->val) {
			char *end = NULL;
			long v = strtol(o->val, &end, 10);
			if (end == o->val || *end || v < 0 || v > 86400)
				return sl_error_set(SL_EINVALID,
						    "invalid connect_timeout \"%.20s\" (expected seconds)",
						    o->val);
		} else if (!strcmp(o->keyword, "sslmode") && *o->val) {
			bool known = false;
			for (size_t i = 0; i < sizeof(sslmodes) / sizeof(sslmodes[0]); i++)
				known = known || !strcmp(o->val, sslmodes[i]);
			if (!known)
				return sl_error_set(
					SL_EINVALID,
					"invalid sslmode \"%.20s\" (expected disable, allow, prefer, "
					"require, verify-ca or verify-full)",
					o->val);
		}
	}
	return 0;
}

/* Validates with libpq and builds "postgres://user@host:port/db" without the password. */
static int parse_postgres(sl_url *u, const char *conninfo)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (!opts) {
		int rc;
		if (err) {
			size_t n = strlen(err);
			while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
				err[--n] = '\0';
			/* libpq's messages name the wrong part but may echo the input */
			char *secret = pg_raw_password(conninfo);
			char *clean = scrub(err, secret);
			rc = sl_error_set(SL_EINVALID, "invalid PostgreSQL connection string: %s",
					  clean ? clean : "malformed");
			free(clean);
			free(secret);
			PQfreemem(err);
		} else {
			rc = sl_error_nomem();
		}
		return rc;
	}
	if (pg_check_options(opts)) {
		PQconninfoFree(opts);
		return SL_EINVALID;
	}
	if (!(u->conninfo = strdup(conninfo))) {
		PQconninfoFree(opts);
		return sl_error_nomem();
	}
	sl_buf b = SL_BUF_INIT;
	const char *user = NULL, *host = NULL, *port = NULL, *db = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "user"))
			user = o->val;
		else if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "hostaddr") && !host)
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			db = o->val;
	}
	int rc = sl_buf_puts(&b, "postgres://");
	if (!rc && user)
		rc = sl_buf_printf(&b, "%s@", user);
	if (!rc && host)
		rc = sl_buf_puts(&b, host);
	if (!rc && port)
		rc = sl_buf_printf(&b, ":%s", port);
	if (!rc && db)
		rc = sl_buf_printf(&b, "/%s", db);
	if (!rc) {
		u->user = user ? strdup(user) : NULL;
		u->host = host ? strdup(host) : NULL;
		u->database = db ? strdup(db) : NULL;
		u->port = 0; /* libpq validates ports at connect time; keep a plain single one */
		if (port) {
			char *end = NULL;
			long v = strtol(port, &end, 10);
			if (end != port && !*end && v > 0 && v <= 65535)
				u->port = (int)v;
		}
		u->redacted = sl_buf_detach(&b);
		if (!u->redacted)
			rc = SL_ENOMEM;
	}
	sl_buf_free(&b);
	PQconninfoFree(opts);
	return rc;
}

/* Appends key='value' with libpq's keyword quoting. */
static int pg_kv(sl_buf *b, const char *key, const char *value)
{
	int rc = sl_buf_printf(b, "%s%s='", b->len ? " " : "", key);
	for (const char *v = value; !rc && *v; v++)
		rc = (*v == '\'' || *v == '\\') ? sl_buf_printf(b, "\\%c", *v) : sl_buf_putc(b, *v);
	return rc ? rc : sl_buf_putc(b, '\'');
}

/* The libpq string with option key set to value; every other option kept as parsed. */
static int pg_set_option(sl_url *u, const char *key, const char *value)
{
	sl_buf b = SL_BUF_INIT;
	PQconninfoOption *opts = PQconninfoParse(u->conninfo, NULL);
	int rc = opts ? 0
		      : sl_error_set(SL_EINVALID, "cannot reuse the connection settings of %s", u->redacted);
	for (PQconninfoOption *o = opts; !rc && o->keyword; o++)
		if (strcmp(o->keyword, key) != 0 && o->val && *o->val)
			rc = pg_kv(&b, o->keyword, o->val);
	if (!rc)
		rc = pg_kv(&b, key, value);
	PQconninfoFree(opts);
	if (rc) {
		if (b.ptr)
			memset(b.ptr, 0, b.len);
		sl_buf_free(&b);
		return rc;
	}
	char *ci = sl_buf_detach(&b);
	if (!ci)
		return SL_ENOMEM;
	/* re-parse so the parts and the redacted form follow */
	free(u->user);
	free(u->host);
	free(u->database);
	free(u->redacted);
	free(u->conninfo);
	u->user = u->host = u->database = u->redacted = u->conninfo = NULL;
	rc = parse_postgres(u, ci);
	memset(ci, 0, strlen(ci)); /* may hold a password */
	free(ci);
	return rc;
}

int sl_url_set_password(sl_url *u, const char *password)
{
	if (u->engine == SL_ENGINE_POSTGRES)
		return pg_set_option(u, "password", password); /* libpq reads it from the string */
	char *p = strdup(password);
	if (!p)
		return sl_error_nomem();
	if (u->password) {
		memset(u->password, 0, strlen(u->password));
		free(u->password);
	}
	u->password = p;
	return 0;
}

int sl_url_set_database(sl_url *u, const char *database)
{
	if (u->engine == SL_ENGINE_POSTGRES)
		return pg_set_option(u, "dbname", database);
	if (u->engine != SL_ENGINE_MYSQL)
		return sl_error_set(SL_EINVALID, "%s: a %s URL names a file, not a database of a server",
				    u->redacted, sl_engine_name(u->engine));
	char *d = strdup(database);
	if (!d)
		return sl_error_nomem();
	free(u->database);
	u->database = d;
	free(u->redacted);
	u->redacted = NULL;
	return mysql_redact(u, strncmp(u->raw, "mariadb", 7) == 0 ? "mariadb" : "mysql");
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* SQLite URI parameters (https://sqlite.org/uri.html) and the values sluice lets through. */
static int sqlite_param(sl_url *u, const char *k, const char *v)
{
	static const char *const known[][5] = {
		{ "mode", "ro", "rw", "rwc", "memory" },
		{ "cache", "shared", "private" },
		{ "immutable", "0", "1" },
		{ "nolock", "0", "1" },
		{ "psow", "0", "1" },
		{ "vfs" },
		{ "modeof" },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(k, known[i][0]) != 0)
			continue;
		if (!known[i][1])
			return 0;
		for (size_t j = 1; j < 5 && known[i][j]; j++)
			if (strcmp(v, known[i][j]) == 0) {
				if (!strcmp(k, "mode") && (!strcmp(v, "rwc") || !strcmp(v, "memory")))
					u->create = true;
				return 0;
			}
		return sl_error_set(SL_EINVALID, "invalid value \"%.40s\" for option \"%s\"", v, k);
	}
	return sl_error_set(
		SL_EINVALID,
		"unknown option \"%.40s\" (SQLite takes mode, cache, immutable, nolock, psow, vfs, "
		"modeof)",
		k);
}

/* Checks the parameters after '?' of a SQLite URL (query is NUL-terminated). */
static int sqlite_params(sl_url *u, const char *query)
{
	int rc = query ? parse_query(u, query) : 0;
	for (size_t i = 0; !rc && i < u->nparams; i++)
		rc = sqlite_param(u, u->params[i].key, u->params[i].value);
	return rc;
}

/* Appends s to b with the characters a SQLite URI path may not hold percent-encoded. */
static int uri_escape(sl_buf *b, const char *s, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		rc = (s[i] == '%' || s[i] == '?' || s[i] == '#')
			     ? sl_buf_printf(b, "%%%02X", (unsigned char)s[i])
			     : sl_buf_putc(b, s[i]);
	return rc;
}

/*
 * sqlite:PATH, sqlite://PATH, sqlite::memory:, sqlite:PATH?mode=rwc&...,
 * sqlite:file:PATH?... (a SQLite URI, passed as it is). u->path is what
 * sqlite3_open_v2 gets; u->file the file that must exist unless u->create
 * (NULL for in-memory databases).
 */
static int parse_sqlite(sl_url *u, const char *p)
{
	int rc = 0;
	if (has_prefix(p, "//"))
		p += 2;
	if (!*p)
		return sl_error_set(SL_EINVALID, "missing file path (use sqlite:PATH or sqlite::memory:)");
	if (!(u->redacted = strdup(u->raw)))
		return sl_error_nomem();
	const char *q = has_prefix(p, "file:") ? strchr(p, '?') : strrchr(p, '?');
	size_t plen = q ? (size_t)(q - p) : strlen(p);
	if (q && (rc = sqlite_params(u, q + 1)) != 0)
		return rc;
	if (plen == 0)
		return sl_error_set(SL_EINVALID, "missing file path (use sqlite:PATH or sqlite::memory:)");
	if (has_prefix(p, "file:")) {
		const char *f = p + 5;
		size_t fn = plen - 5;
		if (has_prefix(f, "//")) { /* file://[localhost]/path */
			const char *slash = memchr(f + 2, '/', fn - 2);
			fn -= slash ? (size_t)(slash - f) : fn;
			f = slash ? slash : f + fn;
		}
		u->path = strdup(p);
		if (fn && !(fn == 8 && !strncmp(f, ":memory:", 8)) && !sl_url_param_get(u, "vfs") &&
		    !(u->file = pct_decode(f, fn, "file path")))
			return SL_EINVALID;
	} else if (u->nparams) {
		sl_buf b = SL_BUF_INIT;
		rc = sl_buf_puts(&b, "file:");
		if (!rc)
			rc = uri_escape(&b, p, plen);
		if (!rc)
			rc = sl_buf_puts(&b, q);
		u->path = rc ? NULL : sl_buf_detach(&b);
		sl_buf_free(&b);
		if (!(plen == 8 && !strncmp(p, ":memory:", 8)))
			u->file = strndup(p, plen);
	} else {
		u->path = strdup(p);
		if (strcmp(p, ":memory:") != 0)
			u->file = strdup(p);
	}
	if (!u->path || (sl_url_param_get(u, "mode") && !strcmp(sl_url_param_get(u, "mode"), "memory")))
		u->file = (free(u->file), NULL);
	return u->path ? 0 : sl_error_nomem();
}

/*
 * s as it may be shown: the password of a URL's userinfo or of a password=
 * keyword replaced by "***". Used for URLs that do not parse, so it trusts
 * nothing but those two shapes. Returns a malloc'd string or NULL.
 */
static char *mask_raw(const char *s)
{
	char *secret = NULL;
	const char *p = strstr(s, "://");
	if (p) {
		p += 3;
		size_t n = strcspn(p, "/?#");
		const char *at = NULL;
		for (size_t i = 0; i < n; i++)
			if (p[i] == '@')
				at = p + i;
		const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon && at > colon + 1)
			secret = strndup(colon + 1, (size_t)(at - colon - 1));
	} else {
		secret = pg_raw_password(s);
	}
	char *m = scrub(s, secret);
	free(secret);
	return m;
}

/* Adds the URL, masked, to the message of a URL that does not parse: "URL <masked>: <what is wrong>". */
static void name_the_url(const char *s)
{
	char *m = mask_raw(s);
	sl_error_prefix("URL %.200s%s", m ? m : "(not shown)", m && strlen(m) > 200 ? "..." : "");
	free(m);
}

int sl_url_parse(sl_url **out, const char *s)
{
	*out = NULL;
	if (!s || !*s)
		return sl_error_set(SL_EINVALID, "empty database URL");
	sl_url *u = calloc(1, sizeof(*u));
	if (!u || !(u->raw = strdup(s))) {
		free(u);
		return sl_error_nomem();
	}
	int rc = 0;
	if (has_prefix(s, "sqlite:")) {
		u->engine = SL_ENGINE_SQLITE;
		rc = parse_sqlite(u, s + 7);
	} else if (has_prefix(s, "postgres://") || has_prefix(s, "postgresql://")) {
		u->engine = SL_ENGINE_POSTGRES;
		rc = parse_postgres(u, s);
	} else if (has_prefix(s, "postgres:") || has_prefix(s, "postgresql:")) {
		u->engine = SL_ENGINE_POSTGRES;
		rc = parse_postgres(u, strchr(s, ':') + 1);
	} else if (has_prefix(s, "mysql://") || has_prefix(s, "mariadb://")) {
		u->engine = SL_ENGINE_MYSQL;
		const char *scheme = s[1] == 'y' ? "mysql" : "mariadb";
		rc = parse_mysql(u, strstr(s, "://") + 3);
		if (!rc)
			rc = mysql_check_options(u);
		if (!rc)
			rc = mysql_redact(u, scheme);
	} else {
		const char *colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (!colon)
			rc = sl_error_set(SL_EINVALID, "missing scheme (expected sqlite:PATH, "
						       "postgres://, mysql:// or mariadb://)");
		else
			rc = sl_error_set(SL_EINVALID,
					  "unknown scheme \"%.*s\" (expected sqlite:, "
					  "postgres://, mysql:// or mariadb://)",
					  (int)(n > 20 ? 20 : n), s);
	}
	if (rc == SL_EINVALID)
		name_the_url(s);
	if (rc) {
		sl_url_free(u);
		return rc;
	}
	*out = u;
	return 0;
}
