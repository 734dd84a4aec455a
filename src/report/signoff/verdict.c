/*
 * verdict.c - GO or NO-GO, from the sections of the model: a section that
 * failed is red; a required one (rehearsals, checks) that has not been run
 * is red too, since nobody can sign off on evidence that does not exist;
 * warnings and sections that could not be read are amber; other sections
 * not run yet are listed as such. GO means nothing is red.
 */
#include "signoff_int.h"

#include <string.h>

#include "sluice/error.h"

static json_t *item(const char *key, const json_t *s)
{
	return json_pack("{s:s, s:s, s:s}", "section", key, "title",
			 rp_str(s, "title") ? rp_str(s, "title") : key, "text",
			 rp_str(s, "summary") ? rp_str(s, "summary") : "");
}

int rp_verdict(json_t *root)
{
	json_t *red = json_array(), *amber = json_array(), *not_run = json_array(), *green = json_array();
	const json_t *sections = json_object_get(root, "sections");
	size_t n = 0;
	const rp_source *src = rp_sources(&n);
	if (!red || !amber || !not_run || !green) {
		json_decref(red);
		json_decref(amber);
		json_decref(not_run);
		json_decref(green);
		return sl_error_nomem();
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *s = json_object_get(sections, src[i].key);
		const char *st = rp_str(s, "status");
		json_t *to = !st                                                   ? amber
			     : !strcmp(st, RP_FAIL)                                ? red
			     : !strcmp(st, RP_NOT_RUN) && src[i].required          ? red
			     : !strcmp(st, RP_NOT_RUN)                             ? not_run
			     : !strcmp(st, RP_WARN) || !strcmp(st, RP_UNAVAILABLE) ? amber
										   : green;
		json_array_append_new(to, item(src[i].key, s));
	}
	bool go = json_array_size(red) == 0;
	json_t *v = json_object();
	json_object_set_new(v, "verdict", json_string(go ? "GO" : "NO-GO"));
	json_object_set_new(v, "red", red);
	json_object_set_new(v, "amber", amber);
	json_object_set_new(v, "not_run", not_run);
	json_object_set_new(v, "green", green);
	/* the verdict comes first in the document, as on the page */
	json_t *copy = json_deep_copy(root);
	json_object_clear(root);
	json_object_set_new(root, "format", json_incref(json_object_get(copy, "format")));
	json_object_set_new(root, "verdict", v);
	const char *k;
	json_t *val;
	json_object_foreach(copy, k, val) if (!json_object_get(root, k)) json_object_set(root, k, val);
	json_decref(copy);
	return 0;
}
