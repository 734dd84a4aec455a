-- seed.sql - data for the example billing database (examples/billing/billing.db).
-- Rebuild with scripts/make-example-db.sh; the schema is tests/fixtures/realistic/sqlite.sql.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24)
INSERT INTO customers (id, public_id, email, name, country, is_vip, status, created_at)
SELECT i,
       lower(printf('%08x-%04x-4%03x-a%03x-%012x', i * 2654435761 % 4294967296, i * 40503 % 65536, i % 4096, (i * 7) % 4096, i * 1000003)),
       printf('customer%02d@example.com', i),
       CASE i % 6 WHEN 0 THEN 'Zoë Müller' WHEN 1 THEN 'O''Brien & Sons' WHEN 2 THEN 'Acme, Inc.'
                  WHEN 3 THEN '株式会社さくら' WHEN 4 THEN 'Café "Le Rêve"' ELSE 'Nordic Fjord AS 🚀' END || ' #' || i,
       CASE i % 5 WHEN 0 THEN 'DE' WHEN 1 THEN 'US' WHEN 2 THEN 'JP' WHEN 3 THEN 'FR' ELSE NULL END,
       i % 7 = 0,
       CASE WHEN i % 11 = 0 THEN 'suspended' WHEN i = 23 THEN 'closed' ELSE 'active' END,
       printf('2024-%02d-%02d %02d:%02d:%02d', 1 + i % 12, 1 + i % 28, i % 24, i % 60, (i * 7) % 60)
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
INSERT INTO subscriptions (id, customer_id, plan, seats, started_on, ends_on)
SELECT i, 1 + (i - 1) % 24, CASE WHEN i > 24 THEN 'enterprise' WHEN i % 2 = 1 THEN 'team' ELSE 'starter' END,
       1 + (i * 3) % 40, printf('2024-%02d-01', 1 + i % 12),
       CASE WHEN i % 4 = 0 THEN printf('2025-%02d-01', 1 + i % 12) END
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 72)
INSERT INTO invoices (id, customer_id, subscription_id, number, issued_on, due_on, total, currency, status)
SELECT i, s.customer_id, s.id, printf('INV-2025-%05d', i), printf('2025-%02d-%02d', 1 + i % 12, 1 + i % 28),
       printf('2025-%02d-%02d', 1 + (i + 1) % 12, 1 + i % 28), 0,
       CASE i % 4 WHEN 0 THEN 'EUR' WHEN 1 THEN 'JPY' ELSE 'USD' END,
       CASE WHEN i % 9 = 0 THEN 'void' WHEN i % 3 = 0 THEN 'open' ELSE 'paid' END
FROM n JOIN subscriptions s ON s.id = 1 + (i % 30);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 180)
INSERT INTO invoice_items (id, invoice_id, description, quantity, unit_price, amount)
SELECT i, 1 + i % 72, CASE i % 4 WHEN 0 THEN 'Seats' WHEN 1 THEN 'Support plan' WHEN 2 THEN 'Storage (GB)'
                                  ELSE 'Onboarding; one-off | "premium"' END,
       1 + i % 9, printf('%.2f', 4.99 + (i % 13) * 10), printf('%.2f', (1 + i % 9) * (4.99 + (i % 13) * 10))
FROM n;

UPDATE invoices SET total = (SELECT printf('%.2f', COALESCE(SUM(amount), 0)) FROM invoice_items WHERE invoice_id = invoices.id);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
INSERT INTO payments (id, invoice_id, amount, paid_at, method, reference)
SELECT i, inv.id, inv.total, printf('2025-%02d-%02d 10:%02d:%02d.%06d', 1 + i % 12, 2 + i % 27, i % 60, (i * 13) % 60, i * 1234 % 1000000),
       CASE i % 3 WHEN 0 THEN 'card' WHEN 1 THEN 'sepa' ELSE 'wire' END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE printf('PAY-%06d', i * 37) END
FROM n JOIN invoices inv ON inv.id = i AND inv.status = 'paid' AND inv.total > 0;

UPDATE audit_log SET payload = json_object('source', 'seed', 'id', row_id);
