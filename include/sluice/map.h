/*
 * map.h - the data map: what depends on what, and what a change reaches.
 *
 * sl_map_build() turns a schema model, the consumers and domains of
 * sluice.yaml (consumers.h) and the migrations (migrate.h) into one graph:
 * tables, columns, indexes, foreign keys, views, triggers, consumers,
 * domains and migrations as nodes; "uses" edges between them (a column
 * belongs to its table, an index and a foreign key use columns, a view and
 * a consumer read or write tables, columns and views, a trigger fires on
 * its table, a domain groups tables) and "names" edges from each migration
 * to the objects its statements name (the history `sluice why` reads).
 * Every node carries the highest criticality of the consumers and domains
 * that use it; objects no consumer uses and no migration names are marked
 * unowned. Renderers write it as Markdown for people who do not write SQL,
 * Graphviz DOT, Mermaid, and JSON (format "sluice-map/1", docs/commands/map.md)
 * for programs and for `sluice report` to embed.
 *
 * sl_impact_*() walk the edges backwards from changed objects: everything
 * that depends on them, transitively (views over views, triggers, foreign
 * keys, consumers, domains), with how badly (breaks, affected, reached) and
 * through what. A migration's changes come from the schema diff of applying
 * it (schemadiff.h); an object's are "what if it were dropped".
 *
 * Ownership: a map owns its nodes and strings (its arena) and borrows
 * nothing after sl_map_build() returns. An impact borrows its map.
 */
#ifndef SLUICE_MAP_H
#define SLUICE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/consumers.h"
#include "sluice/migrate.h"
#include "sluice/schema.h"
#include "sluice/schemadiff.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_node_kind {
	SL_NODE_TABLE = 0,
	SL_NODE_COLUMN,
	SL_NODE_VIEW,
	SL_NODE_TRIGGER,
	SL_NODE_INDEX,
	SL_NODE_FKEY,
	SL_NODE_CONSUMER,
	SL_NODE_DOMAIN,
	SL_NODE_MIGRATION,
	SL_NODE__COUNT
} sl_node_kind;

typedef enum sl_edge_kind {
	SL_EDGE_COLUMN_OF = 0, /* column -> its table */
	SL_EDGE_INDEXES,       /* index -> a column (or its table, for an expression) */
	SL_EDGE_KEY_FROM,      /* foreign key -> a referencing column */
	SL_EDGE_KEY_TO,        /* foreign key -> a referenced column */
	SL_EDGE_READS,         /* view or consumer -> table, column or view */
	SL_EDGE_WRITES,        /* consumer -> table (whole rows) or column */
	SL_EDGE_FIRES_ON,      /* trigger -> its table */
	SL_EDGE_GROUPS,        /* domain -> table */
	SL_EDGE_NAMES,         /* migration -> an object its statements name (not a dependency) */
	SL_EDGE__COUNT
} sl_edge_kind;

typedef struct sl_map_node {
	sl_node_kind kind;
	const char *id;     /* unique and stable: "table:invoices", "column:invoices.total", "consumer:x" */
	const char *name;   /* "invoices", "invoices.total", "x" */
	const char *table;  /* columns, indexes, foreign keys, triggers: their table; else NULL */
	const char *detail; /* column type, consumer description, migration title, ... or NULL */
	const char *owner;  /* consumers and domains */
	int own_level;      /* consumers and domains: their criticality; -1 otherwise */
	int level;          /* highest criticality of what uses it (own included); -1 when none */
	int64_t rows;       /* tables: row count (-1 unknown) */
	bool unowned;       /* table, view, trigger or index that no consumer uses and no migration names */
	size_t *out, nout, cap_out; /* edges from this node (indexes into sl_map.edges) */
	size_t *in, nin, cap_in;    /* edges to this node */
} sl_map_node;

typedef struct sl_map_edge {
	size_t from, to; /* node indexes: from uses to (for NAMES: from names to) */
	sl_edge_kind kind;
} sl_map_edge;

