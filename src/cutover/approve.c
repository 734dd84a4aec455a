/*
 * approve.c - approval steps: the evidence an approver signs, its digest,
 * waiting for the named roles, and `sluice cutover approve`.
 *
 * The evidence is what the run has measured so far: every completed gate's
 * figures (rules, discrepancies, lag, shadow differences, the rehearsal it
 * matched), with the run's id and the runbook's digest, as JSON with sorted
 * keys; its digest is the SHA-256 of that text. An approval is recorded with
 * the digest of the evidence shown when it was given, and the run counts
 * only approvals of the digest it computes itself: figures measured again
 * (a resumed run that re-ran a gate) or another run make a new digest, and
 * earlier approvals no longer count. Each role of the step needs its own
 * person: one name cannot fill two roles of one step.
 */
#include "cutover_int.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "sluice/error.h"

const char *co_os_user(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return u;
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

int co_evidence(co_ctx *x, const char *step, char **out, char digest[72])
{
	sl_journal *j = NULL;
	*out = NULL;
	int rc = sl_journal_load(&j, x->st, x->run_id);
	if (rc)
		return rc;
	json_t *o = json_object(), *gates = json_object(), *rehearsal = json_null();
	json_object_set_new(o, "runbook", json_string(x->rb->name));
	json_object_set_new(o, "runbook_digest", json_string(j->run.digest ? j->run.digest : ""));
	json_object_set_new(o, "run", json_integer(x->run_id));
	json_object_set_new(o, "step", json_string(step));
	/* the latest completed attempt of every gated step before this one */
	for (size_t i = 0; i < j->nsteps; i++) {
		const sl_journal_step *s = &j->steps[i];
		if (strcmp(s->step, step) == 0)
			break;
		if (strcmp(s->status, "done") != 0 || !s->gate || strcmp(s->type, "approve") == 0)
			continue;
		json_t *g = json_object(), *fig = s->figures ? json_loads(s->figures, 0, NULL) : NULL;
		json_object_set_new(g, "type", json_string(s->type));
		json_object_set_new(g, "gate", json_string(s->gate));
		json_object_set_new(g, "figures", fig ? fig : json_null());
		json_t *rid = fig ? json_object_get(fig, "rehearsal_id") : NULL;
		if (rid && json_is_integer(rid)) {
			json_decref(rehearsal);
			rehearsal = json_incref(rid);
		}
		json_object_set_new(gates, s->step, g);
	}
	json_object_set_new(o, "rehearsal_id", rehearsal);
	json_object_set_new(o, "gates", gates);
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	sl_journal_free(j);
	if (!text)
		return sl_error_nomem();
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)text, strlen(text), md);
	int off = snprintf(digest, 72, "sha256:");
	for (size_t i = 0; i < sizeof(md) && off < 71; i++)
		off += snprintf(digest + off, (size_t)(72 - off), "%02x", md[i]);
	*out = text;
	return 0;
}

static const sl_rb_role *role_of(const sl_runbook *rb, const char *name)
{
	for (size_t i = 0; i < rb->nroles; i++)
		if (strcmp(rb->roles[i].name, name) == 0)
			return &rb->roles[i];
	return NULL;
}

static bool member(const sl_rb_role *r, const char *name)
{
	for (size_t i = 0; r && i < r->nmembers; i++)
		if (strcmp(r->members[i], name) == 0)
			return true;
	return false;
}

/* The approval of role for step under digest in j, or NULL. */
static const sl_journal_approval *approval_for(const sl_journal *j, const char *step, const char *digest,
					       const char *role)
{
	for (size_t i = 0; i < j->napprovals; i++) {
		const sl_journal_approval *a = &j->approvals[i];
		if (strcmp(a->step, step) == 0 && strcmp(a->digest, digest) == 0 &&
		    strcmp(a->role, role) == 0)
			return a;
	}
	return NULL;
}

/* "dba (ana, bo) and owner (carla)" */
static void roles_text(sl_buf *b, const sl_runbook *rb, const char *const *roles, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const sl_rb_role *r = role_of(rb, roles[i]);
		sl_buf_printf(b, "%s%s (", i == 0 ? "" : i + 1 == n ? " and " : ", ", roles[i]);
		for (size_t k = 0; r && k < r->nmembers; k++)
			sl_buf_printf(b, "%s%s", k ? ", " : "", r->members[k]);
		sl_buf_putc(b, ')');
	}
}

