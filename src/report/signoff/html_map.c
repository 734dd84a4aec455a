/*
 * html_map.c - the data map on the report page, drawn from the embedded
 * map ("sluice-map/1", docs/commands/map.md): who uses the data (each
 * consumer with what it reads and writes, table by table), the business
 * areas, a diagram of consumers, tables and areas (inline SVG whose text
 * alternative is the first table), every table with who uses it, and the
 * objects nobody explains.
 */
#include "signoff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

#define DIAGRAM_MAX 40 /* boxes per column in the diagram; the tables list every one */

typedef struct mapview {
	const json_t *map, *nodes, *edges;
	json_t *byid;     /* id -> node */
	json_t *out;      /* id -> array of edges from it */
	json_t *users;    /* table or view name -> array of consumer names */
	json_t *areas;    /* table name -> array of domain names */
	json_t *blocking; /* criticality name -> true when it blocks */
} mapview;

static void mv_free(mapview *v)
{
	json_decref(v->byid);
	json_decref(v->out);
	json_decref(v->users);
	json_decref(v->areas);
	json_decref(v->blocking);
}

/* Appends name to the array under key of o (once). */
static void add_once(json_t *o, const char *key, const char *name)
{
	json_t *a = json_object_get(o, key), *x;
	size_t i;
	if (!a) {
		a = json_array();
		json_object_set_new(o, key, a);
	}
	json_array_foreach(a, i, x) if (!strcmp(json_string_value(x), name)) return;
	json_array_append_new(a, json_string(name));
}

/* The table or view a node stands for in the diagram and the tables (a column: its table). */
static const json_t *box_of(const mapview *v, const json_t *n)
{
	if (rp_is(n, "kind", "column") && rp_str(n, "table")) {
		char id[512];
		snprintf(id, sizeof(id), "table:%s", rp_str(n, "table"));
		return json_object_get(v->byid, id);
	}
	return rp_is(n, "kind", "table") || rp_is(n, "kind", "view") ? n : NULL;
}

static int mv_init(mapview *v, const json_t *map)
{
	size_t i;
	json_t *x;
	memset(v, 0, sizeof(*v));
	v->map = map;
	v->nodes = json_object_get(map, "nodes");
	v->edges = json_object_get(map, "edges");
	v->byid = json_object();
	v->out = json_object();
	v->users = json_object();
	v->areas = json_object();
	v->blocking = json_object();
	if (!v->byid || !v->out || !v->users || !v->areas || !v->blocking)
		return sl_error_nomem();
	json_array_foreach(v->nodes, i, x) if (rp_str(x, "id")) json_object_set(v->byid, rp_str(x, "id"), x);
	json_array_foreach(json_object_get(json_object_get(map, "criticality"), "blocking"), i,
			   x) if (json_is_string(x))
		json_object_set_new(v->blocking, json_string_value(x), json_true());
	json_array_foreach(v->edges, i, x)
	{
		const char *from = rp_str(x, "from");
		if (!from)
			continue;
		json_t *a = json_object_get(v->out, from);
		if (!a) {
			a = json_array();
			json_object_set_new(v->out, from, a);
		}
		json_array_append(a, x);
		const json_t *fn = json_object_get(v->byid, from),
			     *tn = json_object_get(v->byid, rp_str(x, "to") ? rp_str(x, "to") : "");
		const json_t *b = tn ? box_of(v, tn) : NULL;
		if (fn && b && rp_is(fn, "kind", "consumer") &&
		    (rp_is(x, "kind", "reads") || rp_is(x, "kind", "writes")))
			add_once(v->users, rp_str(b, "name"), rp_str(fn, "name"));
		if (fn && b && rp_is(fn, "kind", "domain") && rp_is(x, "kind", "groups"))
			add_once(v->areas, rp_str(b, "name"), rp_str(fn, "name"));
	}
	return 0;
}

