//! The company database: SQLite file, schema, migrations and transactions.
//!
//! Money is stored as INTEGER minor units of its currency (the currency's decimals are recorded in
//! the `currencies` table), so SQL sums are exact. The file carries an application id and a schema
//! version (`PRAGMA user_version`); a file that is not a company database, or comes from a newer
//! schema, is refused. Write transactions are always `BEGIN IMMEDIATE`, so two writers never
//! deadlock half-way: the second waits up to the busy timeout, then gets [`StoreError::Busy`].

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

mod mismatch;

/// `PRAGMA application_id` of company databases ("RMBS").
pub const APPLICATION_ID: i32 = 0x524d_4253;

/// How long a writer waits for another one before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema migrations, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
-- 2: a reimbursement is paid when its vendor invoice is settled in full, by `pay` or any other
-- payment (a script's, say): its status, payment voucher and date follow the vendor ledger.
CREATE TRIGGER reimbursement_paid AFTER INSERT ON vendor_settlements
WHEN (SELECT open_minor FROM vendor_transactions WHERE id = NEW.credit_id) = 0
BEGIN
    UPDATE reimbursements
    SET status = 'paid',
        payment_voucher_id = (SELECT voucher_id FROM vendor_transactions WHERE id = NEW.debit_id),
        paid_date = NEW.date
    WHERE vendor_txn_id = NEW.credit_id AND status = 'open';
END;
UPDATE reimbursements
SET status = 'paid',
    payment_voucher_id = (
        SELECT t.voucher_id FROM vendor_settlements s JOIN vendor_transactions t ON t.id = s.debit_id
        WHERE s.credit_id = reimbursements.vendor_txn_id ORDER BY s.id DESC LIMIT 1),
    paid_date = (SELECT MAX(date) FROM vendor_settlements WHERE credit_id = reimbursements.vendor_txn_id)
WHERE status = 'open'
  AND (SELECT open_minor FROM vendor_transactions WHERE id = reimbursements.vendor_txn_id) = 0;
"#,
    r#"
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
"#,
    r#"
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
"#,
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// An error opening or using the company database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file does not exist.
    #[error("{0}: no company database here (create it with `reimburse init`)")]
    Missing(PathBuf),
    /// `init` would overwrite an existing database.
    #[error("{0}: a database already exists (use --force to replace it)")]
    Exists(PathBuf),
    /// The file is not a company database of this tool.
    #[error("{path}: not a reimburse company database ({reason})")]
    NotCompanyDatabase {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The database was written by a newer version of the tool.
    #[error(
        "{path}: the database has schema version {found}, newer than this build knows ({known}); upgrade reimburse"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The schema already has what a later version adds: its version number was set back.
    #[error(
        "{}: the database says schema version {version}, but it already has {found} (of schema version {of}): its version number was changed outside reimburse, so it is not migrated (nothing was changed). Restore the database from a backup; or, if you know that only the number was changed, set it back (`PRAGMA user_version`) with sqlite3", .path.display()
    )]
    SchemaMismatch {
        /// The file.
        path: PathBuf,
        /// The schema version the database says it has.
        version: i64,
        /// What it has already (`trigger reimbursement_paid`).
        found: String,
        /// The schema version that adds it.
        of: usize,
    },
    /// A migration to the current schema failed.
    #[error("{}: cannot migrate the database from schema version {from} to {to} (nothing was changed): {source}", .path.display())]
    Migration {
        /// The file.
        path: PathBuf,
        /// The database's schema version.
        from: i64,
        /// The version this build writes.
        to: i64,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Another process holds the database.
    #[error("{0}: database busy: another run or session is writing to it; try again when it ends")]
    Busy(PathBuf),
    /// The database cannot be written.
    #[error("{}: the database is read-only: {reason}", path.display())]
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// What cannot be written: the file, its folder or a `-wal`/`-shm` file beside it.
        reason: String,
    },
    /// Any other SQLite or file error.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl StoreError {
    /// Classifies a SQLite error for the database at `path`.
    pub fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                StoreError::Busy(path.to_path_buf())
            }
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
                path: path.to_path_buf(),
                reason: read_only_reason(path),
            },
            Some(ErrorCode::NotADatabase) => StoreError::NotCompanyDatabase {
                path: path.to_path_buf(),
                reason: "not an SQLite file".into(),
            },
            _ => StoreError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

