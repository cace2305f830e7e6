
-- 7: leaner writes. The general-ledger line of a customer or vendor posting is stored once, as
-- its customer or vendor transaction (on the control account the database records): the general
-- ledger's lines are read through the view `gl_lines` (the plain lines, then the customer
-- transactions on receivables, then the vendor transactions on payables), and a line's place in
-- its voucher is its `line` column (0, 1, …, in the order posted), so a voucher reads back in the
-- order it was posted. The account totals follow the transactions as they followed the lines.
--
-- An existing database moves over: the control accounts are recorded from the lines if they were
-- not yet; every customer (vendor) line of a voucher is matched with the voucher's customer
-- (vendor) transaction of the same rank (both were written in line order), and must name the
-- same customer (vendor), currency and amount, on the control account; every transaction must
-- have its line. Anything else refuses the migration (the database stays as it was); only then
-- are the duplicated lines deleted.
ALTER TABLE voucher_lines ADD COLUMN line INTEGER;
ALTER TABLE customer_transactions ADD COLUMN line INTEGER;
ALTER TABLE vendor_transactions ADD COLUMN line INTEGER;
INSERT INTO control_accounts(role, account)
SELECT 'receivables', account FROM voucher_lines
WHERE customer IS NOT NULL AND NOT EXISTS (SELECT 1 FROM control_accounts WHERE role = 'receivables')
LIMIT 1;
INSERT INTO control_accounts(role, account)
SELECT 'payables', account FROM voucher_lines
WHERE customer IS NULL AND vendor IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM control_accounts WHERE role = 'payables')
LIMIT 1;
-- Every line with its place in the voucher and, per side (0 plain, 1 customer, 2 vendor), its rank.
CREATE TEMP TABLE schema_7_lines (
    id INTEGER PRIMARY KEY, voucher_id INTEGER, side INTEGER, nth INTEGER, line INTEGER,
    account TEXT, party TEXT, currency TEXT, amount_minor INTEGER, both_parties INTEGER);
INSERT INTO schema_7_lines
SELECT id, voucher_id, side,
       row_number() OVER (PARTITION BY voucher_id, side ORDER BY id),
       row_number() OVER (PARTITION BY voucher_id ORDER BY id) - 1,
       account, coalesce(customer, vendor), currency, amount_minor,
       customer IS NOT NULL AND vendor IS NOT NULL
FROM (SELECT *, CASE WHEN customer IS NOT NULL THEN 1 WHEN vendor IS NOT NULL THEN 2 ELSE 0 END
             AS side FROM voucher_lines);
CREATE INDEX temp.schema_7_lines_rank ON schema_7_lines(voucher_id, side, nth);
-- Every transaction with its side and its rank in its voucher.
CREATE TEMP TABLE schema_7_transactions (
    side INTEGER, id INTEGER, voucher_id INTEGER, nth INTEGER,
    account TEXT, currency TEXT, amount_minor INTEGER, PRIMARY KEY (side, id));
INSERT INTO schema_7_transactions
SELECT 1, id, voucher_id, row_number() OVER (PARTITION BY voucher_id ORDER BY id),
       account, currency, amount_minor FROM customer_transactions;
INSERT INTO schema_7_transactions
SELECT 2, id, voucher_id, row_number() OVER (PARTITION BY voucher_id ORDER BY id),
       account, currency, amount_minor FROM vendor_transactions;
CREATE INDEX temp.schema_7_transactions_rank ON schema_7_transactions(voucher_id, side, nth);
-- The refusal: a row in this table aborts the migration with its message.
CREATE TEMP TABLE schema_7_refusal (what TEXT);
CREATE TEMP TRIGGER schema_7_refuse BEFORE INSERT ON schema_7_refusal
BEGIN
    SELECT RAISE(ABORT, 'cannot move the books to schema 7: a customer or vendor line of a voucher does not match its customer or vendor transaction (same voucher, control account, party, currency and amount, in line order), or a transaction has no line; the database is left as it was');
END;
INSERT INTO schema_7_refusal
SELECT 'line ' || l.id FROM schema_7_lines l
LEFT JOIN schema_7_transactions t
       ON t.voucher_id = l.voucher_id AND t.side = l.side AND t.nth = l.nth
WHERE l.side <> 0 AND (
    t.id IS NULL OR l.both_parties OR t.account IS NOT l.party OR t.currency IS NOT l.currency
    OR t.amount_minor IS NOT l.amount_minor
    OR l.account IS NOT (SELECT account FROM control_accounts
                          WHERE role = CASE l.side WHEN 1 THEN 'receivables' ELSE 'payables' END))
LIMIT 1;
INSERT INTO schema_7_refusal
SELECT 'transaction ' || t.id FROM schema_7_transactions t
WHERE NOT EXISTS (SELECT 1 FROM schema_7_lines l
                  WHERE l.voucher_id = t.voucher_id AND l.side = t.side AND l.nth = t.nth)