/* "invoices (total, status); customers (all of it)" for consumer c's edges of kind. */
static int uses(sl_buf *out, const mapview *v, const json_t *c, const char *kind)
{
	const json_t *edges = json_object_get(v->out, rp_str(c, "id")), *e;
	const char *open = NULL; /* table whose column list is open */
	size_t i;
	int rc = 0;
	bool any = false;
	json_array_foreach(edges, i, e)
	{
		if (rc)
			break;
		if (!rp_is(e, "kind", kind))
			continue;
		const json_t *t = json_object_get(v->byid, rp_str(e, "to") ? rp_str(e, "to") : "");
		const json_t *b = t ? box_of(v, t) : NULL;
		if (!t || !b)
			continue;
		bool col = rp_is(t, "kind", "column");
		const char *bn = rp_str(b, "name");
		if (col && open && !strcmp(open, bn)) {
			rc = sl_buf_puts(out, ", ");
		} else {
			if (open)
				rc = sl_buf_puts(out, ")");
			if (!rc && any)
				rc = sl_buf_puts(out, "; ");
			if (!rc)
				rc = rp_h_tag(out, "strong", NULL, bn);
			if (!rc)
				rc = sl_buf_puts(out, col                        ? " ("
						      : rp_is(b, "kind", "view") ? " (view)"
						      : !strcmp(kind, "writes")  ? " (whole rows)"
										 : " (all of it)");
			open = col ? bn : NULL;
		}
		if (!rc && col) {
			const char *name = rp_str(t, "name");
			const char *dot = name ? strchr(name, '.') : NULL;
			rc = rp_h_tag(out, "code", NULL, dot ? dot + 1 : name);
		}
		any = true;
	}
	if (!rc && open)
		rc = sl_buf_puts(out, ")");
	if (!rc && !any)
		rc = sl_buf_puts(out, "-");
	return rc;
}

static const char *crit_word(const mapview *v, const char *level, char *buf, size_t n)
{
	if (!level)
		return "-";
	snprintf(buf, n, "%s%s", level, json_object_get(v->blocking, level) ? " (sign-off needed)" : "");
	return buf;
}

static int consumers(sl_buf *out, const mapview *v)
{
	static const char *const heads[] = { "Consumer", "Owner", "Criticality", "Reads", "Writes" };
	const json_t *n;
	size_t i, count = 0;
	char buf[128];
	int rc = 0;
	json_array_foreach(v->nodes, i, n) count += rp_is(n, "kind", "consumer");
	if (!count)
		return sl_buf_puts(out,
				   "<p>No consumers are declared in sluice.yaml: add the reports, jobs and "
				   "services that read or write this database so that changes can be checked "
				   "against them.</p>\n");
	rc = rp_h_caption_table(out, "Who uses the data, and how much it matters", heads, 5);
	json_array_foreach(v->nodes, i, n)
	{
		if (rc)
			break;
		if (!rp_is(n, "kind", "consumer"))
			continue;
		rc = sl_buf_puts(out, "<tr><th scope=\"row\">");
		if (!rc)
			rc = rp_h_text(out, rp_str(n, "name"));
		if (!rc && rp_str(n, "detail")) {
			rc = sl_buf_puts(out, "<br><span class=\"meta\">");
			if (!rc)
				rc = rp_h_text(out, rp_str(n, "detail"));
			if (!rc)
				rc = sl_buf_puts(out, "</span>");
		}
		if (!rc)
			rc = sl_buf_puts(out, "</th>");
		if (!rc)
			rc = rp_h_td(out, rp_str(n, "owner"), false);
		if (!rc)
			rc = rp_h_td(out, crit_word(v, rp_str(n, "criticality"), buf, sizeof(buf)), false);
		const char *kinds[] = { "reads", "writes" };
		for (size_t k = 0; !rc && k < 2; k++) {
			rc = sl_buf_puts(out, "<td>");
			if (!rc)
				rc = uses(out, v, n, kinds[k]);
			if (!rc)
				rc = sl_buf_puts(out, "</td>");
		}
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : sl_buf_puts(out, "</tbody></table></div>\n");
}

/* Names in a JSON array joined with ", " ("-" when empty). */
static int joined(sl_buf *out, const json_t *a)
{
	const json_t *x;
	size_t i;
	int rc = 0;
	if (!json_array_size(a))
		return sl_buf_puts(out, "-");
	json_array_foreach(a, i, x)
	{
		if (!rc && i)
			rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = rp_h_text(out, json_string_value(x));
	}
	return rc;
}

static int domains(sl_buf *out, const mapview *v)
{
	static const char *const heads[] = { "Business area", "Owner", "Criticality", "Tables" };
	const json_t *n, *e;
	size_t i, k;
	char buf[128];
	int rc = 0;
	bool header = false;
	json_array_foreach(v->nodes, i, n)
	{
		if (rc)
			break;
		if (!rp_is(n, "kind", "domain"))
			continue;
		if (!header)
			rc = rp_h_caption_table(out, "Business areas: groups of tables with an owner", heads,
						4);
		header = true;
		if (!rc)
			rc = sl_buf_puts(out, "<tr><th scope=\"row\">");
		if (!rc)
			rc = rp_h_text(out, rp_str(n, "name"));
		if (!rc)
			rc = sl_buf_puts(out, "</th>");
		if (!rc)
			rc = rp_h_td(out, rp_str(n, "owner"), false);
		if (!rc)
			rc = rp_h_td(out, crit_word(v, rp_str(n, "criticality"), buf, sizeof(buf)), false);
		if (!rc)
			rc = sl_buf_puts(out, "<td>");
		bool first = true;
		json_array_foreach(json_object_get(v->out, rp_str(n, "id")), k, e)
		{
			if (rc || !rp_is(e, "kind", "groups"))
				continue;
			const json_t *t = json_object_get(v->byid, rp_str(e, "to") ? rp_str(e, "to") : "");
			if (!first)
				rc = sl_buf_puts(out, ", ");
			if (!rc)
				rc = rp_h_text(out, t ? rp_str(t, "name") : rp_str(e, "to"));
			first = false;
		}
		if (!rc)
			rc = sl_buf_puts(out, "</td></tr>\n");
	}
	return rc || !header ? rc : sl_buf_puts(out, "</tbody></table></div>\n");
}

/* ---- the diagram ---- */

enum { COL_W = 200, ROW_H = 34, BOX_H = 24, X_LEFT = 8, X_MID = 260, X_RIGHT = 512, TOP = 30 };

typedef struct column {
	const json_t *nodes[DIAGRAM_MAX];
	size_t n, total;
} column;

static long index_in(const column *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(rp_str(c->nodes[i], "name"), name))
			return (long)i;
	return -1;
}

