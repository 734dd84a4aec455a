-- id: 20260301090000
-- title: Initial billing schema
-- ticket: BILL-100
-- pr: https://git.example.com/acme/billing/pull/100
-- author: Ana Ruiz <ana@example.com>
-- why: The billing data moves out of the monolith into its own database:
--   customers, subscriptions, invoices and their items, payments, and an
--   audit log written by a trigger on payments.
-- rollback: Drops every billing table. Only safe before go-live: afterwards
--   restore from the last backup instead.
-- domain: billing
-- The generic sections are SQLite's (the example database is SQLite); the
-- postgres and mysql variants make the same schema on those engines.

-- +sluice up
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  public_id UUID NOT NULL,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(200) NOT NULL,
  country CHAR(2),
  is_vip BOOLEAN NOT NULL DEFAULT 0,
  status VARCHAR(20) NOT NULL DEFAULT 'active',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT customers_email_key UNIQUE (email),
  CONSTRAINT customers_status_check CHECK (status IN ('active', 'suspended', 'closed'))
);
CREATE TABLE subscriptions (
  id INTEGER PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  plan VARCHAR(50) NOT NULL,
  seats INTEGER NOT NULL,
  started_on DATE NOT NULL,
  ends_on DATE,
  CONSTRAINT subscriptions_customer_plan_key UNIQUE (customer_id, plan),
  CONSTRAINT subscriptions_seats_check CHECK (seats > 0),
  CONSTRAINT fk_subscriptions_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
);
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  subscription_id BIGINT,
  number VARCHAR(32) NOT NULL,
  issued_on DATE NOT NULL,
  due_on DATE,
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT 'USD',
  status VARCHAR(16) NOT NULL,
  CONSTRAINT invoices_number_key UNIQUE (number),
  CONSTRAINT invoices_total_check CHECK (total >= 0),
  CONSTRAINT fk_invoices_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
  CONSTRAINT fk_invoices_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id) ON DELETE SET NULL
);
CREATE INDEX invoices_customer_issued_idx ON invoices (customer_id, issued_on);
CREATE TABLE invoice_items (
  id INTEGER PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  description TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price DECIMAL(12,2) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  CONSTRAINT invoice_items_quantity_check CHECK (quantity > 0),
  CONSTRAINT fk_invoice_items_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE
);
CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  paid_at TIMESTAMP NOT NULL,
  method VARCHAR(20) NOT NULL,
  reference VARCHAR(64),
  CONSTRAINT payments_reference_key UNIQUE (reference),
  CONSTRAINT payments_amount_check CHECK (amount > 0),
  CONSTRAINT fk_payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  table_name VARCHAR(64) NOT NULL,
  row_id BIGINT NOT NULL,
  action VARCHAR(10) NOT NULL,
  changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  payload JSON
);
CREATE VIEW customer_balances AS
  SELECT c.id AS customer_id, c.email AS email, SUM(i.total) AS billed
  FROM customers c JOIN invoices i ON i.customer_id = c.id
  GROUP BY c.id, c.email;
CREATE TRIGGER payments_audit AFTER INSERT ON payments
FOR EACH ROW BEGIN
  INSERT INTO audit_log (table_name, row_id, action) VALUES ('payments', NEW.id, 'insert');
END;

-- +sluice up dialect=postgres
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  public_id UUID NOT NULL,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(200) NOT NULL,
  country CHAR(2),
  is_vip BOOLEAN NOT NULL DEFAULT false,
  status VARCHAR(20) NOT NULL DEFAULT 'active',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT customers_email_key UNIQUE (email),
  CONSTRAINT customers_status_check CHECK (status IN ('active', 'suspended', 'closed'))
);
CREATE TABLE subscriptions (
  id INTEGER PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  plan VARCHAR(50) NOT NULL,
  seats INTEGER NOT NULL,
  started_on DATE NOT NULL,
  ends_on DATE,
  CONSTRAINT subscriptions_customer_plan_key UNIQUE (customer_id, plan),
  CONSTRAINT subscriptions_seats_check CHECK (seats > 0),
  CONSTRAINT fk_subscriptions_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
);
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  subscription_id BIGINT,
  number VARCHAR(32) NOT NULL,
  issued_on DATE NOT NULL,
  due_on DATE,
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT 'USD',
  status VARCHAR(16) NOT NULL,
  CONSTRAINT invoices_number_key UNIQUE (number),
  CONSTRAINT invoices_total_check CHECK (total >= 0),
  CONSTRAINT fk_invoices_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
  CONSTRAINT fk_invoices_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id) ON DELETE SET NULL
);
CREATE INDEX invoices_customer_issued_idx ON invoices (customer_id, issued_on);
CREATE TABLE invoice_items (
  id INTEGER PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  description TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price DECIMAL(12,2) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  CONSTRAINT invoice_items_quantity_check CHECK (quantity > 0),
  CONSTRAINT fk_invoice_items_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE
);
CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  paid_at TIMESTAMP NOT NULL,
  method VARCHAR(20) NOT NULL,
  reference VARCHAR(64),
  CONSTRAINT payments_reference_key UNIQUE (reference),
  CONSTRAINT payments_amount_check CHECK (amount > 0),
  CONSTRAINT fk_payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  table_name VARCHAR(64) NOT NULL,
  row_id BIGINT NOT NULL,
  action VARCHAR(10) NOT NULL,
  changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  payload JSON
);
CREATE VIEW customer_balances AS
  SELECT c.id AS customer_id, c.email AS email, SUM(i.total) AS billed
  FROM customers c JOIN invoices i ON i.customer_id = c.id
  GROUP BY c.id, c.email;
