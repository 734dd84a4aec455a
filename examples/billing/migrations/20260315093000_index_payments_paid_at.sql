-- id: 20260315093000
-- title: Index payments by paid_at
-- ticket: BILL-140
-- pr: https://git.example.com/acme/billing/pull/142
-- author: Ana Ruiz <ana@example.com>
-- why: The monthly revenue report scans payments by date and takes 40 s.
-- rollback: Drops the index; the report is slow again, nothing is lost.
-- domain: reporting

-- +sluice up dialect=postgres no-transaction
CREATE INDEX CONCURRENTLY payments_paid_at_idx ON payments (paid_at);

-- +sluice up
CREATE INDEX payments_paid_at_idx ON payments (paid_at);

-- +sluice down dialect=mysql
DROP INDEX payments_paid_at_idx ON payments;

-- +sluice down
DROP INDEX payments_paid_at_idx;
