/*
 * mysql.c - the MySQL/MariaDB driver (libmariadb): connecting, running SQL,
 * streaming results with mysql_use_result, transactions, GET_LOCK locks and
 * quoting. The bulk writer lives in mysql_writer.c, introspection in
 * src/schema/introspect_mysql.c.
 *
 * Session rules set at open (docs/drivers/mysql.md): time_zone '+00:00' so
 * TIMESTAMP values are UTC, NAMES utf8mb4, sql_mode left as the server has
 * it - quote_literal reads it to know whether backslashes escape.
 *
 * One job: the MySQL driver behind its table of hooks (sys/driver.h); the
 * file is long because the driver is one table, not because it does several
 * things.
 */
#include "my_internal.h"

#include "schema/introspect.h"
#include "sluice/sys/expand_dialect.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <errmsg.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How a result column's text is turned into a sl_value. */
typedef enum my_dec {
	DEC_NULL,
	DEC_INT,
	DEC_UINT, /* unsigned: int64, or decimal text above INT64_MAX */
	DEC_DECIMAL,
	DEC_DOUBLE,
	DEC_DATE,
	DEC_DATETIME,
	DEC_TIMESTAMP,
	DEC_TIME,
	DEC_TEXT,
	DEC_BLOB,
	DEC_JSON,
	DEC_BIT,
	DEC_UUID
} my_dec;

typedef struct my_cursor {
	sl_cursor base;     /* must stay first */
	MYSQL_RES *res;     /* NULL for statements without a result set */
	unsigned char *dec; /* my_dec per column */
	bool done;
} my_cursor;

/* Seconds GET_LOCK waits when the caller asked to wait forever (one year). */
#define MY_LOCK_FOREVER 31536000
/* MySQL limits lock names to 64 characters. */
#define MY_LOCK_NAME_MAX 64

/* ---- errors and plain statements ---------------------------------------- */

int my_fail(my_conn *mc, const char *what)
{
	unsigned int no = mysql_errno(mc->mysql);
	int code = (no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST) ? SL_ECONNECT : SL_EDB;
	const char *msg = mysql_error(mc->mysql);
	if (!msg || !*msg)
		msg = "unknown error";
	if (what)
		return sl_error_set_db(code, mysql_sqlstate(mc->mysql), (int)no, "%s: %s", what, msg);
	return sl_error_set_db(code, mysql_sqlstate(mc->mysql), (int)no, "%s", msg);
}

/* Frees the result sets of the statements after the current one. */
static int skip_more_results(my_conn *mc)
{
	int more;
	while ((more = mysql_next_result(mc->mysql)) == 0) {
		MYSQL_RES *r = mysql_store_result(mc->mysql);
		if (r)
			mysql_free_result(r);
	}
	return more > 0 ? my_fail(mc, NULL) : 0;
}

/* Frees every pending result set, current one first; stops at the first failing statement. */
static int drain_results(my_conn *mc, int64_t *changes)
{
	int rc = 0;
	for (;;) {
		MYSQL_RES *r = mysql_store_result(mc->mysql);
		if (r)
			mysql_free_result(r);
		else if (mysql_field_count(mc->mysql) != 0) {
			rc = my_fail(mc, NULL);
			break;
		} else if (changes) {
			my_ulonglong n = mysql_affected_rows(mc->mysql);
			if (n != (my_ulonglong)-1)
				*changes += (int64_t)n;
		}
		int more = mysql_next_result(mc->mysql);
		if (more > 0) {
			rc = my_fail(mc, NULL);
			break;
		}
		if (more < 0)
			break;
	}
	return rc;
}

int my_run(my_conn *mc, const char *sql, size_t len)
{
	if (mysql_real_query(mc->mysql, sql, (unsigned long)len))
		return my_fail(mc, NULL);
	return drain_results(mc, NULL);
}

static int run_str(my_conn *mc, const char *sql)
{
	return my_run(mc, sql, strlen(sql));
}

/* Runs sql and copies the first column of the first row into buf ("" for NULL). */
static int query_scalar(my_conn *mc, const char *sql, char *buf, size_t bufsz, bool *is_null)
{
	int rc = 0;
	MYSQL_RES *r = NULL;
	buf[0] = '\0';
	if (is_null)
		*is_null = true;
	if (mysql_real_query(mc->mysql, sql, (unsigned long)strlen(sql))) {
		rc = my_fail(mc, NULL);
		goto done;
	}
	r = mysql_store_result(mc->mysql);
	if (!r) {
		rc = my_fail(mc, NULL);
		goto done;
	}
	MYSQL_ROW row = mysql_fetch_row(r);
	if (row && mysql_num_fields(r) > 0 && row[0]) {
		snprintf(buf, bufsz, "%s", row[0]);
		if (is_null)
			*is_null = false;
	}
done:
	if (r)
		mysql_free_result(r);
	if (!rc)
		rc = skip_more_results(mc);
	return rc;
}

