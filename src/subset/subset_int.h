/*
 * subset_int.h - what the files of the subset module share: the nodes
 * (tables) and edges (relationships) of a computed subset (closure.c), read
 * by session.c to load the chosen keys into a connection and filter rows.
 */
#ifndef SLUICE_SUBSET_INT_H
#define SLUICE_SUBSET_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/strmap.h"
#include "sluice/subset.h"

/* A chosen row: its link values (identity first), and whether it was reached downward. */
typedef struct srow {
	sl_value *v;
	bool down;
} srow;

typedef struct tnode {
	const sl_table *t;
	size_t index;
	const char **ident; /* identity columns: the first nident of cols */
	size_t nident;
	const char **cols; /* link columns */
	size_t ncols;
	size_t nsel;    /* values read per row: cols, then one flag per conditional edge from here */
	sl_strmap *set; /* identity encoding -> srow* */
	srow **q_up, **q_down;
	size_t nup, cap_up, ndown, cap_down;
	int64_t count;
	uint64_t dig[2]; /* XOR of the identities' XXH3-128 */
	sl_subset_mode mode;
	bool root, keyless, warned_null;
	int comp;     /* union-find parent */
	char tmp[40]; /* temporary key table */
} tnode;

typedef struct redge {
	const sl_relationship *r;
	tnode *child, *parent;
	size_t *cpos, *ppos; /* the relationship's columns among child's / parent's link columns */
	int flag;            /* position of the where flag among child's values, -1: none */
	sl_strmap *asked_up, *asked_down;
} redge;

struct sl_subset {
	sl_arena *a;
	tnode *nodes;
	size_t nnodes;
	redge *edges;
	size_t nedges;
	sl_conn *src; /* during sl_subset_compute only */
	bool schemas; /* the source has schemas: qualify table names */
	sl_buf enc;   /* scratch encoding */
	sl_subset_notice_fn notice;
	void *notice_ud;
};

tnode *sl_subset_node(const sl_subset *s, const char *table);
/* Appends t's name, schema-qualified where the source has schemas. */
int sl_subset_put_table(const sl_subset *s, sl_buf *b, sl_conn *c, const sl_table *t);

#endif
