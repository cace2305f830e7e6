
-- 3: bank details of customers and vendors; the audit trail of master-data changes (who, when,
-- from where, which field, old and new value); transactions found by their document (an
-- import identifies a customer's transaction by customer and document).
ALTER TABLE customers ADD COLUMN iban TEXT;
ALTER TABLE customers ADD COLUMN bic TEXT;
ALTER TABLE vendors ADD COLUMN iban TEXT;
ALTER TABLE vendors ADD COLUMN bic TEXT;
CREATE TABLE master_data_changes (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES runs(id),
    changed_at  TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    source      TEXT NOT NULL,
    line        INTEGER,
    party       TEXT NOT NULL CHECK (party IN ('customer', 'vendor')),
    account     TEXT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('created', 'changed')),
    field       TEXT,
    old_value   TEXT,
    new_value   TEXT
) STRICT;
CREATE INDEX master_data_changes_account ON master_data_changes(party, account);
CREATE INDEX customer_transactions_document ON customer_transactions(account, document);