/// Why SQLite found the database at `path` read-only: the file itself, a `-wal` or `-shm` file
/// beside it (a reader of a read-only database leaves them read-only), or the folder (in WAL mode
/// SQLite must create those files there). Probes with write opens that change nothing.
fn read_only_reason(path: &Path) -> String {
    let writable = |p: &Path| std::fs::OpenOptions::new().write(true).open(p).is_ok();
    if !writable(path) {
        return "the file is not writable".into();
    }
    for suffix in ["-wal", "-shm"] {
        let side = side_file(path, suffix);
        if side.exists() && !writable(&side) {
            return format!(
                "{} is not writable (make it writable, or remove it while no one uses the database)",
                side.display()
            );
        }
    }
    let dir = folder_of(path);
    if folder_writable(dir) {
        "SQLite opened it read-only".into()
    } else {
        format!(
            "its folder {} is not writable (SQLite keeps the -wal and -shm files beside the database)",
            dir.display()
        )
    }
}

/// The file SQLite keeps beside the database (`-wal`, `-shm`).
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut side = path.as_os_str().to_owned();
    side.push(suffix);
    PathBuf::from(side)
}

/// The folder the database is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether a file can be created in `dir` (by creating and removing a probe file).
fn folder_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".reimburse-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

/// An open company database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// How many [`Store::begin`] calls are open inside the outer transaction (savepoints).
    nested: Cell<u32>,
    /// Moves on whenever what this connection reads may differ from what it read before without
    /// its own writes: at every commit and rollback (SQLite's hooks, which also see those made
    /// past the store, such as an error rolling a transaction back), and at every rollback to a
    /// savepoint, which SQLite's hooks do not report (see [`Store::epoch`]).
    epoch: Arc<AtomicU64>,
}

impl Drop for Store {
    /// Unregisters the epoch hooks before the connection closes. rusqlite frees a hook's closure
    /// with the connection's client data, and SQLite rolls back an open transaction after that,
    /// calling the freed rollback hook: without this, dropping a store in a transaction (an
    /// error or a panic on the way out) reads freed memory.
    fn drop(&mut self) {
        let _ = self.conn.commit_hook(None::<fn() -> bool>);
        let _ = self.conn.rollback_hook(None::<fn()>);
    }
}

