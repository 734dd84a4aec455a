/*
 * expand_writer.c - one application writer for bench/expand.sh: for SECONDS
 * it writes table accounts (id, name, balance) at full speed, each statement
 * on its own (autocommit): three inserts of new rows for every update of a
 * random existing row, through the old shape (the base table) or the new
 * version's (full_name, balance in units). Prints "ops N" at the end.
 *
 *   expand_writer URL old|new VERSION SECONDS FIRST_ID SEEDED_ROWS
 *
 * VERSION is the new version's name (PostgreSQL schema, MySQL database,
 * SQLite view prefix); unused for "old".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/conn.h"
#include "sluice/error.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	sl_conn *c = NULL;
	char sql[512], table[160];
	if (argc != 7) {
		fprintf(stderr, "usage: expand_writer URL old|new VERSION SECONDS FIRST_ID SEEDED_ROWS\n");
		return 2;
	}
	const char *url = argv[1], *version = argv[3];
	int fresh = strcmp(argv[2], "new") == 0;
	double seconds = strtod(argv[4], NULL);
	long long id = strtoll(argv[5], NULL, 10), seeded = strtoll(argv[6], NULL, 10);
	if (sl_conn_open(&c, url) != 0) {
		fprintf(stderr, "expand_writer: %s\n", sl_error_last()->message);
		return 3;
	}
	snprintf(table, sizeof(table), "accounts");
	if (fresh) {
		switch (sl_conn_engine(c)) {
		case SL_ENGINE_POSTGRES:
			snprintf(sql, sizeof(sql), "SET search_path TO \"%s\", public", version);
			break;
		case SL_ENGINE_MYSQL:
			snprintf(sql, sizeof(sql), "USE `%s`", version);
			break;
		default:
			sql[0] = '\0';
			snprintf(table, sizeof(table), "\"%s_accounts\"", version);
		}
		if (sql[0] && sl_conn_exec(c, sql) != 0) {
			fprintf(stderr, "expand_writer: %s\n", sl_error_last()->message);
			return 3;
		}
	}
	unsigned seed = (unsigned)id;
	long ops = 0, errors = 0;
	double end = now_s() + seconds;
	while (now_s() < end) {
		long cents = rand_r(&seed) % 1000000;
		char val[32];
		if (fresh)
			snprintf(val, sizeof(val), "%ld.%02ld", cents / 100, cents % 100);
		else
			snprintf(val, sizeof(val), "%ld", cents);
		if (ops % 4 == 3) {
			snprintf(sql, sizeof(sql), "UPDATE %s SET balance = %s WHERE id = %lld", table, val,
				 1 + (long long)(rand_r(&seed) % seeded));
		} else {
			snprintf(sql, sizeof(sql),
				 "INSERT INTO %s (id, %s, balance) VALUES (%lld, 'w%lld', %s)", table,
				 fresh ? "full_name" : "name", id, id, val);
			id++;
		}
		if (sl_conn_exec(c, sql) != 0)
			errors++;
		ops++;
	}
	printf("ops %ld errors %ld\n", ops, errors);
	sl_conn_close(c);
	return 0;
}