/* ---- LOAD DATA LOCAL: serves my_conn.infile, never a file ---------------- */

static int infile_init(void **ptr, const char *filename, void *userdata)
{
	(void)filename;
	my_infile *in = userdata;
	in->pos = 0;
	*ptr = in;
	return 0;
}

static int infile_read(void *ptr, char *buf, unsigned int buf_len)
{
	my_infile *in = ptr;
	size_t left = in->data ? in->len - in->pos : 0;
	size_t n = left < buf_len ? left : buf_len;
	if (n)
		memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return (int)n;
}

static void infile_end(void *ptr)
{
	(void)ptr;
}

static int infile_error(void *ptr, char *msg, unsigned int len)
{
	(void)ptr;
	snprintf(msg, len, "sluice serves LOAD DATA LOCAL only from its own bulk writer");
	return CR_UNKNOWN_ERROR;
}

/* ---- open and close ------------------------------------------------------ */

/* Applies the URL's ?options before connecting. */
static int set_options(MYSQL *m, const sl_url *url)
{
	const char *group = sl_url_param_get(url, "group");
	const char *file = sl_url_param_get(url, "option-file");
	const char *timeout = sl_url_param_get(url, "connect-timeout");
	const char *ssl = sl_url_param_get(url, "ssl-mode");
	unsigned int one = 1;
	int rc = 0;

	if (!ssl)
		ssl = sl_url_param_get(url, "ssl");
	if (file)
		mysql_options(m, MYSQL_READ_DEFAULT_FILE, file);
	mysql_options(m, MYSQL_READ_DEFAULT_GROUP, group ? group : "client");
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &one);
	if (timeout) {
		char *end = NULL;
		unsigned long t = strtoul(timeout, &end, 10);
		if (end == timeout || *end || t == 0 || t > 86400) {
			rc = sl_error_set(SL_EINVALID, "connect-timeout \"%s\" is not a number of seconds",
					  timeout);
			goto done;
		}
		unsigned int secs = (unsigned int)t;
		mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	}
	if (ssl) {
		my_bool yes = 1;
		if (!strcasecmp(ssl, "required") || !strcasecmp(ssl, "true") || !strcmp(ssl, "1")) {
			mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
		} else if (!strcasecmp(ssl, "verify_ca") || !strcasecmp(ssl, "verify_identity")) {
			mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
			mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
		} else if (strcasecmp(ssl, "disabled") && strcasecmp(ssl, "preferred") &&
			   strcasecmp(ssl, "false") && strcmp(ssl, "0")) {
			rc = sl_error_set(SL_EINVALID,
					  "ssl-mode \"%s\" is not one of disabled, preferred, "
					  "required, verify_ca, verify_identity",
					  ssl);
			goto done;
		}
	}
	const char *proto = sl_url_param_get(url, "protocol");
	if (proto) {
		unsigned int pv = !strcasecmp(proto, "tcp")      ? MYSQL_PROTOCOL_TCP
				  : !strcasecmp(proto, "socket") ? MYSQL_PROTOCOL_SOCKET
								 : MYSQL_PROTOCOL_DEFAULT;
		if (pv == MYSQL_PROTOCOL_DEFAULT) {
			rc = sl_error_set(SL_EINVALID, "protocol \"%s\" is not tcp or socket", proto);
			goto done;
		}
		mysql_options(m, MYSQL_OPT_PROTOCOL, &pv);
	}
	const char *ca = sl_url_param_get(url, "ssl-ca");
	const char *cert = sl_url_param_get(url, "ssl-cert");
	const char *key = sl_url_param_get(url, "ssl-key");
	if (ca || cert || key)
		mysql_ssl_set(m, key, cert, ca, NULL, NULL);
done:
	return rc;
}

/* Session settings and facts read once after connecting. */
static int setup_session(my_conn *mc, const sl_url *url)
{
	char buf[1024];
	bool is_null = true;
	const char *mode = sl_url_param_get(url, "sql-mode");
	int rc = run_str(mc, "SET time_zone = '+00:00'");
	if (!rc && mode) {
		/* the quoting below must not depend on the mode being set: only ' needs care */
		sl_buf sql = SL_BUF_INIT;
		rc = sl_buf_puts(&sql, "SET SESSION sql_mode = ");
		if (!rc)
			rc = sl_quote_string(&sql, mode, strlen(mode), false);
		if (!rc && strchr(mode, '\\'))
			rc = sl_error_set(SL_EINVALID, "sql-mode \"%s\" holds a backslash", mode);
		if (!rc)
			rc = my_run(mc, sql.ptr, sql.len);
		sl_buf_free(&sql);
	}
	if (!rc)
		rc = mysql_set_character_set(mc->mysql, "utf8mb4") ? my_fail(mc, "set names utf8mb4") : 0;
	if (!rc)
		rc = query_scalar(mc, "SELECT @@SESSION.sql_mode", buf, sizeof(buf), NULL);
	if (rc)
		goto done;
	mc->no_backslash = strstr(buf, "NO_BACKSLASH_ESCAPES") != NULL;
	rc = query_scalar(mc, "SELECT DATABASE()", buf, sizeof(buf), &is_null);
	if (rc)
		goto done;
	if (!is_null) {
		mc->base.database = strdup(buf);
		if (!mc->base.database)
			rc = sl_error_nomem();
	}
done:
	return rc;
}

