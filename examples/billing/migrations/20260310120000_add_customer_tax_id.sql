-- id: 20260310120000
-- title: Add customers.tax_id
-- ticket: BILL-131
-- pr: https://git.example.com/acme/billing/pull/131
-- author: Jonas Berg <jonas@example.com>
-- why: EU invoices must show the customer's VAT number from July; finance
--   enters it by hand until the CRM sync lands.
-- rollback: Drops the column; tax ids entered since are lost (finance keeps a copy).
-- domain: billing

-- +sluice up
ALTER TABLE customers ADD COLUMN tax_id VARCHAR(32);

-- +sluice down
ALTER TABLE customers DROP COLUMN tax_id;

-- +sluice verify
SELECT id FROM customers WHERE tax_id = '';