static void push(column *c, const json_t *n)
{
	c->total++;
	if (c->n < DIAGRAM_MAX)
		c->nodes[c->n++] = n;
}

static const char *stroke_of(const mapview *v, const json_t *n)
{
	const char *lvl = rp_str(n, "criticality") ? rp_str(n, "criticality") : rp_str(n, "level");
	return !lvl ? "#999" : json_object_get(v->blocking, lvl) ? "#8c1d18" : "#444";
}

static int box(sl_buf *out, const mapview *v, const json_t *n, int x, size_t row)
{
	double y = TOP + (double)row * ROW_H;
	const char *name = rp_str(n, "name") ? rp_str(n, "name") : "?";
	const char *lvl = rp_str(n, "criticality") ? rp_str(n, "criticality") : rp_str(n, "level");
	char shown[40];
	size_t len = strlen(name);
	if (len > 26) { /* cut at a character boundary */
		size_t cut = 24;
		while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
			cut--;
		snprintf(shown, sizeof(shown), "%.*s\xE2\x80\xA6", (int)cut, name);
	} else {
		snprintf(shown, sizeof(shown), "%s", name);
	}
	int rc = sl_buf_printf(out, "<g><title>%s ",
			       rp_is(n, "kind", "view") ? "view"
			       : rp_str(n, "kind")      ? rp_str(n, "kind")
							: "");
	if (!rc)
		rc = rp_h_text(out, name);
	if (!rc && lvl) {
		rc = sl_buf_puts(out, ", criticality ");
		if (!rc)
			rc = rp_h_text(out, lvl);
	}
	if (!rc)
		rc = sl_buf_printf(out,
				   "</title><rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"4\" "
				   "fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"/>"
				   "<text x=\"%d\" y=\"%.1f\" fill=\"#1a1a1a\">",
				   x, y, COL_W, BOX_H, rp_is(n, "kind", "view") ? "#f4f4f4" : "#fff",
				   stroke_of(v, n), json_object_get(v->blocking, lvl ? lvl : "") ? "2" : "1",
				   x + 8, y + 16);
	if (!rc)
		rc = rp_h_text(out, shown);
	return rc ? rc : sl_buf_puts(out, "</text></g>\n");
}

static int link(sl_buf *out, double x1, double y1, double x2, double y2, const char *color, const char *dash)
{
	double mx = (x1 + x2) / 2;
	return sl_buf_printf(
		out,
		"<path d=\"M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"1.5\"%s%s%s/>\n",
		x1, y1, mx, y1, mx, y2, x2, y2, color, *dash ? " stroke-dasharray=\"" : "", dash,
		*dash ? "\"" : "");
}

