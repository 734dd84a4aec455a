/*
 * html.c - the sign-off report as one self-contained HTML page: the
 * verdict first, a table of contents, then one <section> per source in
 * report order (html_map.c draws the data map, html_runs.c the others),
 * and the model itself as JSON in a <script type="application/json">
 * block for programs. No script runs and nothing is fetched: the page's
 * own Content-Security-Policy allows only its stylesheet, by hash. Every
 * text from outside goes through sl_html_text()/sl_html_attr(). Print and
 * 200% zoom: the layout is one column that wraps; tables scroll sideways
 * on screen and break between rows on paper.
 */
#include "signoff_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const char css[] =
	":root{color-scheme:light}\n"
	"body{font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:#1a1a1a;"
	"background:#fff;margin:0}\n"
	".wrap{max-width:64rem;margin:0 auto;padding:1rem 1.25rem 3rem}\n"
	".skip{position:absolute;left:-999rem}\n"
	".skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;outline:3px solid #0072B2}\n"
	"h1{font-size:1.75rem;margin:.5rem 0}\n"
	"h2{font-size:1.4rem;margin-top:2.5rem;border-bottom:2px solid #ccc;padding-bottom:.25rem}\n"
	"h3{font-size:1.1rem;margin-top:1.5rem}\n"
	".meta{color:#444;margin:.25rem 0}\n"
	"nav ol{columns:2 14rem;padding-left:1.5rem}\n"
	".verdict{border:3px solid;border-radius:.5rem;padding:.75rem 1.25rem;margin:1rem 0}\n"
	".verdict h3{margin-top:1rem}\n"
	".go{border-color:#1b5e20;background:#eef8f1}\n"
	".nogo{border-color:#8c1d18;background:#fdf0ef}\n"
	".word{font-size:2rem;font-weight:700;margin:0}\n"
	".badge{display:inline-block;padding:0 .4em;border-radius:.25rem;font-weight:600;"
	"white-space:nowrap;border:1px solid}\n"
	".s-pass{color:#1b5e20;background:#e8f5e9;border-color:#1b5e20}\n"
	".s-fail{color:#8c1d18;background:#fdecea;border-color:#8c1d18}\n"
	".s-warn{color:#5c4100;background:#fff4d6;border-color:#5c4100}\n"
	".s-not_run,.s-unavailable{color:#3d3d3d;background:#f1f1f1;border-color:#666}\n"
	".table-wrap{overflow-x:auto;margin:.75rem 0}\n"
	"table{border-collapse:collapse}\n"
	"caption{text-align:left;font-weight:600;padding:.25rem 0}\n"
	"th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top;"
	"overflow-wrap:break-word}\n"
	"th{background:#f2f2f2}\n"
	"th .meta{font-weight:400}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.t{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	"figure{margin:1.25rem 0}\n"
	"figcaption{font-weight:600;margin-bottom:.25rem}\n"
	"svg.chart,svg.map{width:100%;height:auto;max-width:48rem;display:block}\n"
	"code{font-family:ui-monospace,\"DejaVu Sans "
	"Mono\",monospace;font-size:.9em;overflow-wrap:anywhere}\n"
	"footer{margin-top:3rem;color:#444;font-size:.9rem}\n"
	"@media print{nav,.skip{display:none}body{font-size:10.5pt}.wrap{max-width:none;padding:0}"
	"h2{break-after:avoid}figure,tr,.verdict{break-inside:avoid}a{color:inherit;text-decoration:none}"
	".table-wrap{overflow:visible}}\n";

const char *rp_status_word(const char *status)
{
	if (!status)
		return "Unknown";
	return !strcmp(status, RP_PASS)      ? "Pass"
	       : !strcmp(status, RP_WARN)    ? "Warning"
	       : !strcmp(status, RP_FAIL)    ? "Red"
	       : !strcmp(status, RP_NOT_RUN) ? "Not run yet"
					     : "Unavailable";
}

static const char *status_symbol(const char *status)
{
	if (!status)
		return "?";
	return !strcmp(status, RP_PASS)      ? "\xE2\x9C\x93" /* check mark */
	       : !strcmp(status, RP_WARN)    ? "!"
	       : !strcmp(status, RP_FAIL)    ? "\xE2\x9C\x97" /* ballot x */
	       : !strcmp(status, RP_NOT_RUN) ? "\xE2\x80\x93" /* en dash */
					     : "?";
}

int rp_h_text(sl_buf *out, const char *s)
{
	return sl_html_text(out, s ? s : "");
}

