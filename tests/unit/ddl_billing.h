/*
 * ddl_billing.h - builds the realistic billing schema
 * (tests/fixtures/realistic/<engine>.sql) as a model in C, the way each engine's
 * introspection reports it, for the cast and DDL tests. Header-only: the
 * unit and integration tests include it. Customers, subscriptions, invoices,
 * invoice_items, payments, audit_log, the customer_balances view and the
 * payments_audit trigger (its body only where the engine keeps no more).
 */
#ifndef SLUICE_TEST_DDL_BILLING_H
#define SLUICE_TEST_DDL_BILLING_H

#include "sluice/schema.h"

#include <stdio.h>
#include <string.h>

typedef struct billing_col {
	const char *name;
	sl_tkind kind;
	int len_or_prec, scale;
	bool not_null;
	const char *pg_default, *my_default, *sq_default;
} billing_col;

static const char *billing_decl(sl_engine e, const billing_col *c, char *buf, size_t cap)
{
	switch (c->kind) {
	case SL_T_INT64:
		return e == SL_ENGINE_SQLITE ? "BIGINT" : e == SL_ENGINE_MYSQL ? "bigint(20)" : "bigint";
	case SL_T_INT32:
		return e == SL_ENGINE_SQLITE ? "INTEGER" : e == SL_ENGINE_MYSQL ? "int(11)" : "integer";
	case SL_T_BOOL:
		return e == SL_ENGINE_MYSQL ? "tinyint(1)" : e == SL_ENGINE_SQLITE ? "BOOLEAN" : "boolean";
	case SL_T_UUID:
		return e == SL_ENGINE_SQLITE ? "UUID" : "uuid";
	case SL_T_TEXT:
		return e == SL_ENGINE_SQLITE ? "TEXT" : "text";
	case SL_T_DATE:
		return e == SL_ENGINE_SQLITE ? "DATE" : "date";
	case SL_T_JSON:
		return e == SL_ENGINE_POSTGRES ? "jsonb" : e == SL_ENGINE_SQLITE ? "JSON" : "longtext";
	case SL_T_TIMESTAMP:
		return e == SL_ENGINE_POSTGRES ? "timestamp without time zone"
		       : e == SL_ENGINE_MYSQL  ? "datetime"
					       : "TIMESTAMP";
	case SL_T_VARCHAR:
		snprintf(buf, cap,
			 e == SL_ENGINE_POSTGRES ? "character varying(%d)"
			 : e == SL_ENGINE_MYSQL  ? "varchar(%d)"
						 : "VARCHAR(%d)",
			 c->len_or_prec);
		return buf;
	case SL_T_CHAR:
		snprintf(buf, cap,
			 e == SL_ENGINE_POSTGRES ? "character(%d)"
			 : e == SL_ENGINE_MYSQL  ? "char(%d)"
						 : "CHAR(%d)",
			 c->len_or_prec);
		return buf;
	case SL_T_DECIMAL:
		snprintf(buf, cap,
			 e == SL_ENGINE_POSTGRES ? "numeric(%d,%d)"
			 : e == SL_ENGINE_MYSQL  ? "decimal(%d,%d)"
						 : "DECIMAL(%d,%d)",
			 c->len_or_prec, c->scale);
		return buf;
	default:
		return "text";
	}
}

