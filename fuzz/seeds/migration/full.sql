-- id: 20261121093000
-- title: Add invoices.currency
-- ticket: BILL-142
-- why: Invoices must carry their currency
--   before we bill in EUR.
-- requires: 20261120110000, 20261120120000

-- +sluice up
ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD';

-- +sluice up dialect=mysql no-transaction
ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD' AFTER total;

-- +sluice down
ALTER TABLE invoices DROP COLUMN currency;

-- +sluice verify
SELECT id FROM invoices WHERE currency IS NULL;