static void set_caps(my_conn *mc)
{
	const char *info = mysql_get_server_info(mc->mysql);
	unsigned long v = mysql_get_server_version(mc->mysql);
	mc->version = v;
	mc->mariadb = info && strstr(info, "MariaDB") != NULL;
	snprintf(mc->base.server_version, sizeof(mc->base.server_version), "%s", info ? info : "");
	mc->base.caps = SL_CAP_SAVEPOINTS | SL_CAP_ADVISORY_LOCK | SL_CAP_NUL_IN_TEXT;
	if ((mc->mariadb && v >= 100201) || (!mc->mariadb && v >= 80016))
		mc->base.caps |= SL_CAP_CHECK_CONSTRAINTS;
	if (!mc->mariadb && v >= 80013)
		mc->base.caps |= SL_CAP_EXPR_INDEX;
}

static int my_open(sl_conn **out, const sl_url *url)
{
	int rc = 0;
	my_conn *mc = NULL;
	*out = NULL;

	mc = calloc(1, sizeof(*mc));
	if (!mc) {
		rc = sl_error_nomem();
		goto done;
	}
	mc->mysql = mysql_init(NULL);
	if (!mc->mysql) {
		rc = sl_error_nomem();
		goto done;
	}
	rc = set_options(mc->mysql, url);
	if (rc)
		goto done;
	const char *sock = sl_url_param_get(url, "socket");
	unsigned long flags = CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_LOCAL_FILES;
	if (!mysql_real_connect(mc->mysql, url->host, url->user, url->password, url->database,
				url->port > 0 ? (unsigned int)url->port : 0, sock, flags)) {
		rc = sl_error_set_db(SL_ECONNECT, mysql_sqlstate(mc->mysql), (int)mysql_errno(mc->mysql),
				     "connect to %s: %s", url->redacted, mysql_error(mc->mysql));
		goto done;
	}
	mysql_set_local_infile_handler(mc->mysql, infile_init, infile_read, infile_end, infile_error,
				       &mc->infile);
	set_caps(mc);
	rc = setup_session(mc, url);
	if (rc)
		sl_error_prefix("connect to %s", url->redacted);
done:
	if (rc && mc) {
		if (mc->mysql)
			mysql_close(mc->mysql);
		free(mc->base.database);
		free(mc);
		mc = NULL;
	}
	*out = mc ? &mc->base : NULL;
	return rc;
}

static void my_close(sl_conn *c)
{
	my_conn *mc = (my_conn *)c;
	if (mc->mysql)
		mysql_close(mc->mysql);
	free(mc);
}

/* ---- exec ---------------------------------------------------------------- */

static int my_exec(sl_conn *c, const char *sql)
{
	my_conn *mc = (my_conn *)c;
	int64_t changes = 0;
	int rc = 0;
	if (mysql_real_query(mc->mysql, sql, (unsigned long)strlen(sql))) {
		rc = my_fail(mc, NULL);
		goto done;
	}
	rc = drain_results(mc, &changes);
done:
	c->changes = rc ? -1 : changes;
	return rc;
}

/* ---- queries ------------------------------------------------------------- */

/* Compares a MariaDB extended metadata attribute (data type or format name). */
static bool field_attr_is(const MYSQL_FIELD *f, enum mariadb_field_attr_t which, const char *want)
{
	MARIADB_CONST_STRING s = { 0 };
	if (mariadb_field_attr(&s, f, which) || !s.str)
		return false;
	return s.length == strlen(want) && strncasecmp(s.str, want, s.length) == 0;
}