int rp_h_rich(sl_buf *out, const char *s)
{
	int rc = 0;
	bool code = false;
	if (!s)
		return 0;
	/* text between backticks is a command or a name: <code>, as in the Markdown variant */
	while (!rc && *s) {
		const char *tick = strchr(s, '`');
		size_t n = tick ? (size_t)(tick - s) : strlen(s);
		char *part = strndup(s, n);
		if (!part)
			return sl_error_nomem();
		rc = sl_html_text(out, part);
		free(part);
		if (!tick)
			break;
		if (!rc && code)
			rc = sl_buf_puts(out, "</code>");
		else if (!rc && strchr(tick + 1, '`'))
			rc = sl_buf_puts(out, "<code>");
		else if (!rc)
			rc = sl_buf_putc(out, '`');
		code = !code && strchr(tick + 1, '`') != NULL;
		s = tick + 1;
	}
	return rc;
}

int rp_h_tag(sl_buf *out, const char *tag, const char *cls, const char *text)
{
	int rc = sl_buf_printf(out, "<%s%s%s%s>", tag, cls ? " class=\"" : "", cls ? cls : "",
			       cls ? "\"" : "");
	if (!rc)
		rc = rp_h_text(out, text);
	return rc ? rc : sl_buf_printf(out, "</%s>", tag);
}

int rp_h_badge(sl_buf *out, const char *status)
{
	return sl_buf_printf(out, "<span class=\"badge s-%s\"><span aria-hidden=\"true\">%s </span>%s</span>",
			     status ? status : RP_UNAVAILABLE, status_symbol(status), rp_status_word(status));
}

int rp_h_caption_table(sl_buf *out, const char *caption, const char *const *heads, size_t n)
{
	int rc = sl_buf_puts(out, "<div class=\"table-wrap\"><table>\n<caption>");
	if (!rc)
		rc = rp_h_text(out, caption);
	if (!rc)
		rc = sl_buf_puts(out, "</caption>\n<thead><tr>");
	for (size_t i = 0; !rc && i < n; i++) {
		rc = sl_buf_puts(out, "<th scope=\"col\">");
		if (!rc)
			rc = rp_h_text(out, heads[i]);
		if (!rc)
			rc = sl_buf_puts(out, "</th>");
	}
	return rc ? rc : sl_buf_puts(out, "</tr></thead>\n<tbody>\n");
}

int rp_h_td(sl_buf *out, const char *text, bool num)
{
	int rc = sl_buf_puts(out, num ? "<td class=\"n\">" : "<td>");
	if (!rc)
		rc = rp_h_text(out, text ? text : "-");
	return rc ? rc : sl_buf_puts(out, "</td>");
}

int rp_h_td_int(sl_buf *out, int64_t v)
{
	return sl_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
}

int rp_h_summary(sl_buf *out, const json_t *section)
{
	int rc = sl_buf_puts(out, "<p class=\"summary\">");
	if (!rc)
		rc = rp_h_badge(out, rp_str(section, "status"));
	if (!rc)
		rc = sl_buf_putc(out, ' ');
	if (!rc)
		rc = rp_h_rich(out, rp_str(section, "summary"));
	return rc ? rc : sl_buf_puts(out, "</p>\n");
}

int rp_fmt_ms(sl_buf *out, double ms)
{
	if (ms < 0)
		return sl_buf_puts(out, "-");
	if (ms < 10)
		return sl_buf_printf(out, "%.1f ms", ms);
	if (ms < 1000)
		return sl_buf_printf(out, "%.0f ms", ms);
	if (ms < 120000)
		return sl_buf_printf(out, "%.1f s", ms / 1000);
	return sl_buf_printf(out, "%.1f min", ms / 60000);
}

