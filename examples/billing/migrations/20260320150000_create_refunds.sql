-- id: 20260320150000
-- title: Create refunds
-- ticket: BILL-152
-- pr: https://git.example.com/acme/billing/pull/155
-- author: Jonas Berg <jonas@example.com>
-- why: Refunds are tracked in a spreadsheet today; support needs them next to
--   the payment they reverse, with a reason, for chargeback disputes.
-- rollback: Drops the table; refunds recorded since must be exported first.
-- domain: billing
-- requires: 20260301090000

-- +sluice up
CREATE TABLE refunds (
  id INTEGER PRIMARY KEY,
  payment_id BIGINT NOT NULL REFERENCES payments (id),
  amount DECIMAL(12,2) NOT NULL CHECK (amount > 0),
  reason VARCHAR(200) NOT NULL,
  refunded_at TIMESTAMP NOT NULL
);

-- +sluice down
DROP TABLE refunds;

-- +sluice verify
SELECT r.id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.amount > p.amount;