/* Decodes a field by its type code alone; *decl NULL when the type says too little. */
static my_dec classify_by_type(const MYSQL_FIELD *f, const char **decl)
{
	bool uns = (f->flags & UNSIGNED_FLAG) != 0;
	switch (f->type) {
	case MYSQL_TYPE_NULL:
		*decl = "NULL";
		return DEC_NULL;
	case MYSQL_TYPE_TINY:
		*decl = uns ? "TINYINT UNSIGNED" : "TINYINT";
		return DEC_INT;
	case MYSQL_TYPE_SHORT:
		*decl = uns ? "SMALLINT UNSIGNED" : "SMALLINT";
		return DEC_INT;
	case MYSQL_TYPE_INT24:
		*decl = uns ? "MEDIUMINT UNSIGNED" : "MEDIUMINT";
		return DEC_INT;
	case MYSQL_TYPE_LONG:
		*decl = uns ? "INT UNSIGNED" : "INT";
		return DEC_INT;
	case MYSQL_TYPE_LONGLONG:
		*decl = uns ? "BIGINT UNSIGNED" : "BIGINT";
		return uns ? DEC_UINT : DEC_INT;
	case MYSQL_TYPE_YEAR:
		*decl = "YEAR";
		return DEC_INT;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		*decl = "DECIMAL";
		return DEC_DECIMAL;
	case MYSQL_TYPE_FLOAT:
		*decl = "FLOAT";
		return DEC_DOUBLE;
	case MYSQL_TYPE_DOUBLE:
		*decl = "DOUBLE";
		return DEC_DOUBLE;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
		*decl = "DATE";
		return DEC_DATE;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
		*decl = "DATETIME";
		return DEC_DATETIME;
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		*decl = "TIMESTAMP";
		return DEC_TIMESTAMP;
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_TIME2:
		*decl = "TIME";
		return DEC_TIME;
	case MYSQL_TYPE_BIT:
		*decl = "BIT";
		return DEC_BIT;
	case MYSQL_TYPE_JSON:
		*decl = "JSON";
		return DEC_JSON;
	case MYSQL_TYPE_GEOMETRY:
		*decl = "GEOMETRY";
		return DEC_BLOB;
	case MYSQL_TYPE_ENUM:
		*decl = "ENUM";
		return DEC_TEXT;
	case MYSQL_TYPE_SET:
		*decl = "SET";
		return DEC_TEXT;
	default:
		*decl = NULL;
		return DEC_TEXT;
	}
}

/* Decodes a string or blob field by its flags, attributes and character set. */
static my_dec classify_by_flags(const MYSQL_FIELD *f, const char **decl)
{
	bool bin = f->charsetnr == 63;
	if (f->flags & ENUM_FLAG) {
		*decl = "ENUM";
		return DEC_TEXT;
	}
	if (f->flags & SET_FLAG) {
		*decl = "SET";
		return DEC_TEXT;
	}
	if (field_attr_is(f, MARIADB_FIELD_ATTR_FORMAT_NAME, "json")) {
		*decl = "JSON";
		return DEC_JSON;
	}
	if (field_attr_is(f, MARIADB_FIELD_ATTR_DATA_TYPE_NAME, "uuid")) {
		*decl = "UUID";
		return DEC_UUID;
	}
	bool blobish = f->type == MYSQL_TYPE_BLOB || f->type == MYSQL_TYPE_TINY_BLOB ||
		       f->type == MYSQL_TYPE_MEDIUM_BLOB || f->type == MYSQL_TYPE_LONG_BLOB;
	if (f->type == MYSQL_TYPE_STRING)
		*decl = bin ? "BINARY" : "CHAR";
	else if (f->type == MYSQL_TYPE_VAR_STRING || f->type == MYSQL_TYPE_VARCHAR)
		*decl = bin ? "VARBINARY" : "VARCHAR";
	else if (blobish)
		*decl = bin ? "BLOB" : "TEXT";
	else
		*decl = bin ? "BINARY" : "TEXT";
	return bin ? DEC_BLOB : DEC_TEXT;
}

/* Picks the decoder and the declared type name of one result column. */
static my_dec classify(const MYSQL_FIELD *f, const char **decl)
{
	my_dec d = classify_by_type(f, decl);
	if (*decl)
		return d;
	return classify_by_flags(f, decl);
}

static sl_vtype dec_vtype(my_dec d)
{
	static const sl_vtype map[] = {
		[DEC_NULL] = SL_V_NULL,
		[DEC_INT] = SL_V_INT,
		[DEC_UINT] = SL_V_INT,
		[DEC_DECIMAL] = SL_V_DECIMAL,
		[DEC_DOUBLE] = SL_V_DOUBLE,
		[DEC_DATE] = SL_V_DATE,
		[DEC_DATETIME] = SL_V_TIMESTAMP,
		[DEC_TIMESTAMP] = SL_V_TIMESTAMPTZ,
		[DEC_TIME] = SL_V_TIME,
		[DEC_TEXT] = SL_V_TEXT,
		[DEC_BLOB] = SL_V_BLOB,
		[DEC_JSON] = SL_V_JSON,
		[DEC_BIT] = SL_V_INT,
		[DEC_UUID] = SL_V_UUID,
	};
	return map[d];
}