/* 'sha256-<base64>' of the stylesheet, for the page's Content-Security-Policy. */
static int style_hash(char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char b64[64];
	if (EVP_Digest(css, strlen(css), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return sl_error_set(SL_ERROR, "hash the report's stylesheet: SHA-256 failed");
	EVP_EncodeBlock((unsigned char *)b64, md, (int)len);
	snprintf(out, n, "'sha256-%s'", b64);
	return 0;
}

static int head(sl_buf *out, const json_t *root)
{
	char hash[80];
	int rc = style_hash(hash, sizeof(hash));
	if (!rc)
		rc = sl_buf_printf(
			out,
			"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			"style-src %s; base-uri 'none'; form-action 'none'\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
			hash);
	if (!rc && rp_str(root, "generator")) {
		rc = sl_buf_puts(out, "<meta name=\"generator\" content=\"");
		if (!rc)
			rc = sl_html_attr(out, rp_str(root, "generator"));
		if (!rc)
			rc = sl_buf_puts(out, "\">\n");
	}
	if (!rc)
		rc = sl_buf_puts(out, "<title>");
	if (!rc)
		rc = rp_h_text(out,
			       rp_is(json_object_get(root, "verdict"), "verdict", "GO") ? "GO" : "NO-GO");
	if (!rc)
		rc = sl_buf_puts(out, ": migration report of ");
	if (!rc)
		rc = rp_h_text(out, rp_str(root, "title"));
	if (!rc)
		rc = sl_buf_printf(out, "</title>\n<style>%s</style>\n</head>\n", css);
	return rc;
}

static int header(sl_buf *out, const json_t *root)
{
	int rc = sl_buf_puts(out, "<body>\n<a class=\"skip\" href=\"#verdict\">Skip to the verdict</a>\n"
				  "<div class=\"wrap\">\n<header>\n<h1>Migration report: ");
	if (!rc)
		rc = rp_h_text(out, rp_str(root, "title"));
	if (!rc)
		rc = sl_buf_puts(out, "</h1>\n<p class=\"meta\">Database <strong>");
	if (!rc)
		rc = rp_h_text(out, rp_str(root, "environment"));
	if (!rc && rp_str(root, "engine")) {
		rc = sl_buf_puts(out, "</strong> (");
		if (!rc)
			rc = rp_h_text(out, rp_str(root, "engine"));
		if (!rc)
			rc = sl_buf_puts(out, ")");
	} else if (!rc) {
		rc = sl_buf_puts(out, "</strong>");
	}
	if (!rc)
		rc = sl_buf_puts(out, " &middot; as of ");
	if (!rc && rp_str(root, "as_of")) {
		rc = sl_buf_puts(out, "<time>");
		if (!rc)
			rc = rp_h_text(out, rp_str(root, "as_of"));
		if (!rc)
			rc = sl_buf_puts(out, rp_is(root, "as_of_from", "given")
						      ? "</time>"
						      : "</time> (the newest record)");
	} else if (!rc) {
		rc = sl_buf_puts(out, "no record yet");
	}
	if (!rc)
		rc = sl_buf_puts(out, "</p>\n<p class=\"meta\">Evidence from the state store ");
	if (!rc)
		rc = rp_h_tag(out, "code", NULL,
			      rp_str(root, "state_store") ? rp_str(root, "state_store") : "-");
	if (!rc && !json_is_true(json_object_get(root, "state_store_found")))
		rc = sl_buf_puts(out, ", which does not exist yet: nothing has been recorded");
	return rc ? rc : sl_buf_puts(out, ".</p>\n</header>\n");
}

static int nav(sl_buf *out, const json_t *sections)
{
	size_t n = 0;
	const rp_source *src = rp_sources(&n);
	int rc = sl_buf_puts(out, "<nav aria-label=\"Contents\">\n<h2 id=\"contents-h\">Contents</h2>\n<ol>\n"
				  "<li><a href=\"#verdict\">Verdict</a></li>\n");
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *s = json_object_get(sections, src[i].key);
		rc = sl_buf_printf(out, "<li><a href=\"#%s\">", src[i].key);
		if (!rc)
			rc = rp_h_text(out, src[i].title);
		if (!rc)
			rc = sl_buf_puts(out, "</a> ");
		if (!rc)
			rc = rp_h_badge(out, rp_str(s, "status"));
		if (!rc)
			rc = sl_buf_puts(out, "</li>\n");
	}
	return rc ? rc
		  : sl_buf_puts(out, "<li><a href=\"#data\">Data for programs</a></li>\n</ol>\n</nav>\n");
}

/* A list of verdict items under a heading (nothing when empty). */
static int items(sl_buf *out, const char *heading, const json_t *list)
{
	size_t i;
	json_t *it;
	int rc = 0;
	if (!json_array_size(list))
		return 0;
	rc = sl_buf_printf(out, "<h3>%s</h3>\n<ul>\n", heading);
	json_array_foreach(list, i, it)
	{
		if (rc)
			break;
		rc = sl_buf_printf(out, "<li><a href=\"#%s\">", rp_str(it, "section"));
		if (!rc)
			rc = rp_h_text(out, rp_str(it, "title"));
		if (!rc)
			rc = sl_buf_puts(out, "</a>: ");
		if (!rc)
			rc = rp_h_rich(out, rp_str(it, "text"));
		if (!rc)
			rc = sl_buf_puts(out, "</li>\n");
	}
	return rc ? rc : sl_buf_puts(out, "</ul>\n");
}

static int verdict(sl_buf *out, const json_t *root)
{
	const json_t *v = json_object_get(root, "verdict"), *sections = json_object_get(root, "sections");
	bool go = rp_is(v, "verdict", "GO");
	size_t nred = json_array_size(json_object_get(v, "red"));
	size_t n = 0;
	const rp_source *src = rp_sources(&n);
	int rc = sl_buf_printf(out,
			       "<main>\n<section id=\"verdict\" aria-labelledby=\"verdict-h\">\n"
			       "<h2 id=\"verdict-h\">Verdict</h2>\n<div class=\"verdict %s\">\n"
			       "<p class=\"word\">%s</p>\n<p>",
			       go ? "go" : "nogo", go ? "GO" : "NO-GO");
	if (!rc && go)
		rc = sl_buf_puts(out, "Nothing is red: every required check was run and passed.");
	else if (!rc)
		rc = sl_buf_printf(out, "%zu %s red: %s.", nred, nred == 1 ? "area is" : "areas are",
				   "nobody should sign off until it is resolved, or explained in writing");
	if (!rc)
		rc = sl_buf_puts(out, "</p>\n");
	if (!rc)
		rc = items(out, "What is red", json_object_get(v, "red"));
	if (!rc)
		rc = items(out, "Warnings", json_object_get(v, "amber"));
	if (!rc)
		rc = items(out, "Not run yet", json_object_get(v, "not_run"));
	if (!rc)
		rc = sl_buf_puts(out, "</div>\n");
	static const char *const heads[] = { "Area", "Status", "What the evidence says" };
	if (!rc)
		rc = rp_h_caption_table(out, "Every area at a glance", heads, 3);
	for (size_t i = 0; !rc && i < n; i++) {
		const json_t *s = json_object_get(sections, src[i].key);
		rc = sl_buf_printf(out, "<tr><th scope=\"row\"><a href=\"#%s\">", src[i].key);
		if (!rc)
			rc = rp_h_text(out, src[i].title);
		if (!rc)
			rc = sl_buf_puts(out, "</a></th><td>");
		if (!rc)
			rc = rp_h_badge(out, rp_str(s, "status"));
		if (!rc)
			rc = sl_buf_puts(out, "</td>");
		if (!rc)
			rc = sl_buf_puts(out, "<td>");
		if (!rc)
			rc = rp_h_rich(out, rp_str(s, "summary"));
		if (!rc)
			rc = sl_buf_puts(out, "</td></tr>\n");
	}
	return rc ? rc : sl_buf_puts(out, "</tbody></table></div>\n</section>\n");
}

static int section(sl_buf *out, const rp_source *src, const json_t *s)
{
	int rc = sl_buf_printf(out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">",
			       src->key, src->key, src->key);
	if (!rc)
		rc = rp_h_text(out, src->title);
	if (!rc)
		rc = sl_buf_puts(out, "</h2>\n");
	if (!rc)
		rc = rp_h_summary(out, s);
	if (!rc && !strcmp(src->key, "map"))
		rc = rp_html_map(out, s);
	else if (!rc)
		rc = rp_html_runs(out, src->key, s);
	return rc ? rc : sl_buf_puts(out, "</section>\n");
}

static int data(sl_buf *out, const json_t *root)
{
	char *json = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!json)
		return sl_error_nomem();
	int rc =
		sl_buf_puts(out, "<section id=\"data\" aria-labelledby=\"data-h\">\n"
				 "<h2 id=\"data-h\">Data for programs</h2>\n"
				 "<p>Everything on this page is embedded in it as JSON (format "
				 "<code>sluice-report/1</code>) in the <code>script</code> element "
				 "<code>sluice-report-data</code>; <code>sluice report --format json</code> "
				 "prints the same document.</p>\n</section>\n</main>\n<footer>\n<p>Made by ");
	if (!rc)
		rc = rp_h_text(out, rp_str(root, "generator") ? rp_str(root, "generator") : "sluice");
	if (!rc)
		rc = sl_buf_puts(out, ". The page runs no script and loads nothing from the network.</p>\n"
				      "</footer>\n</div>\n"
				      "<script type=\"application/json\" id=\"sluice-report-data\">");
	if (!rc)
		rc = sl_html_json(out, json);
	if (!rc)
		rc = sl_buf_puts(out, "</script>\n</body>\n</html>\n");
	free(json);
	return rc;
}

int sl_report_html(sl_buf *out, const sl_report *r)
{
	const json_t *root = r->root, *sections = json_object_get(root, "sections");
	size_t n = 0;
	const rp_source *src = rp_sources(&n);
	int rc = head(out, root);
	if (!rc)
		rc = header(out, root);
	if (!rc)
		rc = nav(out, sections);
	if (!rc)
		rc = verdict(out, root);
	for (size_t i = 0; !rc && i < n; i++)
		rc = section(out, &src[i], json_object_get(sections, src[i].key));
	return rc ? rc : data(out, root);
}