static int diagram(sl_buf *out, const mapview *v)
{
	column left = { .n = 0 }, mid = { .n = 0 }, right = { .n = 0 };
	const json_t *n, *e;
	size_t i, k;
	int rc = 0;
	json_array_foreach(v->nodes, i, n)
	{
		const char *name = rp_str(n, "name");
		if (rp_is(n, "kind", "consumer"))
			push(&left, n);
		else if (rp_is(n, "kind", "domain"))
			push(&right, n);
		else if ((rp_is(n, "kind", "table") || rp_is(n, "kind", "view")) && name &&
			 (json_object_get(v->users, name) || json_object_get(v->areas, name)))
			push(&mid, n);
	}
	if (!left.n && !right.n)
		return 0;
	size_t rows = left.n > mid.n ? left.n : mid.n;
	rows = rows > right.n ? rows : right.n;
	int h = TOP + (int)rows * ROW_H + 8;
	rc = sl_buf_printf(
		out,
		"<figure aria-labelledby=\"map-diagram-cap\">\n<figcaption id=\"map-diagram-cap\">How "
		"it connects: consumers, the tables and views they use, and business areas"
		"</figcaption>\n<svg class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		"720 %d\" role=\"img\" aria-labelledby=\"map-diagram-t map-diagram-d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n<title id=\"map-diagram-t\">Who uses "
		"what</title>\n<desc id=\"map-diagram-d\">%zu consumers (left) read or write %zu "
		"tables and views (middle); %zu business areas (right) group tables. Solid blue lines "
		"are reads, dashed orange lines writes, dotted grey lines business areas; boxes with a "
		"dark red border are at a criticality that needs sign-off. The table \"Who uses the "
		"data\" says the same in words.</desc>\n",
		h, left.total, mid.total, right.total);
	const char *heads[3] = { "Consumers", "Tables and views", "Business areas" };
	const int xs[3] = { X_LEFT, X_MID, X_RIGHT };
	for (int c = 0; !rc && c < 3; c++)
		rc = sl_buf_printf(
			out, "<text x=\"%d\" y=\"18\" font-weight=\"bold\" fill=\"#1a1a1a\">%s</text>\n",
			xs[c], heads[c]);
	for (i = 0; !rc && i < left.n; i++) {
		json_array_foreach(json_object_get(v->out, rp_str(left.nodes[i], "id")), k, e)
		{
			bool w = rp_is(e, "kind", "writes");
			if (rc || (!w && !rp_is(e, "kind", "reads")))
				continue;
			const json_t *t = json_object_get(v->byid, rp_str(e, "to") ? rp_str(e, "to") : "");
			const json_t *b = t ? box_of(v, t) : NULL;
			long j = b ? index_in(&mid, rp_str(b, "name")) : -1;
			if (j >= 0)
				rc = link(out, X_LEFT + COL_W, TOP + (double)i * ROW_H + BOX_H / 2.0, X_MID,
					  TOP + (double)j * ROW_H + BOX_H / 2.0,
					  w ? rp_palette[1] : rp_palette[0], w ? "6 3" : "");
		}
	}
	for (i = 0; !rc && i < right.n; i++) {
		json_array_foreach(json_object_get(v->out, rp_str(right.nodes[i], "id")), k, e)
		{
			if (rc || !rp_is(e, "kind", "groups"))
				continue;
			const json_t *t = json_object_get(v->byid, rp_str(e, "to") ? rp_str(e, "to") : "");
			long j = t ? index_in(&mid, rp_str(t, "name")) : -1;
			if (j >= 0)
				rc = link(out, X_RIGHT, TOP + (double)i * ROW_H + BOX_H / 2.0, X_MID + COL_W,
					  TOP + (double)j * ROW_H + BOX_H / 2.0, "#777", "2 3");
		}
	}
	for (i = 0; !rc && i < left.n; i++)
		rc = box(out, v, left.nodes[i], X_LEFT, i);
	for (i = 0; !rc && i < mid.n; i++)
		rc = box(out, v, mid.nodes[i], X_MID, i);
	for (i = 0; !rc && i < right.n; i++)
		rc = box(out, v, right.nodes[i], X_RIGHT, i);
	if (!rc)
		rc = sl_buf_puts(out, "</svg>\n</figure>\n");
	if (!rc && (left.total > left.n || mid.total > mid.n || right.total > right.n))
		rc = sl_buf_printf(
			out,
			"<p>The diagram shows the first %d of each column; the tables list every one.</p>\n",
			DIAGRAM_MAX);
	return rc;
}

