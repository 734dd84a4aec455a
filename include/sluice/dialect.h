/*
 * dialect.h - what an engine's SQL looks like, as data: one constant
 * descriptor per engine, read by code that writes SQL for an engine it may
 * not be connected to (cast planning, DDL, diff and rules expressions,
 * migration files).
 *
 * Core code asks the descriptor (limits, literal spellings, capabilities of
 * the language) or calls its spelling hooks instead of branching on the
 * engine; each driver provides its descriptor (sl_driver.dialect,
 * include/sluice/sys/driver.h), so a new engine adds one and touches nothing
 * above src/db/. Things that need a live connection (session settings,
 * catalog lookups) are driver hooks in conn.h instead.
 */
#ifndef SLUICE_DIALECT_H
#define SLUICE_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/schema.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How `sluice copy --plan` checks the DDL it generates for a target engine. */
typedef enum sl_ddl_check_how {
	SL_DDL_CHECK_RULES = 0, /* by rule only (ddl_check.c's list of what the engine refuses) */
	SL_DDL_CHECK_MEMORY,    /* on an empty in-memory database of the engine */
	SL_DDL_CHECK_ROLLBACK,  /* on the target itself, in a transaction that is rolled back */
} sl_ddl_check_how;

/* Flags of sl_dialect.text_expr. */
enum {
	SL_TEXT_LOWER = 1u << 0, /* fold ASCII case first */
	SL_TEXT_ORDER = 1u << 1, /* the result sorts by bytes (an ORDER BY term), not only compares */
};

/*
 * The SQL spellings diff's bisection needs to rebuild, in the engine, the
 * bytes of canon.h's encoding of a row and fingerprint them
 * (src/check/bisect_sql.c decides which column pairs can be rendered and
 * how; these say how the engine spells each piece). q is a quoted column.
 */
typedef struct sl_rowhash_ops {
	/* Appends tag || octet length of x || ':' || x (x: a non-NULL text expression). */
	int (*enc)(sl_buf *out, char tag, const char *x);
	const char *row_open, *row_sep, *row_close; /* the concatenation of the column expressions */
	/* The decimal text of exact number q: as written for integers, else trailing fraction zeros cut. */
	int (*number_text)(sl_buf *out, const char *q, bool integer);
	/* The text of text column q, in UTF-8. */
	int (*text)(sl_buf *out, const char *q);
	/*
	 * The text of temporal column q as canon.h writes it: a date (date) or an
	 * ISO timestamp with 6 fractional digits and, with zulu, a "Z" (in UTC
	 * when instant: q keeps an instant); range gets the condition under which
	 * that text is exact (years 1-9999, no zero dates).
	 */
	int (*temporal_text)(sl_buf *out, sl_buf *range, const char *q, bool date, bool zulu, bool instant);
	bool native_bool; /* a boolean column is a condition (WHEN q THEN); else 0/1 integers */
	bool set_is_text; /* SET columns read as their text */
	bool instants;    /* an instant type (timestamptz) can be rendered, in UTC */
	bool uuid_type;   /* a uuid type that can be rendered as text */
	/* The 60-bit fingerprint of a row text expression: the first 15 hex digits of its md5, as a number.
	 */
	int (*hash60)(sl_buf *out, const char *row_expr);
	/* The bucket number of integer key k: floor((k - lo) / width), without overflow. */
	int (*bucket)(sl_buf *out, const char *k, int64_t lo, uint64_t width);
} sl_rowhash_ops;