static void my_cursor_close(sl_cursor *cur)
{
	my_cursor *mcur = (my_cursor *)cur;
	my_conn *mc = (my_conn *)cur->conn;
	/* mysql_free_result reads and drops the rows still on the wire */
	if (mcur->res)
		mysql_free_result(mcur->res);
	while (mysql_more_results(mc->mysql) && mysql_next_result(mc->mysql) == 0) {
		MYSQL_RES *r = mysql_use_result(mc->mysql);
		if (r)
			mysql_free_result(r);
	}
	free(mcur->dec);
	free(cur->cols);
	free(mcur);
}

static int my_query(sl_cursor **out, sl_conn *c, const char *sql)
{
	my_conn *mc = (my_conn *)c;
	my_cursor *cur = NULL;
	int rc = 0;
	*out = NULL;

	cur = calloc(1, sizeof(*cur));
	if (!cur) {
		rc = sl_error_nomem();
		goto done;
	}
	cur->base.conn = c;
	if (mysql_real_query(mc->mysql, sql, (unsigned long)strlen(sql))) {
		rc = my_fail(mc, NULL);
		goto done;
	}
	cur->res = mysql_use_result(mc->mysql);
	if (!cur->res) {
		if (mysql_field_count(mc->mysql) != 0)
			rc = my_fail(mc, NULL);
		else
			cur->done = true;
		goto done;
	}
	size_t n = mysql_num_fields(cur->res);
	MYSQL_FIELD *fields = mysql_fetch_fields(cur->res);
	cur->base.cols = calloc(n ? n : 1, sizeof(sl_colinfo));
	cur->dec = calloc(n ? n : 1, 1);
	if (!cur->base.cols || !cur->dec) {
		rc = sl_error_nomem();
		goto done;
	}
	cur->base.ncols = n;
	for (size_t i = 0; i < n; i++) {
		const char *decl = NULL;
		my_dec d = classify(&fields[i], &decl);
		cur->dec[i] = (unsigned char)d;
		cur->base.cols[i].name = fields[i].name;
		cur->base.cols[i].decl = decl;
		cur->base.cols[i].type = dec_vtype(d);
	}
done:
	if (rc && cur) {
		my_cursor_close(&cur->base);
		cur = NULL;
	}
	*out = cur ? &cur->base : NULL;
	return rc;
}

/* TIME values within 00:00:00 .. 23:59:59.999999 become SL_V_TIME; others stay text. */
static bool time_in_day(const char *s, size_t len)
{
	return len >= 8 && s[0] != '-' && s[2] == ':' && ((s[0] - '0') * 10 + (s[1] - '0')) < 24;
}

static int decode(sl_batch *b, sl_value *v, my_dec d, const char *s, size_t len)
{
	bool zone = false;
	switch (d) {
	case DEC_INT:
	case DEC_UINT:
		if (sl_parse_i64(s, len, &v->u.i)) {
			v->type = SL_V_INT;
			return 0;
		}
		return sl_batch_set_bytes(b, v, SL_V_DECIMAL, s, len);
	case DEC_DECIMAL:
		return sl_batch_set_bytes(b, v, SL_V_DECIMAL, s, len);
	case DEC_DOUBLE: {
		char tmp[64];
		if (len >= sizeof(tmp))
			return sl_batch_set_bytes(b, v, SL_V_TEXT, s, len);
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		v->u.d = strtod(tmp, NULL);
		v->type = SL_V_DOUBLE;
		return 0;
	}
	case DEC_DATE:
		if (sl_parse_date(s, len, &v->u.date) == 0) {
			v->type = SL_V_DATE;
			return 0;
		}
		break;
	case DEC_DATETIME:
	case DEC_TIMESTAMP:
		if (sl_parse_timestamp(s, len, &v->u.ts, &zone) == 0 && !zone) {
			v->type = d == DEC_DATETIME ? SL_V_TIMESTAMP : SL_V_TIMESTAMPTZ;
			return 0;
		}
		break;
	case DEC_TIME:
		if (time_in_day(s, len) && sl_parse_time(s, len, &v->u.time) == 0 &&
		    v->u.time < SL_USEC_PER_DAY) {
			v->type = SL_V_TIME;
			return 0;
		}
		break;
	case DEC_BIT: {
		uint64_t x = 0;
		for (size_t i = 0; i < len; i++)
			x = (x << 8) | (unsigned char)s[i];
		if (len <= 8 && x <= (uint64_t)INT64_MAX) {
			v->type = SL_V_INT;
			v->u.i = (int64_t)x;
			return 0;
		}
		char tmp[24];
		int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, x);
		return sl_batch_set_bytes(b, v, SL_V_DECIMAL, tmp, (size_t)n);
	}
	case DEC_UUID:
		if (sl_parse_uuid(s, len, v->u.uuid) == 0) {
			v->type = SL_V_UUID;
			return 0;
		}
		break;
	case DEC_BLOB:
		return sl_batch_set_bytes(b, v, SL_V_BLOB, s, len);
	case DEC_JSON:
		return sl_batch_set_bytes(b, v, SL_V_JSON, s, len);
	default:
		break;
	}
	/* text, and temporals MySQL allows but sl_value cannot hold (zero dates, -838:59:59) */
	sl_error_clear();
	return sl_batch_set_bytes(b, v, SL_V_TEXT, s, len);
}

