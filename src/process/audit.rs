//! The audit trail of runs: the `runs` table (a run of another kind begun with [`begin_run`], the
//! postings of a script or REPL session recorded with [`record_postings`], [`runs`] to list
//! them), the hashes a run records, and the time stamps. Depends on the ledger and the store
//! only, never on the rules or the run itself.

use std::path::Path;

use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ledger::{Ledger, LedgerError};
use crate::parameters::hex;
use crate::store::StoreError;

/// SHA-256 (hex) of a text.
pub fn sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

pub(super) fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The hash of the parameters a run recorded (`runs.parameters_hash`).
pub(super) fn parameters_hash(ledger: &Ledger) -> String {
    sha256(&format!("{:?}", ledger.params()))
}

/// Where the postings of a transaction begin: the highest id of vouchers, customer settlements
/// and vendor settlements before it (the ledger never deletes those rows, so what it posts next
/// is above). See [`record_postings`]. The default mark is the empty database's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostingMark([i64; 4]);

/// The tables a [`PostingMark`] covers: what carries a run id (master-data changes too, so a
/// script that only re-links a customer is recorded as well).
const POSTING_TABLES: [&str; 4] = [
    "vouchers",
    "customer_settlements",
    "vendor_settlements",
    "master_data_changes",
];

impl PostingMark {
    /// The mark of the database as it is now.
    pub fn now(ledger: &Ledger) -> Result<PostingMark, LedgerError> {
        let store = ledger.store();
        let mut mark = PostingMark::default();
        for (id, table) in mark.0.iter_mut().zip(POSTING_TABLES) {
            *id = store
                .conn()
                .query_row(
                    &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
        }
        Ok(mark)
    }

    /// Each table with the highest id it had.
    fn after(&self) -> impl Iterator<Item = (&'static str, i64)> {
        POSTING_TABLES.into_iter().zip(self.0)
    }
}

/// What made postings outside a run, for the audit trail ([`record_postings`]).
#[derive(Debug, Clone)]
pub struct PostingSource<'a> {
    /// `script` or `repl`.
    pub kind: &'a str,
    /// The script file (none for the REPL).
    pub path: Option<&'a Path>,
    /// The text that ran (the script, or the REPL entries since the last commit), whose SHA-256
    /// is recorded.
    pub text: &'a str,
    /// What it was given (a script's arguments).
    pub selection: &'a str,
    /// Who ran it.
    pub user: &'a str,
    /// The posting date.
    pub date: NaiveDate,
}

/// Makes the postings a script or a REPL session made in this transaction since `mark` (those
/// that carry no run) traceable like a run's: records a run of `source.kind` with the file, the
/// SHA-256 of the text that ran, the parameters' hash and the user, and gives it those vouchers
/// and settlements. Call it in the transaction, before the commit. Returns the run, or `None`
/// (nothing recorded) when nothing was posted.
pub fn record_postings(
    ledger: &Ledger,
    mark: &PostingMark,
    source: &PostingSource,
) -> Result<Option<i64>, LedgerError> {
    let store = ledger.store();
    let conn = store.conn();
    let sql = |e| LedgerError::Store(StoreError::sqlite(store.path(), e));
    let mut posted = false;
    for (table, after) in mark.after() {
        posted |= conn
            .query_row(
                &format!("SELECT EXISTS(SELECT 1 FROM {table} WHERE id > ?1 AND run_id IS NULL)"),
                [after],
                |r| r.get::<_, bool>(0),
            )
            .map_err(sql)?;
    }
    if !posted {
        return Ok(None);
    }
    let now = now_text();
    let run: i64 = conn
        .query_row(
            "INSERT INTO runs(kind, started_at, finished_at, user_name, posting_date, selection,
                 rules_path, rules_hash, parameters_hash) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             RETURNING id",
            params![
                source.kind,
                now,
                source.user,
                source.date.to_string(),
                source.selection,
                source.path.map(|p| p.to_string_lossy().into_owned()),
                sha256(source.text),
                parameters_hash(ledger)
            ],
            |r| r.get(0),
        )
        .map_err(sql)?;
    for (table, after) in mark.after() {
        conn.execute(
            &format!("UPDATE {table} SET run_id = ?1 WHERE id > ?2 AND run_id IS NULL"),
            [run, after],
        )
        .map_err(sql)?;
    }
    Ok(Some(run))
}

/// A run of another kind than a reimbursement run to record before it writes (an import).
#[derive(Debug, Clone)]
pub struct RunStart<'a> {
    /// The kind (`import`).
    pub kind: &'a str,
    /// Who.
    pub user: &'a str,
    /// Its date.
    pub date: NaiveDate,
    /// What it was given (the files).
    pub selection: &'a str,
}

/// Records a run that is starting, in the caller's transaction, with the parameters' hash;
/// returns its id for the postings and changes it makes ([`Ledger::set_run`]).
pub fn begin_run(ledger: &Ledger, start: &RunStart) -> Result<i64, LedgerError> {
    let store = ledger.store();
    let now = now_text();
    store
        .conn()
        .query_row(
            "INSERT INTO runs(kind, started_at, finished_at, user_name, posting_date, selection,
                 parameters_hash) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)
             RETURNING id",
            params![
                start.kind,
                now,
                start.user,
                start.date.to_string(),
                start.selection,
                parameters_hash(ledger)
            ],
            |r| r.get(0),
        )
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))
}

/// The runs recorded in the database (audit), newest first.
pub fn runs(ledger: &Ledger) -> Result<Vec<RunRecord>, LedgerError> {
    let store = ledger.store();
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT id, kind, started_at, finished_at, user_name, posting_date, selection,
                    rules_path, rules_hash, parameters_hash, considered, reimbursed, skipped, failed
             FROM runs ORDER BY id DESC",
        )
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
    stmt.query_map([], |r| {
        Ok(RunRecord {
            id: r.get(0)?,
            kind: r.get(1)?,
            started_at: r.get(2)?,
            finished_at: r.get(3)?,
            user: r.get(4)?,
            posting_date: r.get(5)?,
            selection: r.get(6)?,
            rules_path: r.get(7)?,
            rules_hash: r.get(8)?,
            parameters_hash: r.get(9)?,
            considered: r.get(10)?,
            reimbursed: r.get(11)?,
            skipped: r.get(12)?,
            failed: r.get(13)?,
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))
}

/// A recorded run (audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// Run id.
    pub id: i64,
    /// `reimbursement`, `payment`, or `script` and `repl` for the postings of a committed script
    /// or REPL session ([`record_postings`]).
    pub kind: String,
    /// Start time (UTC).
    pub started_at: String,
    /// End time (UTC).
    pub finished_at: Option<String>,
    /// Who ran it.
    pub user: String,
    /// Posting date.
    pub posting_date: String,
    /// Selection.
    pub selection: String,
    /// Rule file.
    pub rules_path: Option<String>,
    /// Rule file hash.
    pub rules_hash: Option<String>,
    /// Parameters hash.
    pub parameters_hash: String,
    /// Customers considered.
    pub considered: i64,
    /// Reimbursements (or payments) made.
    pub reimbursed: i64,
    /// Candidates skipped.
    pub skipped: i64,
    /// Customers failed.
    pub failed: i64,
}
