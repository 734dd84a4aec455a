/*
 * config_int.h - internal to the sluice.yaml loader (src/config/config*.c).
 * config.c parses the document and walks its top level; config_node.c reads
 * one node (positions, errors naming file, line and column, strings with
 * ${VAR} interpolation, the "did you mean" of unknown keys); config_sections.c
 * reads the sections the loader types (migrations, lint, environments,
 * rehearsal) and the typed values they hold.
 */
#ifndef SLUICE_CONFIG_CONFIG_INT_H
#define SLUICE_CONFIG_CONFIG_INT_H

#include "sluice/config.h"
#include <libfyaml.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_CONFIG_SIZE ((size_t)16 << 20)

void cfg_node_pos(struct fy_node *n, int *line, int *col);
int cfg_err_at(const sl_config *c, struct fy_node *n, struct fy_node *alt, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
size_t cfg_edit_distance(const char *a, const char *b);
int cfg_unknown_key(const sl_config *c, struct fy_node *key, const char *name, const char *where,
		    const char *const *known);
bool cfg_is_null(struct fy_node *n);
int cfg_get_string(const char **out, bool *secret, sl_config *c, struct fy_node *key, struct fy_node *val,
		   const char *what);
int cfg_key_name(const char **out, sl_config *c, struct fy_node *key, const char *where);
int cfg_need_mapping(sl_config *c, struct fy_node *key, struct fy_node *val, const char *what);
int cfg_load_migrations(sl_config *c, struct fy_node *mkey, struct fy_node *map);
int cfg_load_lint(sl_config *c, struct fy_node *lkey, struct fy_node *map);
int cfg_load_envs(sl_config *c, struct fy_node *ekey, struct fy_node *map);
int cfg_load_rehearsal(sl_config *c, struct fy_node *rkey, struct fy_node *map);

#endif