int co_approve_step(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *waiting, bool *ok,
		    sl_buf *why)
{
	char digest[72];
	char *evidence = NULL;
	bool asked = false;
	double t0 = co_mono(), limit = s->timeout_s > 0 ? s->timeout_s : x->rb->approval_timeout_s;
	(void)pi;
	*waiting = false;
	*ok = false;
	int rc = co_evidence(x, s->id, &evidence, digest);
	if (!rc)
		rc = sl_journal_request_add(x->st, x->run_id, s->id, digest, evidence);
	json_object_set_new(fig, "digest", json_string(digest));
	while (!rc) {
		sl_journal *j = NULL;
		sl_buf missing = SL_BUF_INIT;
		const char *miss[32];
		size_t nmiss = 0;
		json_t *arr = json_array();
		if ((rc = sl_journal_load(&j, x->st, x->run_id)) != 0)
			break;
		for (size_t i = 0; i < s->nroles; i++) {
			const sl_journal_approval *a = approval_for(j, s->id, digest, s->roles[i]);
			if (!a) {
				if (nmiss < 32)
					miss[nmiss++] = s->roles[i];
				continue;
			}
			json_t *o = json_object();
			json_object_set_new(o, "role", json_string(a->role));
			json_object_set_new(o, "name", json_string(a->name));
			json_object_set_new(o, "at", json_string(a->approved_at));
			if (a->note)
				json_object_set_new(o, "note", json_string(a->note));
			json_array_append_new(arr, o);
		}
		sl_journal_free(j);
		json_object_set_new(fig, "approvals", arr);
		roles_text(&missing, x->rb, miss, nmiss);
		if (nmiss == 0 || x->dry) {
			if (x->dry && nmiss)
				json_object_set_new(fig, "simulated", json_string(sl_buf_cstr(&missing)));
			*ok = true;
			sl_buf_free(&missing);
			break;
		}
		if (!asked) {
			json_t *d = json_object();
			json_object_set_new(d, "digest", json_string(digest));
			json_object_set_new(d, "roles", json_string(sl_buf_cstr(&missing)));
			json_object_set_new(d, "evidence", json_loads(evidence, 0, NULL));
			char *ds = json_dumps(d, JSON_COMPACT);
			co_event(x, SL_CO_EV_APPROVAL_NEEDED, s->id, ds,
				 "approval needed: %s by %s; `sluice cutover approve %s --as NAME --note "
				 "TEXT`",
				 s->id, sl_buf_cstr(&missing), s->id);
			free(ds);
			json_decref(d);
			asked = true;
		}
		if (x->o->no_wait) {
			*waiting = true;
			sl_buf_free(&missing);
			break;
		}
		if (limit > 0 && co_mono() - t0 > limit) {
			sl_buf_printf(why, "no approval by %s within %.0fs", sl_buf_cstr(&missing), limit);
			sl_buf_free(&missing);
			break;
		}
		sl_buf_free(&missing);
		if (co_cancelled(x)) {
			rc = sl_error_set(SL_EINTERRUPTED, "interrupted while waiting for approval of \"%s\"",
					  s->id);
			break;
		}
		co_nap(0.5);
	}
	free(evidence);
	return rc;
}

/* The role name approves as: role when given and name holds it, else the first of the step's that name holds.
 */
static int choose_role(const char **chosen, const sl_runbook *rb, const sl_rb_step *s, const char *step,
		       const char *name, const char *role)
{
	int rc = 0;
	*chosen = NULL;
	if (role) {
		bool in = false;
		for (size_t i = 0; i < s->nroles; i++)
			in = in || strcmp(s->roles[i], role) == 0;
		if (in && member(role_of(rb, role), name))
			*chosen = role;
	}
	for (size_t i = 0; !*chosen && !role && i < s->nroles; i++)
		if (member(role_of(rb, s->roles[i]), name))
			*chosen = s->roles[i]; /* refined below: the first one still open */
	if (!*chosen) {
		sl_buf b = SL_BUF_INIT;
		roles_text(&b, rb, s->roles, s->nroles);
		rc = sl_error_set(SL_EREFUSED, "\"%s\" may not approve \"%s\"%s%s%s: it needs %s", name, step,
				  role ? " as \"" : "", role ? role : "", role ? "\"" : "", sl_buf_cstr(&b));
		sl_buf_free(&b);
		return rc;
	}
	return rc;
}

