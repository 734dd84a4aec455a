-- title: Rename invoices.total to amount_due
-- ticket: BILL-160
-- pr: https://git.example.com/acme/billing/pull/160
-- author: Ana Ruiz <ana@example.com>
-- why: The ledger calls it amount_due.
-- rollback: Rename it back.
-- breaks: revenue-report FIN-310, invoice-run BILL-311

-- +sluice up
ALTER TABLE invoices RENAME COLUMN total TO amount_due;

-- +sluice up dialect=mysql
-- MariaDB does not carry a CHECK constraint over a rename: drop it and add it back
ALTER TABLE invoices DROP CONSTRAINT invoices_total_check;
ALTER TABLE invoices RENAME COLUMN total TO amount_due;
ALTER TABLE invoices ADD CONSTRAINT invoices_total_check CHECK (amount_due >= 0);

-- +sluice down
ALTER TABLE invoices RENAME COLUMN amount_due TO total;

-- +sluice down dialect=mysql
ALTER TABLE invoices DROP CONSTRAINT invoices_total_check;
ALTER TABLE invoices RENAME COLUMN amount_due TO total;
ALTER TABLE invoices ADD CONSTRAINT invoices_total_check CHECK (total >= 0);
