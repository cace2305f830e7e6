
-- 6: the lifecycle of a reimbursement: approval (pending, approved), reversal (the voucher and the
-- date that undid it), every decision kept with who, when and why; small credits written off (and
-- reversible); what a run decided for each credit it did not reimburse. A reversal settles the
-- vendor invoice, which must not mark it paid: the trigger of schema 2 is replaced by one that
-- leaves reversed reimbursements alone.
ALTER TABLE reimbursements ADD COLUMN approval TEXT CHECK (approval IN ('pending', 'approved'));
ALTER TABLE reimbursements ADD COLUMN reversal_voucher_id INTEGER;  -- vouchers.id
ALTER TABLE reimbursements ADD COLUMN reversed_date TEXT;
CREATE TABLE write_offs (
    id                   INTEGER PRIMARY KEY,
    run_id               INTEGER NOT NULL REFERENCES runs(id),
    customer             TEXT NOT NULL REFERENCES customers(account),
    currency             TEXT NOT NULL REFERENCES currencies(code),
    amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),
    date                 TEXT NOT NULL,
    voucher_id           INTEGER NOT NULL REFERENCES vouchers(id),
    customer_txn_id      INTEGER NOT NULL UNIQUE REFERENCES customer_transactions(id),
    reversal_voucher_id  INTEGER REFERENCES vouchers(id),
    reversed_date        TEXT
) STRICT;
CREATE INDEX write_offs_customer ON write_offs(customer);
CREATE TABLE decisions (
    id                INTEGER PRIMARY KEY,
    reimbursement_id  INTEGER REFERENCES reimbursements(id),
    write_off_id      INTEGER REFERENCES write_offs(id),
    run_id            INTEGER REFERENCES runs(id),
    decision          TEXT NOT NULL
                      CHECK (decision IN ('approve', 'reject', 'hold', 'release', 'reverse', 'write-off')),
    user              TEXT NOT NULL,
    at                TEXT NOT NULL,
    reason            TEXT,
    CHECK ((reimbursement_id IS NULL) <> (write_off_id IS NULL))
) STRICT;
CREATE INDEX decisions_reimbursement ON decisions(reimbursement_id);
CREATE INDEX decisions_write_off ON decisions(write_off_id);
CREATE TABLE run_outcomes (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    customer      TEXT NOT NULL,
    currency      TEXT,
    amount_minor  INTEGER,
    outcome       TEXT NOT NULL CHECK (outcome IN ('skipped', 'failed')),
    reason        TEXT NOT NULL
) STRICT;
CREATE INDEX run_outcomes_run ON run_outcomes(run_id);
DROP TRIGGER IF EXISTS reimbursement_paid;
CREATE TRIGGER reimbursement_paid_unless_reversed AFTER INSERT ON vendor_settlements
WHEN (SELECT open_minor FROM vendor_transactions WHERE id = NEW.credit_id) = 0
BEGIN
    UPDATE reimbursements
    SET status = 'paid',
        payment_voucher_id = (SELECT voucher_id FROM vendor_transactions WHERE id = NEW.debit_id),
        paid_date = NEW.date
    WHERE vendor_txn_id = NEW.credit_id AND status = 'open' AND reversal_voucher_id IS NULL;
END;
