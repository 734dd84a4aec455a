-- id: 20260401090000
-- title: customers.name becomes full_name; customers.email_domain
-- ticket: BILL-150
-- pr: https://git.example.com/acme/billing/pull/150
-- author: Ana Ruiz <ana@example.com>
-- why: The new invoicing front end shows full names and groups customers by
--   email domain. The old release keeps running until every instance is
--   replaced, so both shapes must work at once: expand/contract.
-- rollback: `sluice down` until contract (the old shape keeps every write);
--   after contract, the down section renames the column back.
-- domain: billing

-- +sluice expand version=billing_v2
rename column customers.name to full_name;
add column customers.email_domain VARCHAR(255)
  up (lower(substr(email, instr(email, '@') + 1)));

-- +sluice down
ALTER TABLE customers DROP COLUMN email_domain;
ALTER TABLE customers RENAME COLUMN full_name TO name;

-- +sluice verify
SELECT id FROM billing_v2_customers WHERE email_domain IS NULL;