static sl_table *billing_table(sl_schema *s, const char *name, const billing_col *cols, size_t n)
{
	sl_table *t = sl_schema_add_table(s, s->engine == SL_ENGINE_POSTGRES ? "public" : NULL, name);
	char buf[64];
	sl_column *id = sl_table_add_column(s, t, "id");
	id->type.kind = SL_T_INT64;
	id->decl_type = sl_schema_strdup(s, s->engine == SL_ENGINE_SQLITE  ? "INTEGER"
					    : s->engine == SL_ENGINE_MYSQL ? "bigint(20)"
									   : "bigint");
	id->nullable = false;
	id->identity = true;
	t->primary_key = sl_arena_calloc(s->arena, 1, sizeof(sl_key));
	t->primary_key->name = s->engine == SL_ENGINE_POSTGRES ? sl_schema_strdup(s, "x_pkey") : NULL;
	if (s->engine == SL_ENGINE_POSTGRES) {
		char pk[80];
		snprintf(pk, sizeof(pk), "%s_pkey", name);
		t->primary_key->name = sl_schema_strdup(s, pk);
	}
	sl_schema_strlist_add(s, &t->primary_key->columns, &t->primary_key->ncolumns, "id");
	for (size_t i = 0; i < n; i++) {
		sl_column *c = sl_table_add_column(s, t, cols[i].name);
		c->type.kind = cols[i].kind;
		if (cols[i].kind == SL_T_VARCHAR || cols[i].kind == SL_T_CHAR)
			c->type.length = cols[i].len_or_prec;
		if (cols[i].kind == SL_T_DECIMAL) {
			c->type.precision = cols[i].len_or_prec;
			c->type.scale = cols[i].scale;
		}
		if (cols[i].kind == SL_T_TIMESTAMP && s->engine == SL_ENGINE_MYSQL)
			c->type.precision = 0;
		c->decl_type = sl_schema_strdup(s, billing_decl(s->engine, &cols[i], buf, sizeof(buf)));
		c->nullable = !cols[i].not_null;
		const char *d = s->engine == SL_ENGINE_POSTGRES ? cols[i].pg_default
				: s->engine == SL_ENGINE_MYSQL  ? cols[i].my_default
								: cols[i].sq_default;
		c->default_expr = sl_schema_strdup(s, d);
	}
	return t;
}

static void billing_unique(sl_schema *s, sl_table *t, const char *name, const char *c1, const char *c2)
{
	sl_key *k = sl_table_add_unique(s, t, name);
	sl_schema_strlist_add(s, &k->columns, &k->ncolumns, c1);
	if (c2)
		sl_schema_strlist_add(s, &k->columns, &k->ncolumns, c2);
}

static void billing_fk(sl_schema *s, sl_table *t, const char *name, const char *col, const char *ref,
		       sl_fk_action del)
{
	sl_fkey *f = sl_table_add_fkey(s, t, name);
	size_t n = 0;
	sl_schema_strlist_add(s, &f->columns, &f->ncolumns, col);
	sl_schema_strlist_add(s, &f->ref_columns, &n, "id");
	f->ref_table = sl_schema_strdup(s, ref);
	f->on_delete = del;
}

/* The check as each engine stores it. */
static void billing_check(sl_schema *s, sl_table *t, const char *name, const char *pg, const char *my,
			  const char *sq)
{
	sl_table_add_check(s, t, name,
			   s->engine == SL_ENGINE_POSTGRES ? pg
			   : s->engine == SL_ENGINE_MYSQL  ? my
							   : sq);
}