typedef struct sl_map {
	const char *title;    /* project or database name */
	const char *engine;   /* "sqlite", ... */
	const char *database; /* as the model names it */
	sl_criticality crit;  /* copied from the consumers (defaults without) */
	sl_map_node *nodes;   /* sorted by kind, then name */
	size_t n, cap;
	sl_map_edge *edges; /* sorted by from, kind, to */
	size_t nedges, cap_edges;
	size_t nunowned;
	sl_arena *arena;
} sl_map;

/* What sl_map_build() reads; only s is required. */
typedef struct sl_map_input {
	const sl_schema *schema;
	const sl_consumers *consumers;       /* resolved (sl_consumers_resolve); NULL: none */
	const sl_migrate_status *migrations; /* NULL: no provenance (every object unowned unless used) */
	sl_engine dialect;                   /* for splitting migrations */
	const char *title;                   /* NULL: the database name */
} sl_map_input;

int sl_map_build(sl_map **out, const sl_map_input *in);
void sl_map_free(sl_map *m);

/* Index of the node with id ("table:invoices"), or -1. */
long sl_map_find(const sl_map *m, const char *id);
/*
 * Index of the node a user names: "kind:name" or a bare name tried as a
 * table, view, column (table.column), index, trigger, consumer, domain,
 * migration id. SL_ENOTFOUND naming the nearest node when none matches.
 */
int sl_map_lookup(const sl_map *m, const char *name, size_t *out);

const char *sl_node_kind_name(sl_node_kind k);
const char *sl_edge_kind_name(sl_edge_kind k);

/* Renderers: append to out. */
int sl_map_render_md(sl_buf *out, const sl_map *m, const sl_schema *s);
int sl_map_render_dot(sl_buf *out, const sl_map *m);
int sl_map_render_mermaid(sl_buf *out, const sl_map *m);
int sl_map_render_json(sl_buf *out, const sl_map *m);

/* ---- impact ------------------------------------------------------------------------- */

typedef enum sl_effect {
	SL_EFFECT_REACHED = 0, /* depends on something that changes; nothing known to break */
	SL_EFFECT_AFFECTED,    /* what it uses changes in a compatible way (wider type, new default, ...) */
	SL_EFFECT_BREAKS       /* what it uses is gone, renamed or narrowed: it fails or misreads */
} sl_effect;

typedef struct sl_impact_item {
	size_t node;        /* in the map */
	sl_effect effect;   /* the worst over every path */
	int depth;          /* 0 for a changed object itself */
	long via;           /* the node it is reached through (-1 for a changed object) */
	const char *cause;  /* what changes, in words: "column \"invoices\".\"total\" dropped" */
	bool declared;      /* lint: the migration declares it breaks this consumer */
	const char *ticket; /* ... with this ticket */
} sl_impact_item;

typedef struct sl_impact {
	const sl_map *map;     /* borrowed */
	const char *subject;   /* "migration 2026..." or "table invoices" */
	sl_impact_item *items; /* changed objects first, then by depth, then by map order */
	size_t n, cap;
	size_t nbreaks, naffected;
	int worst_level; /* highest criticality among consumers and domains broken or affected; -1 none */
	sl_arena *arena;
} sl_impact;

/* What dropping node would reach. */
int sl_impact_of_node(sl_impact **out, const sl_map *m, size_t node);

/*
 * What the changes df reach: before is the model m was built from, after
 * the model once the migration ran (views and triggers are compared here,
 * since df does not). broken_queries holds nbroken (consumer name, message)
 * pairs, 2 * nbroken strings: consumers whose query no longer derives on the
 * after schema, which break whatever the paths say.
 */
int sl_impact_of_changes(sl_impact **out, const sl_map *m, const sl_schemadiff *df, const sl_schema *before,
			 const sl_schema *after, const char *subject, const char *const *broken_queries,
			 size_t nbroken);
void sl_impact_free(sl_impact *im);

const char *sl_effect_name(sl_effect e);

int sl_impact_render_text(sl_buf *out, const sl_impact *im);
int sl_impact_render_md(sl_buf *out, const sl_impact *im);
int sl_impact_render_json(sl_buf *out, const sl_impact *im);

#ifdef __cplusplus
}
#endif
#endif