/* The evidence is what the run asked about and what the approver reviewed, and not approved by name yet. */
static int check_fresh(const sl_journal *j, const sl_journal_request *req, const char *step, const char *name,
		       const char *role, const char *chosen, const char *digest, const char *digest_seen)
{
	int rc = 0;
	if (strcmp(digest, req->digest) != 0) {
		rc = sl_error_set(SL_ECONFLICT,
				  "the evidence of \"%s\" changed since the run asked for approval (it "
				  "measured again): "
				  "wait for the run to ask again, then review it",
				  step);
		return rc;
	}
	if (digest_seen && strcmp(digest_seen, digest) != 0) {
		rc = sl_error_set(
			SL_ECONFLICT,
			"the evidence of \"%s\" is now %s, not the %s you reviewed: review it again", step,
			digest, digest_seen);
		return rc;
	}
	for (size_t i = 0; i < j->napprovals; i++) {
		const sl_journal_approval *a = &j->approvals[i];
		if (strcmp(a->step, step) != 0 || strcmp(a->digest, digest) != 0 ||
		    strcmp(a->name, name) != 0)
			continue;
		rc = sl_error_set(strcmp(a->role, chosen) == 0 || !role ? SL_ECONFLICT : SL_EREFUSED,
				  "\"%s\" already approved \"%s\" as %s for this evidence%s", name, step,
				  a->role,
				  strcmp(a->role, chosen) == 0 ? "" : ": each role needs its own person");
		return rc;
	}
	return rc;
}

/* The evidence, pretty-printed when it is JSON. */
static void print_evidence(sl_buf *out, const char *evidence)
{
	json_t *e = json_loads(evidence, 0, NULL);
	char *pretty = e ? json_dumps(e, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	sl_buf_puts(out, pretty ? pretty : evidence);
	free(pretty);
	json_decref(e);
}

int sl_cutover_approve(const sl_cutover_opts *o, const char *step, const char *name, const char *role,
		       const char *note, const char *digest_seen, sl_buf *evidence_out, char *digest_out)
{
	const sl_runbook *rb = o->rb;
	const sl_rb_phase *phase = NULL;
	const sl_rb_step *s = sl_runbook_find_step(rb, step, &phase);
	co_ctx x = { .o = o, .rb = rb, .st = o->state, .phase = SIZE_MAX };
	sl_journal *j = NULL;
	char digest[72];
	char *evidence = NULL;
	const char *chosen = NULL;
	int rc = 0;
	pthread_mutex_init(&x.connect_mu, NULL);
	if (!s || s->type != SL_STEP_APPROVE) {
		rc = sl_error_set(s ? SL_EINVALID : SL_ENOTFOUND,
				  "runbook \"%s\" has no approval step \"%s\"%s%s", rb->name, step,
				  s ? ": it is a " : "", s ? sl_step_type_name(s->type) : "");
		goto done;
	}
	step = s->id;
	if ((rc = choose_role(&chosen, rb, s, step, name, role)) != 0)
		goto done;
	if ((rc = sl_journal_run_find(o->state, rb->name, false, &x.run_id)) != 0)
		goto done;
	if (x.run_id)
		rc = sl_journal_load(&j, o->state, x.run_id);
	if (!rc && (!j || j->run.finished_at)) {
		rc = sl_error_set(SL_ENOTFOUND, "no run of runbook \"%s\" is under way: nothing to approve",
				  rb->name);
		goto done;
	}
	const sl_journal_request *req = NULL;
	for (size_t i = 0; !rc && i < j->nrequests; i++)
		if (strcmp(j->requests[i].step, step) == 0)
			req = &j->requests[i];
	if (!rc && !req) {
		rc = sl_error_set(SL_ENOTFOUND, "run %lld has not reached \"%s\" yet: nothing to approve",
				  (long long)x.run_id, step);
		goto done;
	}
	if (!rc)
		rc = co_evidence(&x, step, &evidence, digest);
	if (rc)
		goto done;
	if ((rc = check_fresh(j, req, step, name, role, chosen, digest, digest_seen)) != 0)
		goto done;
	if (!role) {
		/* the first of name's roles nobody has filled yet */
		for (size_t i = 0; i < s->nroles; i++)
			if (member(role_of(rb, s->roles[i]), name) &&
			    !approval_for(j, step, digest, s->roles[i])) {
				chosen = s->roles[i];
				break;
			}
	}
	const sl_journal_approval *by = approval_for(j, step, digest, chosen);
	if (by) {
		rc = sl_error_set(SL_ECONFLICT, "role %s of \"%s\" is already approved by %s", chosen, step,
				  by->name);
		goto done;
	}
	sl_journal_approval a = { .step = step,
				  .name = name,
				  .role = chosen,
				  .note = note,
				  .digest = digest,
				  .os_user = co_os_user() };
	if ((rc = sl_journal_approval_add(o->state, x.run_id, &a)) != 0)
		goto done;
	co_event(&x, SL_CO_EV_APPROVED, step, NULL, "%s approved %s as %s%s%s", name, step, chosen,
		 note ? ": " : "", note ? note : "");
	if (evidence_out)
		print_evidence(evidence_out, evidence);
	if (digest_out)
		snprintf(digest_out, 72, "%s", digest);
done:
	free(evidence);
	sl_journal_free(j);
	pthread_mutex_destroy(&x.connect_mu);
	return rc;
}