static sl_schema *billing_model(sl_engine e)
{
	sl_schema *s = NULL;
	if (sl_schema_new(&s, e))
		return NULL;
	static const billing_col customers[] = {
		{ "public_id", SL_T_UUID, 0, 0, true, NULL, NULL, NULL },
		{ "email", SL_T_VARCHAR, 255, 0, true, NULL, NULL, NULL },
		{ "name", SL_T_VARCHAR, 200, 0, true, NULL, NULL, NULL },
		{ "country", SL_T_CHAR, 2, 0, false, NULL, NULL, NULL },
		{ "is_vip", SL_T_BOOL, 0, 0, true, "false", "0", "0" },
		{ "status", SL_T_VARCHAR, 20, 0, true, "'active'::character varying", "'active'",
		  "'active'" },
		{ "created_at", SL_T_TIMESTAMP, 0, 0, true, "CURRENT_TIMESTAMP", "current_timestamp()",
		  "CURRENT_TIMESTAMP" },
	};
	static const billing_col subscriptions[] = {
		{ "customer_id", SL_T_INT64, 0, 0, true, NULL, NULL, NULL },
		{ "plan", SL_T_VARCHAR, 50, 0, true, NULL, NULL, NULL },
		{ "seats", SL_T_INT32, 0, 0, true, NULL, NULL, NULL },
		{ "started_on", SL_T_DATE, 0, 0, true, NULL, NULL, NULL },
		{ "ends_on", SL_T_DATE, 0, 0, false, NULL, NULL, NULL },
	};
	static const billing_col invoices[] = {
		{ "customer_id", SL_T_INT64, 0, 0, true, NULL, NULL, NULL },
		{ "subscription_id", SL_T_INT64, 0, 0, false, NULL, NULL, NULL },
		{ "number", SL_T_VARCHAR, 32, 0, true, NULL, NULL, NULL },
		{ "issued_on", SL_T_DATE, 0, 0, true, NULL, NULL, NULL },
		{ "due_on", SL_T_DATE, 0, 0, false, NULL, NULL, NULL },
		{ "total", SL_T_DECIMAL, 12, 2, true, "0", "0.00", "0" },
		{ "currency", SL_T_CHAR, 3, 0, true, "'USD'::bpchar", "'USD'", "'USD'" },
		{ "status", SL_T_VARCHAR, 16, 0, true, NULL, NULL, NULL },
	};
	static const billing_col items[] = {
		{ "invoice_id", SL_T_INT64, 0, 0, true, NULL, NULL, NULL },
		{ "description", SL_T_TEXT, 0, 0, true, NULL, NULL, NULL },
		{ "quantity", SL_T_INT32, 0, 0, true, NULL, NULL, NULL },
		{ "unit_price", SL_T_DECIMAL, 12, 2, true, NULL, NULL, NULL },
		{ "amount", SL_T_DECIMAL, 12, 2, true, NULL, NULL, NULL },
	};
	static const billing_col payments[] = {
		{ "invoice_id", SL_T_INT64, 0, 0, true, NULL, NULL, NULL },
		{ "amount", SL_T_DECIMAL, 12, 2, true, NULL, NULL, NULL },
		{ "paid_at", SL_T_TIMESTAMP, 0, 0, true, NULL, NULL, NULL },
		{ "method", SL_T_VARCHAR, 20, 0, true, NULL, NULL, NULL },
		{ "reference", SL_T_VARCHAR, 64, 0, false, NULL, NULL, NULL },
	};
	static const billing_col audit[] = {
		{ "table_name", SL_T_VARCHAR, 64, 0, true, NULL, NULL, NULL },
		{ "row_id", SL_T_INT64, 0, 0, true, NULL, NULL, NULL },
		{ "action", SL_T_VARCHAR, 10, 0, true, NULL, NULL, NULL },
		{ "changed_at", SL_T_TIMESTAMP, 0, 0, true, "CURRENT_TIMESTAMP", "current_timestamp()",
		  "CURRENT_TIMESTAMP" },
		{ "payload", SL_T_JSON, 0, 0, false, NULL, NULL, NULL },
	};
#define N(a) (sizeof(a) / sizeof((a)[0]))
	sl_table *t = billing_table(s, "customers", customers, N(customers));
	billing_unique(s, t, "customers_email_key", "email", NULL);
	billing_check(s, t, "customers_status_check",
		      "((status)::text = ANY ((ARRAY['active'::character varying, 'suspended'::character "
		      "varying, 'closed'::character varying])::text[]))",
		      "`status` in ('active','suspended','closed')",
		      "status IN ('active', 'suspended', 'closed')");

	t = billing_table(s, "subscriptions", subscriptions, N(subscriptions));
	billing_unique(s, t, "subscriptions_customer_plan_key", "customer_id", "plan");
	billing_check(s, t, "subscriptions_seats_check", "(seats > 0)", "`seats` > 0", "seats > 0");
	billing_fk(s, t, "fk_subscriptions_customer", "customer_id", "customers", SL_FK_CASCADE);

	t = billing_table(s, "invoices", invoices, N(invoices));
	billing_unique(s, t, "invoices_number_key", "number", NULL);
	billing_check(s, t, "invoices_total_check", "(total >= (0)::numeric)", "`total` >= 0", "total >= 0");
	billing_fk(s, t, "fk_invoices_customer", "customer_id", "customers", SL_FK_RESTRICT);
	billing_fk(s, t, "fk_invoices_subscription", "subscription_id", "subscriptions", SL_FK_SET_NULL);
	sl_index *ix = sl_table_add_index(s, t, "invoices_customer_issued_idx");
	sl_schema_strlist_add(s, &ix->columns, &ix->ncolumns, "customer_id");
	sl_schema_strlist_add(s, &ix->columns, &ix->ncolumns, "issued_on");

	t = billing_table(s, "invoice_items", items, N(items));
	billing_check(s, t, "invoice_items_quantity_check", "(quantity > 0)", "`quantity` > 0",
		      "quantity > 0");
	billing_fk(s, t, "fk_invoice_items_invoice", "invoice_id", "invoices", SL_FK_CASCADE);

	t = billing_table(s, "payments", payments, N(payments));
	billing_unique(s, t, "payments_reference_key", "reference", NULL);
	billing_check(s, t, "payments_amount_check", "(amount > (0)::numeric)", "`amount` > 0", "amount > 0");
	billing_fk(s, t, "fk_payments_invoice", "invoice_id", "invoices", SL_FK_NO_ACTION);

	billing_table(s, "audit_log", audit, N(audit));
#undef N
	sl_view *v = sl_schema_add_view(s, NULL, "customer_balances");
	v->definition = sl_schema_strdup(
		s, "SELECT c.id AS customer_id, c.email AS email, SUM(i.total) AS billed\n"
		   "  FROM customers c JOIN invoices i ON i.customer_id = c.id\n  GROUP BY c.id, c.email");
	sl_view_add_read(s, v, NULL, "customers", NULL);
	sl_view_add_read(s, v, NULL, "invoices", NULL);
	sl_trigger *tr = sl_schema_add_trigger(s, NULL, "payments_audit");
	tr->table = sl_schema_strdup(s, "payments");
	tr->timing = "AFTER";
	tr->events = "INSERT";
	tr->for_each_row = true;
	tr->definition = sl_schema_strdup(
		s, e == SL_ENGINE_SQLITE
			   ? "CREATE TRIGGER payments_audit AFTER INSERT ON payments\nFOR EACH ROW BEGIN\n"
			     "  INSERT INTO audit_log (table_name, row_id, action) VALUES ('payments', "
			     "NEW.id, 'insert');\nEND"
		   : e == SL_ENGINE_MYSQL
			   ? "CREATE TRIGGER payments_audit AFTER INSERT ON payments\nFOR EACH ROW\n"
			     "  INSERT INTO audit_log (table_name, row_id, action) VALUES ('payments', "
			     "NEW.id, 'insert')"
			   : "CREATE TRIGGER payments_audit AFTER INSERT ON public.payments FOR EACH ROW "
			     "EXECUTE FUNCTION payments_audit_fn()");
	if (e == SL_ENGINE_POSTGRES) {
		for (size_t i = 0; i < s->ntables; i++) {
			sl_sequence *q = sl_schema_add_sequence(s, "public", "seq");
			char n[80];
			snprintf(n, sizeof(n), "%s_id_seq", s->tables[i].name);
			q->name = sl_schema_strdup(s, n);
			q->owned_by_table = s->tables[i].name;
			q->owned_by_column = "id";
			q->last_value = i == 0 ? 42 : 0;
		}
	}
	return s;
}

#endif