static int my_fetch(sl_cursor *cur, sl_batch *b, size_t max_rows)
{
	my_cursor *mcur = (my_cursor *)cur;
	my_conn *mc = (my_conn *)cur->conn;
	size_t got = 0;
	int rc = 0;
	while (!mcur->done && got < max_rows) {
		MYSQL_ROW row = mysql_fetch_row(mcur->res);
		if (!row) {
			mcur->done = true;
			if (mysql_errno(mc->mysql))
				rc = my_fail(mc, "read result");
			break;
		}
		unsigned long *lens = mysql_fetch_lengths(mcur->res);
		sl_value *vals = sl_batch_add_row(b);
		if (!vals) {
			rc = SL_ENOMEM;
			break;
		}
		for (size_t i = 0; !rc && i < cur->ncols; i++)
			if (row[i])
				rc = decode(b, &vals[i], (my_dec)mcur->dec[i], row[i], lens[i]);
		if (rc)
			break;
		got++;
	}
	return rc ? rc : (int)got;
}

/* ---- transactions -------------------------------------------------------- */

static int my_begin(sl_conn *c)
{
	return run_str((my_conn *)c, "START TRANSACTION");
}
static int my_commit(sl_conn *c)
{
	return run_str((my_conn *)c, "COMMIT");
}
static int my_rollback(sl_conn *c)
{
	return run_str((my_conn *)c, "ROLLBACK");
}

static int savepoint_stmt(sl_conn *c, const char *verb, const char *name)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, verb);
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '`');
	if (!rc)
		rc = my_run((my_conn *)c, sql.ptr, sql.len);
	sl_buf_free(&sql);
	return rc;
}

static int my_savepoint(sl_conn *c, const char *name)
{
	return savepoint_stmt(c, "SAVEPOINT ", name);
}
static int my_release(sl_conn *c, const char *name)
{
	return savepoint_stmt(c, "RELEASE SAVEPOINT ", name);
}
static int my_rollback_to(sl_conn *c, const char *name)
{
	return savepoint_stmt(c, "ROLLBACK TO SAVEPOINT ", name);
}

/* ---- advisory locks ------------------------------------------------------ */

/*
 * Lock names over 64 bytes keep a 47-byte prefix (cut on a UTF-8 boundary)
 * and add ":" and a 64-bit FNV-1a hash of the whole name in hex, so distinct
 * long names stay distinct with overwhelming likelihood.
 */
static void lock_name(char out[MY_LOCK_NAME_MAX + 1], const char *name)
{
	size_t len = strlen(name);
	if (len <= MY_LOCK_NAME_MAX) {
		memcpy(out, name, len + 1);
		return;
	}
	uint64_t h = UINT64_C(1469598103934665603);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * UINT64_C(1099511628211);
	size_t keep = 47;
	while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
		keep--;
	snprintf(out, MY_LOCK_NAME_MAX + 1, "%.*s:%016" PRIx64, (int)keep, name, h);
}