CREATE FUNCTION payments_audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log (table_name, row_id, action) VALUES ('payments', NEW.id, 'insert');
  RETURN NEW;
END
$$;
CREATE TRIGGER payments_audit AFTER INSERT ON payments
FOR EACH ROW EXECUTE FUNCTION payments_audit_fn();

-- +sluice up dialect=mysql
CREATE TABLE customers (
  id BIGINT PRIMARY KEY,
  public_id CHAR(36) NOT NULL,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(200) NOT NULL,
  country CHAR(2),
  is_vip BOOLEAN NOT NULL DEFAULT 0,
  status VARCHAR(20) NOT NULL DEFAULT 'active',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT customers_email_key UNIQUE (email),
  CONSTRAINT customers_status_check CHECK (status IN ('active', 'suspended', 'closed'))
);
CREATE TABLE subscriptions (
  id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  plan VARCHAR(50) NOT NULL,
  seats INTEGER NOT NULL,
  started_on DATE NOT NULL,
  ends_on DATE,
  CONSTRAINT subscriptions_customer_plan_key UNIQUE (customer_id, plan),
  CONSTRAINT subscriptions_seats_check CHECK (seats > 0),
  CONSTRAINT fk_subscriptions_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
);
CREATE TABLE invoices (
  id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  subscription_id BIGINT,
  number VARCHAR(32) NOT NULL,
  issued_on DATE NOT NULL,
  due_on DATE,
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT 'USD',
  status VARCHAR(16) NOT NULL,
  CONSTRAINT invoices_number_key UNIQUE (number),
  CONSTRAINT invoices_total_check CHECK (total >= 0),
  CONSTRAINT fk_invoices_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
  CONSTRAINT fk_invoices_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id) ON DELETE SET NULL
);
CREATE INDEX invoices_customer_issued_idx ON invoices (customer_id, issued_on);
CREATE TABLE invoice_items (
  id BIGINT PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  description TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price DECIMAL(12,2) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  CONSTRAINT invoice_items_quantity_check CHECK (quantity > 0),
  CONSTRAINT fk_invoice_items_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE
);
CREATE TABLE payments (
  id BIGINT PRIMARY KEY,
  invoice_id BIGINT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  paid_at TIMESTAMP NOT NULL,
  method VARCHAR(20) NOT NULL,
  reference VARCHAR(64),
  CONSTRAINT payments_reference_key UNIQUE (reference),
  CONSTRAINT payments_amount_check CHECK (amount > 0),
  CONSTRAINT fk_payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
);
CREATE TABLE audit_log (
  id BIGINT PRIMARY KEY,
  table_name VARCHAR(64) NOT NULL,
  row_id BIGINT NOT NULL,
  action VARCHAR(10) NOT NULL,
  changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  payload JSON
);
CREATE VIEW customer_balances AS
  SELECT c.id AS customer_id, c.email AS email, SUM(i.total) AS billed
  FROM customers c JOIN invoices i ON i.customer_id = c.id
  GROUP BY c.id, c.email;
CREATE TRIGGER payments_audit AFTER INSERT ON payments
FOR EACH ROW INSERT INTO audit_log (table_name, row_id, action) VALUES ('payments', NEW.id, 'insert');

-- +sluice down
DROP TRIGGER payments_audit;
DROP VIEW customer_balances;
DROP TABLE audit_log;
DROP TABLE payments;
DROP TABLE invoice_items;
DROP TABLE invoices;
DROP TABLE subscriptions;
DROP TABLE customers;

-- +sluice down dialect=postgres
DROP TRIGGER payments_audit ON payments;
DROP FUNCTION payments_audit_fn();
DROP VIEW customer_balances;
DROP TABLE audit_log;
DROP TABLE payments;
DROP TABLE invoice_items;
DROP TABLE invoices;
DROP TABLE subscriptions;
DROP TABLE customers;

-- +sluice verify
SELECT id FROM invoices WHERE total < 0;