typedef struct sl_dialect {
	sl_engine engine;
	const char *name;            /* "postgres": the name in URLs, files and options */
	const char *title;           /* "PostgreSQL": the name in messages */
	const char *const *aliases;  /* other names accepted in migration files (NULL-terminated) */
	char ident_quote;            /* '"' or '`' */
	const char *ident_quotes;    /* every character that can quote an identifier ("\"`" for SQLite) */
	size_t ident_max;            /* longest identifier (0: no limit) */
	bool ident_max_chars;        /* ident_max counts characters, not bytes */
	const char *ident_limit;     /* "PostgreSQL's 63-byte limit" */
	bool ident_case_insensitive; /* names that differ only in case are the same name */
	bool ident_lower_case;       /* unquoted names fold to lower case (the spelling a key reads as) */
	const char *true_literal;    /* "TRUE" / "1" */
	const char *false_literal;
	char bit_prefix; /* prefix of a bit-string literal (B'101'); 0: bits are written as an integer */
	const char *drop_cascade; /* appended to DROP TABLE/VIEW/TYPE to drop dependants, "" if none */
	const char *serial_key;   /* a BIGINT column numbered by the engine, the table's primary key */
	const char *long_text;    /* a text type for unbounded text (MySQL's TEXT holds 64 KiB) */
	bool hash_comments;       /* '#' starts a comment */
	bool bang_comments_blank; /* a comment opened with slash, star, "!" is only a comment (MySQL runs what
				     it holds) */
	bool primary_key_nulls;   /* a non-integer primary key column may hold NULL (SQLite) */
	/* ---- what the engine stores (copy's casts and conversions) ---- */
	unsigned caps;               /* the SL_CAP_* bits every server of the engine has (conn.h) */
	bool loose_types;            /* declared types are not enforced: a column holds any value */
	bool unsigned_types;         /* integer types have UNSIGNED variants */
	bool float_infinity;         /* stores +-Infinity in floats even without SL_CAP_FLOAT_SPECIALS */
	bool decimal_specials;       /* its decimal type takes NaN and +-Infinity */
	bool decimal_as_double;      /* decimals are kept as 64-bit floats: past 15 significant digits lost */
	bool temporal_as_text;       /* dates and times are stored as text, with every fractional digit */
	int default_frac_digits;     /* fractional-second digits of a time type declared without precision */
	int min_year, max_year;      /* the years a date type holds (0: no limit of concern) */
	bool time_beyond_day;        /* its TIME holds durations past 24 hours */
	bool zero_dates;             /* dates may be '0000-00-00' or have a zero month or day */
	bool wide_dates;             /* dates go beyond years 1-9999 (BC, infinity) */
	bool json_native;            /* a JSON type whose values the engine has checked */
	bool arrays;                 /* array types (text[]) */
	bool bit_strings;            /* a BIT type holding bit strings, not integers */
	bool bool_is_tinyint;        /* booleans are tinyint(1) and may hold other integers */
	bool session_zone_stamps;    /* a timestamp type read in the session's time zone (MySQL TIMESTAMP) */
	bool default_collation_ci;   /* text compares case-insensitively unless a collation says otherwise */
	bool table_collations;       /* tables carry a default collation of their own */
	bool table_names_fold;       /* table names that differ only in case always collide (not only on
					some servers) */
	bool empty_type_ok;          /* a column may be declared without a type */
	bool bare_words_are_strings; /* a default written as a bare word is a string */
	bool one_identity_leading_key; /* one identity per table, on the first column of the primary key */
	bool on_update_clause;         /* ON UPDATE CURRENT_TIMESTAMP is a column clause */
	bool identity_rowid;           /* only a sole INTEGER PRIMARY KEY generates values (SQLite's rowid) */
	const char *key_collation;     /* collation that keeps key text case- and accent-sensitive where the
					  default one folds (NULL: the default does not) */
	/* ---- defaults ---- */
	bool expr_default_parens;     /* a default on TEXT, BLOB, JSON, GEOMETRY or ARRAY columns, and a clock
					 default on dates and times, must be in parentheses */
	bool clock_on_text;           /* a text column may default to the clock */
	bool stamp_default_precision; /* CURRENT_TIMESTAMP(p) must name the column's precision */
	const char *uuid_default;     /* a default that makes a random UUID */
	const char *uuid_default_note; /* why that default is what it is (NULL: nothing to say) */
	/* ---- notes a plan carries for this engine as a target ---- */
	const char *identity_note; /* how the loader keeps identity values, NULL: nothing to say */
	const char *fk_note;       /* how foreign keys are loaded and checked, NULL: nothing to say */
	sl_ddl_check_how ddl_check;
	const char *memory_url;       /* SL_DDL_CHECK_MEMORY: the URL of an empty in-memory database */
	const char *set_local_schema; /* with a schema name appended: unqualified names go there until the
					 transaction ends (SL_DDL_CHECK_ROLLBACK on an engine with schemas) */
	/*
	 * Appends x (an expression of any type) as text compared byte for byte:
	 * with SL_TEXT_ORDER also sorting by bytes, whatever the column's
	 * collation; SL_TEXT_LOWER folds ASCII case first.
	 */
	int (*text_expr)(sl_buf *out, const char *x, unsigned flags);
	/*
	 * Whether sql ends with a complete statement, as the engine's own lexer
	 * sees it (SQLite: sqlite3_complete, which keeps CREATE TRIGGER ...
	 * BEGIN ...; END; whole). NULL where the statement splitter needs none.
	 */
	bool (*statement_complete)(const char *sql);
	/* Row fingerprints in SQL for diff's bisection; NULL: rows are hashed in C after reading them. */
	const sl_rowhash_ops *rowhash;
} sl_dialect;

/* The dialect a migration's generic SQL is read in when no target says which. */
sl_engine sl_dialect_default(void);
/* The descriptor of engine e, NULL for SL_ENGINE_NONE. Borrowed, constant. */
const sl_dialect *sl_dialect_of(sl_engine e);
/* The engine named name[0..n) (a dialect's name, or with aliases also one of its aliases); SL_ENGINE_NONE if
 * none. */
sl_engine sl_dialect_engine_named(const char *name, size_t n, bool aliases);
/* Appends name fitted to e's identifier limit: kept when it fits, else cut and suffixed "_" + 8 hex digits.
 */
int sl_dialect_fit_name(sl_buf *out, const char *name, sl_engine e);

#ifdef __cplusplus
}
#endif
#endif
