
CREATE TABLE currencies (
    code      TEXT PRIMARY KEY,
    decimals  INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 6)
) STRICT;

CREATE TABLE gl_accounts (
    account   TEXT PRIMARY KEY,
    name      TEXT NOT NULL
) STRICT;

CREATE TABLE number_sequences (
    name      TEXT PRIMARY KEY,
    prefix    TEXT NOT NULL,
    width     INTEGER NOT NULL,
    next      INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE vendors (
    account            TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    address            TEXT,
    vendor_group       TEXT NOT NULL,
    currency           TEXT NOT NULL REFERENCES currencies(code),
    one_time           INTEGER NOT NULL DEFAULT 0,
    created_for        TEXT,
    blocked            INTEGER NOT NULL DEFAULT 0,
    payment_terms      TEXT,
    method_of_payment  TEXT,
    tax_id             TEXT
) STRICT;

CREATE TABLE customers (
    account         TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    address         TEXT,
    currency        TEXT NOT NULL REFERENCES currencies(code),
    customer_group  TEXT NOT NULL,
    vendor_account  TEXT,
    payment_hold    INTEGER NOT NULL DEFAULT 0,
    tax_id          TEXT
) STRICT;
CREATE INDEX customers_group ON customers(customer_group);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    user_name        TEXT NOT NULL,
    posting_date     TEXT NOT NULL,
    selection        TEXT NOT NULL,
    rules_path       TEXT,
    rules_hash       TEXT,
    parameters_hash  TEXT NOT NULL,
    considered       INTEGER NOT NULL DEFAULT 0,
    reimbursed       INTEGER NOT NULL DEFAULT 0,
    skipped          INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE vouchers (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    date         TEXT NOT NULL,
    description  TEXT NOT NULL,
    run_id       INTEGER REFERENCES runs(id)
) STRICT;
CREATE INDEX vouchers_date ON vouchers(date);

CREATE TABLE voucher_lines (
    id            INTEGER PRIMARY KEY,
    voucher_id    INTEGER NOT NULL REFERENCES vouchers(id),
    account       TEXT NOT NULL REFERENCES gl_accounts(account),
    currency      TEXT NOT NULL REFERENCES currencies(code),
    amount_minor  INTEGER NOT NULL,
    customer      TEXT REFERENCES customers(account),
    vendor        TEXT REFERENCES vendors(account)
) STRICT;
CREATE INDEX voucher_lines_voucher ON voucher_lines(voucher_id);

CREATE TABLE customer_transactions (
    id            INTEGER PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES customers(account),
    voucher_id    INTEGER NOT NULL REFERENCES vouchers(id),
    date          TEXT NOT NULL,
    document      TEXT NOT NULL,
    type          TEXT NOT NULL,
    currency      TEXT NOT NULL REFERENCES currencies(code),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor <> 0),
    open_minor    INTEGER NOT NULL,
    CHECK ((amount_minor > 0 AND open_minor BETWEEN 0 AND amount_minor)
        OR (amount_minor < 0 AND open_minor BETWEEN amount_minor AND 0))
) STRICT;
CREATE INDEX customer_transactions_account ON customer_transactions(account, currency);

CREATE TABLE vendor_transactions (
    id            INTEGER PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES vendors(account),
    voucher_id    INTEGER NOT NULL REFERENCES vouchers(id),
    date          TEXT NOT NULL,
    document      TEXT NOT NULL,
    type          TEXT NOT NULL,
    currency      TEXT NOT NULL REFERENCES currencies(code),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor <> 0),
    open_minor    INTEGER NOT NULL,
    CHECK ((amount_minor > 0 AND open_minor BETWEEN 0 AND amount_minor)
        OR (amount_minor < 0 AND open_minor BETWEEN amount_minor AND 0))
) STRICT;
CREATE INDEX vendor_transactions_account ON vendor_transactions(account, currency);

CREATE TABLE customer_settlements (
    id            INTEGER PRIMARY KEY,
    debit_id      INTEGER NOT NULL REFERENCES customer_transactions(id),
    credit_id     INTEGER NOT NULL REFERENCES customer_transactions(id),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    date          TEXT NOT NULL,
    run_id        INTEGER REFERENCES runs(id)
) STRICT;

CREATE TABLE vendor_settlements (
    id            INTEGER PRIMARY KEY,
    debit_id      INTEGER NOT NULL REFERENCES vendor_transactions(id),
    credit_id     INTEGER NOT NULL REFERENCES vendor_transactions(id),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    date          TEXT NOT NULL,
    run_id        INTEGER REFERENCES runs(id)
) STRICT;

CREATE TABLE reimbursements (
    id                  INTEGER PRIMARY KEY,
    run_id              INTEGER NOT NULL REFERENCES runs(id),
    customer            TEXT NOT NULL REFERENCES customers(account),
    vendor              TEXT NOT NULL REFERENCES vendors(account),
    one_time_vendor     INTEGER NOT NULL,
    currency            TEXT NOT NULL REFERENCES currencies(code),
    amount_minor        INTEGER NOT NULL CHECK (amount_minor > 0),
    date                TEXT NOT NULL,
    voucher_id          INTEGER NOT NULL REFERENCES vouchers(id),
    vendor_invoice      TEXT NOT NULL,
    customer_txn_id     INTEGER NOT NULL UNIQUE REFERENCES customer_transactions(id),
    vendor_txn_id       INTEGER NOT NULL UNIQUE REFERENCES vendor_transactions(id),
    status              TEXT NOT NULL CHECK (status IN ('open', 'paid')),
    payment_voucher_id  INTEGER REFERENCES vouchers(id),
    paid_date           TEXT
) STRICT;
CREATE INDEX reimbursements_customer ON reimbursements(customer);
CREATE INDEX reimbursements_status ON reimbursements(status);
