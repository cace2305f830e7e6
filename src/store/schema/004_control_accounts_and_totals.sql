
-- 4: the control accounts the books were set up with (the ledger records them at the first open
-- and refuses parameters that name others), and each general-ledger account's total of debits and
-- of credits per currency, kept by a trigger on every line written, so that the ledger can bound
-- them (`ledger::control::MAX_ACCOUNT_TOTAL`) and every sum a report computes stays in 64 bits.
CREATE TABLE control_accounts (
    role     TEXT PRIMARY KEY CHECK (role IN ('receivables', 'payables')),
    account  TEXT NOT NULL
) STRICT;
CREATE TABLE account_totals (
    account       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    debit_minor   INTEGER NOT NULL CHECK (debit_minor >= 0),
    credit_minor  INTEGER NOT NULL CHECK (credit_minor >= 0),
    PRIMARY KEY (account, currency)
) STRICT, WITHOUT ROWID;
-- TOTAL, not SUM: a database whose sums overflowed already (before the bound) still opens; its
-- totals are exact up to 2^53 minor units and beyond that past every bound anyway.
INSERT INTO account_totals(account, currency, debit_minor, credit_minor)
SELECT account, currency,
       CAST(TOTAL(CASE WHEN amount_minor > 0 THEN amount_minor END) AS INTEGER),
       CAST(TOTAL(CASE WHEN amount_minor < 0 THEN -amount_minor END) AS INTEGER)
FROM voucher_lines GROUP BY account, currency;
CREATE TRIGGER account_totals_follow_lines AFTER INSERT ON voucher_lines
BEGIN
    INSERT INTO account_totals(account, currency, debit_minor, credit_minor)
    VALUES (NEW.account, NEW.currency, max(NEW.amount_minor, 0), max(-NEW.amount_minor, 0))
    ON CONFLICT(account, currency) DO UPDATE SET
        debit_minor = debit_minor + excluded.debit_minor,
        credit_minor = credit_minor + excluded.credit_minor;
END;