impl Store {
    /// Opens an existing company database, migrating an older schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        if path.is_dir() {
            return Err(StoreError::NotCompanyDatabase {
                path: path.to_path_buf(),
                reason: "a folder".into(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::wrap(conn, path.to_path_buf())?;
        // Identify the file before configuring: switching to WAL rewrites the header, which must
        // not happen to a file that is not ours (or to an empty one).
        store.check_identity()?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing company database to read it: like [`Store::open`], except that when the
    /// database cannot be written because its folder is read-only (SQLite could not create its
    /// `-wal` and `-shm` files there, even to read), it is opened read-only and immutable, as
    /// long as no `-wal` file holds changes beside it. An auditor with read access can then read
    /// the books; anything that writes still fails with the read-only error.
    pub fn open_for_reading(path: &Path) -> Result<Store, StoreError> {
        let refused = match Store::open(path) {
            Err(e @ StoreError::ReadOnly { .. }) => e,
            other => return other,
        };
        if folder_writable(folder_of(path)) || side_file(path, "-wal").exists() {
            return Err(refused);
        }
        // SQLite URI: `%`, `?` and `#` in the path are escaped.
        let mut uri = String::from("file:");
        for c in path.to_string_lossy().chars() {
            match c {
                '%' => uri.push_str("%25"),
                '?' => uri.push_str("%3f"),
                '#' => uri.push_str("%23"),
                c => uri.push(c),
            }
        }
        uri.push_str("?immutable=1");
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::wrap(conn, path.to_path_buf())?;
        store.check_identity()?;
        // An older schema needs a migration, which is a write.
        if store.schema_version()? < SCHEMA_VERSION {
            return Err(refused);
        }
        Ok(store)
    }

    /// Creates a new, empty company database at `path` (the file must not exist).
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists(path.to_path_buf()));
        }
        let conn = Connection::open(path).map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::wrap(conn, path.to_path_buf())?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// A new company database in memory (for fixture tests).
    pub fn in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| StoreError::sqlite(&path, e))?;
        let store = Store::wrap(conn, path)?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// The store over a connection: the busy timeout set before anything is read, and the hooks
    /// that move its epoch on every commit and rollback.
    fn wrap(mut conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::sqlite(&path, e))?;
        let epoch = Arc::new(AtomicU64::new(0));
        let (on_commit, on_rollback) = (Arc::clone(&epoch), Arc::clone(&epoch));
        conn.commit_hook(Some(move || {
            on_commit.fetch_add(1, Ordering::Relaxed);
            false
        }))
        .and_then(|()| {
            conn.rollback_hook(Some(move || {
                on_rollback.fetch_add(1, Ordering::Relaxed);
            }))
        })
        .map_err(|e| StoreError::sqlite(&path, e))?;
        Ok(Store {
            conn,
            path,
            nested: Cell::new(0),
            epoch,
        })
    }

    fn configure(&self) -> Result<(), StoreError> {
        let err = |e| StoreError::sqlite(&self.path, e);
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;",
            )
            .map_err(err)?;
        if self.path != Path::new(":memory:") {
            // Reading the journal mode is the first real read: a non-SQLite file fails here.
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(err)?;
            if mode != "wal" && mode != "memory" {
                // A read-only file cannot switch to WAL; the next write will say read-only.
            }
        }
        // Query-planner stability: without it, SQLite (built with STAT4) re-prepares a cached
        // statement whenever a bound value could change the plan, i.e. on every call.
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )
            .map_err(err)?;
        self.conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    fn pragma_i64(&self, name: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    fn check_identity(&self) -> Result<(), StoreError> {
        let app_id = self.pragma_i64("application_id")?;
        let version = self.pragma_i64("user_version")?;
        if app_id == i64::from(APPLICATION_ID) {
            if version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    found: version,
                    known: SCHEMA_VERSION,
                });
            }
            return Ok(());
        }
        let tables = self.pragma_count_tables()?;
        Err(StoreError::NotCompanyDatabase {
            path: self.path.clone(),
            reason: if std::fs::metadata(&self.path).is_ok_and(|m| m.len() == 0) {
                "an empty file, 0 bytes".into()
            } else if tables == 0 {
                "an empty SQLite file".into()
            } else {
                format!("an SQLite file of another application, with {tables} tables")
            },
        })
    }

    fn pragma_count_tables(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let version = self.pragma_i64("user_version")?;
        if version >= SCHEMA_VERSION {
            return Ok(());
        }
        let mismatch = mismatch::later_object(&self.conn, version)
            .map_err(|e| StoreError::sqlite(&self.path, e))?;
        if let Some((of, found)) = mismatch {
            return Err(StoreError::SchemaMismatch {
                path: self.path.clone(),
                version,
                found,
                of,
            });
        }
        self.begin()?;
        let result = (|| {
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                self.conn.execute_batch(sql)?;
                self.conn
                    .execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            }
            self.conn
                .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
        })();
        match result {
            Ok(()) => self.commit(),
            Err(e) => {
                self.rollback();
                Err(match StoreError::sqlite(&self.path, e) {
                    StoreError::Sqlite { path, source } => StoreError::Migration {
                        path,
                        from: version,
                        to: SCHEMA_VERSION,
                        source,
                    },
                    other => other,
                })
            }
        }
    }

    /// The SQLite connection (for the ledger's queries).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The database file (`:memory:` for an in-memory database).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.pragma_i64("user_version")
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`): waits up to the busy timeout for another
    /// writer, then fails with [`StoreError::Busy`].
    ///
    /// Inside an open transaction (a `reimburse repl` session or a `reimburse script` holds one)
    /// it nests: it sets a savepoint, which the matching [`Store::commit`] releases into the outer
    /// transaction and [`Store::rollback`] undoes. Only the outermost commit writes.
    pub fn begin(&self) -> Result<(), StoreError> {
        if self.in_transaction() {
            let depth = self.nested.get() + 1;
            self.savepoint(&format!("nested_{depth}"))?;
            self.nested.set(depth);
            return Ok(());
        }
        self.nested.set(0);
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Commits the open transaction (for a nested [`Store::begin`]: keeps its work in the outer
    /// transaction).
    pub fn commit(&self) -> Result<(), StoreError> {
        let depth = self.nested.get();
        if depth > 0 && self.in_transaction() {
            self.nested.set(depth - 1);
            return self.release(&format!("nested_{depth}"));
        }
        self.nested.set(0);
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Rolls back the open transaction (does nothing when none is open; for a nested
    /// [`Store::begin`]: undoes only the work since it).
    pub fn rollback(&self) {
        let depth = self.nested.get();
        if depth > 0 && self.in_transaction() {
            self.nested.set(depth - 1);
            let _ = self.rollback_to(&format!("nested_{depth}"));
            return;
        }
        self.nested.set(0);
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// True while a transaction is open.
    pub fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// A number that changes at every commit and rollback of the connection (whoever makes it)
    /// and every rollback to a savepoint (`rollback_to`, a nested `rollback`): a
    /// value read inside a transaction, and kept up to date with this connection's own writes,
    /// stays true while the epoch and the transaction last (no other connection can write while
    /// this one holds the `BEGIN IMMEDIATE` lock).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// Sets a savepoint inside the open transaction.
    pub fn savepoint(&self, name: &str) -> Result<(), StoreError> {
        self.cached(&format!("SAVEPOINT {name}"))
    }

    fn cached(&self, sql: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Releases (keeps) the work since the savepoint.
    pub fn release(&self, name: &str) -> Result<(), StoreError> {
        self.cached(&format!("RELEASE {name}"))
    }

    /// Undoes the work since the savepoint, and releases it.
    pub fn rollback_to(&self, name: &str) -> Result<(), StoreError> {
        // SQLite's rollback hook does not see a rollback to a savepoint: the epoch moves here.
        self.epoch.fetch_add(1, Ordering::Relaxed);
        self.cached(&format!("ROLLBACK TO {name}"))?;
        self.cached(&format!("RELEASE {name}"))
    }

    /// Runs SQLite's integrity check; returns its messages (`["ok"]` when sound).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| StoreError::sqlite(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| StoreError::sqlite(&self.path, e))?;
        Ok(rows)
    }

    /// Writes a consistent copy of the database to `target` (`VACUUM INTO`).
    pub fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        self.conn
            .execute(
                "VACUUM INTO ?1",
                [target.to_string_lossy().as_ref() as &str],
            )
            .map(|_| ())
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// How many rows this connection has inserted, updated or deleted since it was opened
    /// (SQLite's `total_changes`, rolled-back work included): compare two readings to see
    /// whether something was written between them.
    pub fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        drop(Store::create(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(matches!(Store::create(&path), Err(StoreError::Exists(_))));
    }

    #[test]
    fn a_store_dropped_in_a_transaction_rolls_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("company.db");
        Store::create(&path).unwrap();
        let store = Store::open(&path).unwrap();
        store.begin().unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO gl_accounts(account, name) VALUES ('9999', 'x')",
                [],
            )
            .unwrap();
        // SQLite rolls back on close; the hooks must be gone by then (they were freed first).
        drop(store);
        let store = Store::open(&path).unwrap();
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM gl_accounts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    #[test]
    fn begin_inside_a_transaction_nests_as_a_savepoint() {
        let store = Store::in_memory().unwrap();
        let count = |s: &Store| -> i64 {
            s.conn()
                .query_row("SELECT count(*) FROM gl_accounts", [], |r| r.get(0))
                .unwrap()
        };
        let add = |s: &Store, a: &str| {
            s.conn()
                .execute(
                    "INSERT INTO gl_accounts(account, name) VALUES (?1, 'x')",
                    [a],
                )
                .unwrap();
        };
        store.begin().unwrap();
        add(&store, "A");
        // A nested transaction that rolls back undoes only its own work.
        store.begin().unwrap();
        add(&store, "B");
        store.rollback();
        assert!(store.in_transaction(), "the outer transaction stays open");
        assert_eq!(count(&store), 1);
        // A nested one that commits keeps its work in the outer transaction.
        store.begin().unwrap();
        add(&store, "C");
        store.commit().unwrap();
        assert!(store.in_transaction());
        store.rollback();
        assert!(!store.in_transaction());
        assert_eq!(count(&store), 0, "the outer rollback undoes everything");
        store.begin().unwrap();
        add(&store, "D");
        store.commit().unwrap();
        assert!(!store.in_transaction());
        assert_eq!(count(&store), 1);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = Store::create(&path).unwrap();
        store
            .conn()
            .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
            .unwrap();
        drop(store);
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1)
        );
        assert!(err.to_string().contains("newer than this build knows"));
    }

    #[test]
    fn foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.db");
        std::fs::write(&text, "this is not a database, just some text ".repeat(50)).unwrap();
        let err = Store::open(&text).unwrap_err();
        assert!(
            err.to_string().contains("not a reimburse company database"),
            "{err}"
        );

        let other = dir.path().join("other.db");
        let conn = Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE t(x)").unwrap();
        drop(conn);
        let err = Store::open(&other).unwrap_err();
        assert!(err.to_string().contains("another application"), "{err}");

        let missing = dir.path().join("missing.db");
        assert!(matches!(Store::open(&missing), Err(StoreError::Missing(_))));
    }
}