/* Runs SELECT fn('name'[, secs]) and returns its result: 1, 0, or -1 for NULL. */
static int lock_call(my_conn *mc, const char *fn, const char *name, long secs, int *result)
{
	sl_buf sql = SL_BUF_INIT;
	char val[32];
	bool is_null = true;
	int rc = sl_buf_printf(&sql, "SELECT %s(", fn);
	if (!rc)
		rc = my_quote_string(mc, &sql, name, strlen(name));
	if (!rc && secs >= 0)
		rc = sl_buf_printf(&sql, ", %ld", secs);
	if (!rc)
		rc = sl_buf_putc(&sql, ')');
	if (!rc)
		rc = query_scalar(mc, sql.ptr, val, sizeof(val), &is_null);
	if (!rc)
		*result = is_null ? -1 : (int)strtol(val, NULL, 10);
	sl_buf_free(&sql);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int my_lock(sl_conn *c, const char *name, int timeout_ms)
{
	my_conn *mc = (my_conn *)c;
	char key[MY_LOCK_NAME_MAX + 1];
	int got = 0, rc = 0;
	lock_name(key, name);
	if (timeout_ms < 0 || timeout_ms % 1000 == 0) {
		long secs = timeout_ms < 0 ? MY_LOCK_FOREVER : timeout_ms / 1000;
		rc = lock_call(mc, "GET_LOCK", key, secs, &got);
	} else {
		/* sub-second precision: try, then poll every 50 ms until the deadline */
		int64_t deadline = sl_now_ms() + timeout_ms;
		for (;;) {
			rc = lock_call(mc, "GET_LOCK", key, 0, &got);
			if (rc || got == 1)
				break;
			int64_t left = deadline - sl_now_ms();
			if (left <= 0)
				break;
			sleep_ms(left < 50 ? (long)left : 50);
		}
	}
	if (rc)
		sl_error_prefix("lock \"%s\"", name);
	else if (got != 1)
		rc = sl_error_set(SL_ELOCKED, "lock \"%s\": held by another session on %s", name,
				  sl_conn_display(c));
	return rc;
}

static int my_unlock(sl_conn *c, const char *name)
{
	my_conn *mc = (my_conn *)c;
	char key[MY_LOCK_NAME_MAX + 1];
	int res = 0;
	lock_name(key, name);
	int rc = lock_call(mc, "RELEASE_LOCK", key, -1, &res);
	if (rc)
		sl_error_prefix("unlock \"%s\"", name);
	else if (res != 1)
		rc = sl_error_set(SL_ENOTFOUND, "unlock \"%s\": this session does not hold it", name);
	return rc;
}

/* ---- quoting ------------------------------------------------------------- */

static int my_quote_ident(const sl_conn *c, sl_buf *out, const char *ident)
{
	(void)c;
	return sl_quote_ident_with(out, ident, '`');
}

/* X'...': a byte string as a hex literal. */
static int put_hex(sl_buf *out, const char *p, size_t len)
{
	int rc = sl_buf_puts(out, "X'");
	if (!rc)
		rc = sl_buf_put_hex(out, p, len, true);
	return rc ? rc : sl_buf_putc(out, '\'');
}

/*
 * With backslash escapes (the default sql_mode) ' and \ are doubled and NUL
 * becomes \0. Under NO_BACKSLASH_ESCAPES only ' is doubled, and a string
 * holding NUL is sent as _utf8mb4 X'..' so it stays a character string.
 */
int my_quote_string(const my_conn *mc, sl_buf *out, const char *s, size_t len)
{
	if (mc->no_backslash) {
		if (memchr(s, '\0', len)) {
			int rc = sl_buf_puts(out, "_utf8mb4 ");
			return rc ? rc : put_hex(out, s, len);
		}
		return sl_quote_string(out, s, len, false);
	}
	int rc = sl_buf_grow(out, len + 2);
	if (!rc)
		rc = sl_buf_putc(out, '\'');
	size_t run = 0;
	for (size_t i = 0; !rc && i < len; i++) {
		const char *esc = NULL;
		switch (s[i]) {
		case '\'':
			esc = "''";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\0':
			esc = "\\0";
			break;
		case '\032':
			esc = "\\Z";
			break;
		default:
			continue;
		}
		rc = sl_buf_put(out, s + run, i - run);
		if (!rc)
			rc = sl_buf_puts(out, esc);
		run = i + 1;
	}
	if (!rc)
		rc = sl_buf_put(out, s + run, len - run);
	return rc ? rc : sl_buf_putc(out, '\'');
}

int my_format_datetime(sl_buf *out, int64_t usec)
{
	int64_t days = usec / SL_USEC_PER_DAY, rem = usec % SL_USEC_PER_DAY;
	if (rem < 0) {
		rem += SL_USEC_PER_DAY;
		days--;
	}
	int rc = sl_format_date(out, (int32_t)days);
	if (!rc)
		rc = sl_buf_putc(out, ' ');
	return rc ? rc : sl_format_time(out, rem);
}

/* True when s is [-+]digits[.digits][e[-+]digits]: safe to paste into SQL. */
static bool is_number_text(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits && i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		size_t ed = 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			ed++;
		if (!ed)
			return false;
	}
	return digits > 0 && i == len;
}

/* A temporal value as a quoted literal. */
static int quote_temporal(sl_buf *out, const sl_value *v)
{
	int rc = sl_buf_putc(out, '\'');
	if (!rc && v->type == SL_V_DATE)
		rc = sl_format_date(out, v->u.date);
	else if (!rc && v->type == SL_V_TIME)
		rc = sl_format_time(out, v->u.time);
	else if (!rc)
		rc = my_format_datetime(out, v->u.ts);
	return rc ? rc : sl_buf_putc(out, '\'');
}

