-- What schema version 7 changed, undone: a database of schema 6 as that version wrote it (the
-- tests of migrations, and the old write floor of examples/schema_floor and examples/bench).
CREATE TEMP TABLE down_to_6 AS
    SELECT voucher_id, account, currency, amount_minor, customer, vendor
    FROM gl_lines ORDER BY voucher_id, line;
DROP VIEW gl_lines;
DROP TRIGGER account_totals_follow_customer_transactions;
DROP TRIGGER account_totals_follow_vendor_transactions;
DROP TRIGGER account_totals_follow_lines;
DELETE FROM voucher_lines;
ALTER TABLE voucher_lines DROP COLUMN line;
ALTER TABLE customer_transactions DROP COLUMN line;
ALTER TABLE vendor_transactions DROP COLUMN line;
INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer, vendor)
    SELECT * FROM down_to_6 ORDER BY rowid;
DROP TABLE down_to_6;
CREATE TRIGGER account_totals_follow_lines AFTER INSERT ON voucher_lines
BEGIN
    INSERT INTO account_totals(account, currency, debit_minor, credit_minor)
    VALUES (NEW.account, NEW.currency, max(NEW.amount_minor, 0), max(-NEW.amount_minor, 0))
    ON CONFLICT(account, currency) DO UPDATE SET
        debit_minor = debit_minor + excluded.debit_minor,
        credit_minor = credit_minor + excluded.credit_minor;
END;
CREATE INDEX vouchers_date ON vouchers(date);
CREATE INDEX reimbursements_status ON reimbursements(status);
CREATE INDEX master_data_changes_account ON master_data_changes(party, account);
CREATE INDEX write_offs_customer ON write_offs(customer);
PRAGMA user_version = 6;