/* ---- every table ---- */

static int tables(sl_buf *out, const mapview *v)
{
	static const char *const heads[] = { "Table or view", "Rows",          "Criticality",
					     "Used by",       "Business area", "Explained" };
	const json_t *n;
	size_t i;
	char buf[128];
	int rc = rp_h_caption_table(out, "Every table and view, with who uses it", heads, 6);
	json_array_foreach(v->nodes, i, n)
	{
		if (rc)
			break;
		if (!rp_is(n, "kind", "table") && !rp_is(n, "kind", "view"))
			continue;
		const char *name = rp_str(n, "name") ? rp_str(n, "name") : "?";
		rc = sl_buf_puts(out, "<tr><th scope=\"row\">");
		if (!rc)
			rc = rp_h_text(out, name);
		if (!rc && rp_is(n, "kind", "view"))
			rc = sl_buf_puts(out, " (view)");
		if (!rc)
			rc = sl_buf_puts(out, "</th>");
		if (!rc)
			rc = json_is_integer(json_object_get(n, "rows"))
				     ? rp_h_td_int(out, rp_int(n, "rows", 0))
				     : rp_h_td(out, "-", true);
		if (!rc)
			rc = rp_h_td(out, crit_word(v, rp_str(n, "level"), buf, sizeof(buf)), false);
		if (!rc)
			rc = sl_buf_puts(out, "<td>");
		if (!rc)
			rc = joined(out, json_object_get(v->users, name));
		if (!rc)
			rc = sl_buf_puts(out, "</td><td>");
		if (!rc)
			rc = joined(out, json_object_get(v->areas, name));
		if (!rc)
			rc = sl_buf_puts(out, "</td>");
		if (!rc)
			rc = rp_h_td(out,
				     json_is_true(json_object_get(n, "unowned"))
					     ? "no: no consumer uses it and no migration names it"
					     : "yes",
				     false);
		if (!rc)
			rc = sl_buf_puts(out, "</tr>\n");
	}
	return rc ? rc : sl_buf_puts(out, "</tbody></table></div>\n");
}

static int unowned(sl_buf *out, const mapview *v)
{
	const json_t *ids = json_object_get(v->map, "unowned"), *x;
	size_t i;
	int rc = sl_buf_puts(out, "<h3>Objects nobody explains</h3>\n");
	if (!rc && !json_array_size(ids))
		return sl_buf_puts(
			out, "<p>Every table, view, trigger and index is used by a declared consumer or "
			     "named by a migration.</p>\n");
	if (!rc)
		rc = sl_buf_puts(out,
				 "<p>No declared consumer uses these and no migration names them: find out "
				 "who needs them before anything moves.</p>\n<ul>\n");
	json_array_foreach(ids, i, x)
	{
		if (rc)
			break;
		const json_t *n = json_object_get(v->byid, json_string_value(x));
		rc = sl_buf_printf(out, "<li>%s <code>",
				   n && rp_str(n, "kind") ? rp_str(n, "kind") : "object");
		if (!rc)
			rc = rp_h_text(out, n ? rp_str(n, "name") : json_string_value(x));
		if (!rc)
			rc = sl_buf_puts(out, "</code></li>\n");
	}
	return rc ? rc : sl_buf_puts(out, "</ul>\n");
}

int rp_html_map(sl_buf *out, const json_t *section)
{
	const json_t *map = json_object_get(section, "map");
	mapview v;
	if (!map)
		return 0;
	int rc = mv_init(&v, map);
	if (!rc)
		rc = sl_buf_puts(out, "<h3>Who uses the data</h3>\n");
	if (!rc)
		rc = consumers(out, &v);
	if (!rc)
		rc = domains(out, &v);
	if (!rc)
		rc = diagram(out, &v);
	if (!rc)
		rc = sl_buf_puts(out, "<h3>Every table</h3>\n");
	if (!rc)
		rc = tables(out, &v);
	if (!rc)
		rc = unowned(out, &v);
	mv_free(&v);
	return rc;
}