static int my_quote_literal(const sl_conn *c, sl_buf *out, const sl_value *v)
{
	const my_conn *mc = (const my_conn *)c;
	switch (v->type) {
	case SL_V_NULL:
		return sl_buf_puts(out, "NULL");
	case SL_V_BOOL:
		return sl_buf_puts(out, v->u.b ? "1" : "0");
	case SL_V_INT:
		return sl_buf_printf(out, "%" PRId64, v->u.i);
	case SL_V_DOUBLE:
		if (isnan(v->u.d) || isinf(v->u.d))
			return sl_error_set(SL_EINVALID, "%s cannot be stored in MySQL",
					    isnan(v->u.d) ? "NaN" : "Infinity");
		return sl_format_double(out, v->u.d);
	case SL_V_DECIMAL:
		if (!is_number_text(v->u.s.ptr, v->u.s.len))
			return sl_error_set(SL_EINVALID, "\"%.*s\" is not a decimal",
					    (int)(v->u.s.len > 64 ? 64 : v->u.s.len), v->u.s.ptr);
		return sl_buf_put(out, v->u.s.ptr, v->u.s.len);
	case SL_V_TEXT:
	case SL_V_JSON:
		return my_quote_string(mc, out, v->u.s.ptr, v->u.s.len);
	case SL_V_BLOB:
		return put_hex(out, v->u.s.ptr, v->u.s.len);
	case SL_V_DATE:
	case SL_V_TIME:
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		return quote_temporal(out, v);
	case SL_V_UUID: {
		int rc = sl_buf_putc(out, '\'');
		if (!rc)
			rc = sl_format_uuid(out, v->u.uuid);
		return rc ? rc : sl_buf_putc(out, '\'');
	}
	default:
		return sl_error_set(SL_EINVALID, "cannot quote a value of type %s", sl_vtype_name(v->type));
	}
}

/*
 * The server: host name, port and data directory (two servers on one host
 * differ in port and directory), plus server_uuid where the server has one
 * (MySQL; MariaDB has none); the database is DATABASE().
 */
static int my_identity(sl_conn *c, sl_db_identity *out)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_identity_text(c, "SELECT CONCAT(@@hostname, ':', @@port, ':', @@datadir)", out->server,
				  sizeof(out->server));
	if (!rc)
		rc = sl_identity_text(c, "SELECT DATABASE()", out->database, sizeof(out->database));
	if (!rc)
		rc = sl_conn_query(&cur, c, "SHOW GLOBAL VARIABLES LIKE 'server_uuid'");
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), 1);
	if (!rc && sl_cursor_ncols(cur) == 2 && (rc = sl_cursor_fetch(cur, &b, 1)) > 0) {
		const sl_value *v = &sl_batch_row(&b, 0)[1];
		if (v->type == SL_V_TEXT)
			snprintf(out->server_id, sizeof(out->server_id), "%.*s", (int)v->u.s.len, v->u.s.ptr);
	}
	rc = rc > 0 ? 0 : rc;
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

const sl_driver sl_driver_mysql = {
	.version = SL_DRIVER_VERSION,
	.name = "mysql",
	.engine = SL_ENGINE_MYSQL,
	.open = my_open,
	.close = my_close,
	.exec = my_exec,
	.query = my_query,
	.fetch = my_fetch,
	.cursor_close = my_cursor_close,
	.begin = my_begin,
	.commit = my_commit,
	.rollback = my_rollback,
	.savepoint = my_savepoint,
	.release = my_release,
	.rollback_to = my_rollback_to,
	.lock = my_lock,
	.unlock = my_unlock,
	.quote_ident = my_quote_ident,
	.quote_literal = my_quote_literal,
	.writer_open = my_writer_open,
	.writer_write = my_writer_write,
	.writer_flush = my_writer_flush,
	.writer_free = my_writer_free,
	.introspect = sl_introspect_mysql,
	.identity = my_identity,
	.scratch_url = my_scratch_url,
	.scratch_create = my_scratch_create,
	.scratch_list = my_scratch_list,
	.scratch_drop = my_scratch_drop,
	.session_id = my_session_id,
	.observe_locks = my_observe_locks,
	.table_storage = my_table_storage,
	.rewrite_how = my_rewrite_how,
	.set_fk_checks = my_set_fk_checks,
	.sever = my_sever,
	.statement_columns = sl_columns_mysql,
	.sync = &sl_my_sync_ops,
	.freeze = &sl_my_freeze_ops,
	.expand = &sl_expand_mysql,
	.dialect = &sl_my_dialect,
	.bulk_session = my_bulk_session,
	.bulk_fk_checks = my_bulk_fk_checks,
	.fk_violations = my_fk_violations,
	.read_only = my_read_only,
	.table_exists = my_table_exists,
	.error_is = my_error_is,
	.snapshot = &sl_my_snapshot_ops,
};