LIMIT 1;
UPDATE voucher_lines SET line = (SELECT line FROM schema_7_lines s WHERE s.id = voucher_lines.id);
UPDATE customer_transactions SET line = (
    SELECT l.line FROM schema_7_transactions t
    JOIN schema_7_lines l ON l.voucher_id = t.voucher_id AND l.side = 1 AND l.nth = t.nth
    WHERE t.side = 1 AND t.id = customer_transactions.id);
UPDATE vendor_transactions SET line = (
    SELECT l.line FROM schema_7_transactions t
    JOIN schema_7_lines l ON l.voucher_id = t.voucher_id AND l.side = 2 AND l.nth = t.nth
    WHERE t.side = 2 AND t.id = vendor_transactions.id);
DELETE FROM voucher_lines WHERE customer IS NOT NULL OR vendor IS NOT NULL;
DROP TABLE schema_7_refusal;
DROP TABLE schema_7_transactions;
DROP TABLE schema_7_lines;
CREATE VIEW gl_lines AS
SELECT voucher_id, line, account, currency, amount_minor, customer, vendor FROM voucher_lines
UNION ALL
SELECT t.voucher_id, t.line, c.account, t.currency, t.amount_minor, t.account, NULL
FROM customer_transactions t JOIN control_accounts c ON c.role = 'receivables'
UNION ALL
SELECT t.voucher_id, t.line, c.account, t.currency, t.amount_minor, NULL, t.account
FROM vendor_transactions t JOIN control_accounts c ON c.role = 'payables';
-- The totals of the control accounts follow the transactions (a missing control account fails
-- the insert: the ledger records them at open, before anything is posted).
CREATE TRIGGER account_totals_follow_customer_transactions AFTER INSERT ON customer_transactions
BEGIN
    INSERT INTO account_totals(account, currency, debit_minor, credit_minor)
    VALUES ((SELECT account FROM control_accounts WHERE role = 'receivables'), NEW.currency,
            max(NEW.amount_minor, 0), max(-NEW.amount_minor, 0))
    ON CONFLICT(account, currency) DO UPDATE SET
        debit_minor = debit_minor + excluded.debit_minor,
        credit_minor = credit_minor + excluded.credit_minor;
END;
CREATE TRIGGER account_totals_follow_vendor_transactions AFTER INSERT ON vendor_transactions
BEGIN
    INSERT INTO account_totals(account, currency, debit_minor, credit_minor)
    VALUES ((SELECT account FROM control_accounts WHERE role = 'payables'), NEW.currency,
            max(NEW.amount_minor, 0), max(-NEW.amount_minor, 0))
    ON CONFLICT(account, currency) DO UPDATE SET
        debit_minor = debit_minor + excluded.debit_minor,
        credit_minor = credit_minor + excluded.credit_minor;
END;
-- Indexes no query needs, dropped (each found by EXPLAIN QUERY PLAN over every query of the
-- ledger on a 100,000-customer company after a run and a payment):
-- - vouchers_date: only the export's period used it (`v.date BETWEEN`), and it sorts the vouchers
--   by date and number anyway; without it the export's query took 1.86-2.10 s against
--   2.12-2.41 s with it (550k lines, three alternating rounds). A run wrote it once a voucher.
-- - reimbursements_status: the page's status filters and `pay`'s "awaiting payment" read pages
--   in id order after the last id (`r.id > ?`), which the row id serves; a status has two values.
--   Without it a page of 1,000 open ones when none is open scans 46k rows in 5-7 ms. A run wrote
--   it once a reimbursement and `pay` moved its entry once a payment.
-- - master_data_changes_account: the one query on the table (`changes`) filters
--   `(?1 IS NULL OR party = ?1) AND (?2 IS NULL OR account = ?2)`, which no index serves (SCAN
--   master_data_changes). A run wrote it for each one-time vendor created and linked.
-- - write_offs_customer: write-offs are read by id or by run (SCAN w), never by customer.
-- Kept, each used by a query: customers_group (the group check of `--group`, the count of a
-- selection), voucher_lines_voucher (the export's lines of a voucher, the account of a
-- write-off; a run writes no plain lines now), customer_transactions_account and
-- vendor_transactions_account (open items, balances), customer_transactions_document (the
-- import finds a transaction by customer and document), reimbursements_customer (the page of a
-- customer; the table grows by every run, so no scan), bank_transfers_run, decisions_*,
-- run_outcomes_run, and the unique constraints (their indexes are the constraints; dropping one
-- would rebuild the table and lose the check).
DROP INDEX vouchers_date;
DROP INDEX reimbursements_status;
DROP INDEX master_data_changes_account;
DROP INDEX write_offs_customer;
