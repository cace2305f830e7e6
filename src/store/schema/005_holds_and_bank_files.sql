
-- 5: a refund the check before paying held keeps its reason and the payment run that held it (it
-- stays unpaid: status 'open'; the page shows it as held); a payment run that wrote a bank file
-- keeps the file's parties and credit transfers, so that the same file can be written again.
ALTER TABLE reimbursements ADD COLUMN hold_reason TEXT;
ALTER TABLE reimbursements ADD COLUMN held_by_run INTEGER;  -- runs.id of the payment run
CREATE TABLE bank_files (
    run_id            INTEGER PRIMARY KEY REFERENCES runs(id),
    message_id        TEXT NOT NULL,
    initiating_party  TEXT NOT NULL,
    debtor_name       TEXT NOT NULL,
    debtor_iban       TEXT NOT NULL,
    debtor_bic        TEXT
) STRICT;
CREATE TABLE bank_transfers (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER NOT NULL REFERENCES runs(id),
    reimbursement_id  INTEGER NOT NULL UNIQUE REFERENCES reimbursements(id),
    execution_date    TEXT NOT NULL,
    end_to_end_id     TEXT NOT NULL,
    currency          TEXT NOT NULL REFERENCES currencies(code),
    amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
    creditor_name     TEXT NOT NULL,
    creditor_iban     TEXT NOT NULL,
    creditor_bic      TEXT,
    remittance        TEXT NOT NULL
) STRICT;
CREATE INDEX bank_transfers_run ON bank_transfers(run_id);
