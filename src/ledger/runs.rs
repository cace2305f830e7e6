//! The repository of the `runs` table, the audit trail of what wrote to the books: recording a
//! run ([`Ledger::insert_run`]) and its end ([`Ledger::finish_run`]), listing the runs
//! ([`Ledger::runs`], [`RunRecord`]), and the posting marks that give a script's or a REPL
//! session's postings their run ([`PostingMark`]).
//!
//! It stores what it is given: who runs what, the hashes and the times are the caller's (the
//! process). It must not depend on the process, the rules or scripts.

use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;

use super::{Ledger, Res, RunId};

/// What kind of work a run is (the `runs.kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// A reimbursement run (`reimburse run`).
    Reimbursement,
    /// A payment run (`reimburse pay`).
    Payment,
    /// An import (`reimburse import`).
    Import,
    /// The postings of a committed script.
    Script,
    /// The postings of a committed REPL session.
    Repl,
    /// A reversal of reimbursements (or of write-offs): `reimburse reverse`, `reimburse reject`.
    Reversal,
    /// Small credits written off (`reimburse write-off`).
    WriteOff,
}

impl RunKind {
    /// Every kind.
    pub const ALL: [RunKind; 7] = [
        RunKind::Reimbursement,
        RunKind::Payment,
        RunKind::Import,
        RunKind::Script,
        RunKind::Repl,
        RunKind::Reversal,
        RunKind::WriteOff,
    ];

    /// The kind as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Reimbursement => "reimbursement",
            RunKind::Payment => "payment",
            RunKind::Import => "import",
            RunKind::Script => "script",
            RunKind::Repl => "repl",
            RunKind::Reversal => "reversal",
            RunKind::WriteOff => "write-off",
        }
    }

    /// The kind with this name, if there is one.
    pub fn from_name(name: &str) -> Option<RunKind> {
        RunKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A run to record, as [`Ledger::insert_run`] writes it.
#[derive(Debug, Clone)]
pub(crate) struct NewRun<'a> {
    /// What kind of run.
    pub kind: RunKind,
    /// When it started (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub started_at: &'a str,
    /// When it ended, for a run recorded once its work is done (else [`Ledger::finish_run`]
    /// sets it).
    pub finished_at: Option<&'a str>,
    /// Who runs it.
    pub user: &'a str,
    /// Its posting date.
    pub posting_date: NaiveDate,
    /// What it was given (a selection, a filter, files, arguments).
    pub selection: &'a str,
    /// The rule file or script it ran, if any.
    pub rules_path: Option<&'a str>,
    /// SHA-256 of that file's text, if any.
    pub rules_hash: Option<&'a str>,
    /// SHA-256 of the parameters.
    pub parameters_hash: &'a str,
}

/// What a run did, recorded at its end by [`Ledger::finish_run`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RunCounts {
    /// Customers considered.
    pub considered: i64,
    /// Reimbursements (or payments) made.
    pub reimbursed: i64,
    /// Candidates skipped.
    pub skipped: i64,
    /// Customers failed.
    pub failed: i64,
}

/// A recorded run (audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// Run id.
    pub id: RunId,
    /// `reimbursement`, `payment`, or `script` and `repl` for the postings of a committed script
    /// or REPL session (`process::record_postings`).
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

/// Where the postings of a transaction begin: the highest id of vouchers, customer settlements
/// and vendor settlements before it (the ledger never deletes those rows, so what it posts next
/// is above). See `process::record_postings`. The default mark is the empty database's.
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
    pub fn now(ledger: &Ledger) -> Res<PostingMark> {
        let mut mark = PostingMark::default();
        for (id, table) in mark.0.iter_mut().zip(POSTING_TABLES) {
            *id = ledger
                .store
                .conn()
                .query_row(
                    &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| ledger.sql_err(e))?;
        }
        Ok(mark)
    }

    /// Each table with the highest id it had.
    fn after(&self) -> impl Iterator<Item = (&'static str, i64)> {
        POSTING_TABLES.into_iter().zip(self.0)
    }
}

impl Ledger {
    /// Records a run; returns its id (for [`Ledger::set_run`]).
    pub(crate) fn insert_run(&self, run: &NewRun) -> Res<RunId> {
        self.store
            .conn()
            .query_row(
                "INSERT INTO runs(kind, started_at, finished_at, user_name, posting_date, selection,
                     rules_path, rules_hash, parameters_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 RETURNING id",
                params![
                    run.kind.as_str(),
                    run.started_at,
                    run.finished_at,
                    run.user,
                    run.posting_date.to_string(),
                    run.selection,
                    run.rules_path,
                    run.rules_hash,
                    run.parameters_hash
                ],
                |r| r.get(0),
            )
            .map_err(|e| self.sql_err(e))
    }

    /// Records the end of run `id` (at `finished_at`) and what it did.
    pub(crate) fn finish_run(&self, id: RunId, finished_at: &str, counts: &RunCounts) -> Res<()> {
        self.store
            .conn()
            .execute(
                "UPDATE runs SET finished_at = ?2, considered = ?3, reimbursed = ?4, skipped = ?5,
                 failed = ?6 WHERE id = ?1",
                params![
                    id,
                    finished_at,
                    counts.considered,
                    counts.reimbursed,
                    counts.skipped,
                    counts.failed
                ],
            )
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// The runs recorded in the database (audit), newest first.
    pub fn runs(&self) -> Res<Vec<RunRecord>> {
        let mut stmt = self
            .store
            .conn()
            .prepare(&format!("{RUN_COLUMNS} ORDER BY id DESC"))
            .map_err(|e| self.sql_err(e))?;
        stmt.query_map([], read_run)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql_err(e))
    }

    /// The run with this id, as recorded (who made it, when); `None` when there is none.
    pub fn run_record(&self, id: RunId) -> Res<Option<RunRecord>> {
        use rusqlite::OptionalExtension;
        self.store
            .conn()
            .prepare_cached(&format!("{RUN_COLUMNS} WHERE id = ?1"))
            .and_then(|mut s| s.query_row([id], read_run).optional())
            .map_err(|e| self.sql_err(e))
    }

    /// The run that posted voucher `number` (a payment run for a payment voucher), if any.
    pub fn run_of_voucher(&self, number: &str) -> Res<Option<RunId>> {
        use rusqlite::OptionalExtension;
        self.store
            .conn()
            .prepare_cached("SELECT run_id FROM vouchers WHERE number = ?1")
            .and_then(|mut s| s.query_row([number], |r| r.get(0)).optional())
            .map(Option::flatten)
            .map_err(|e| self.sql_err(e))
    }
}

/// The query of the runs' columns, in the order [`read_run`] reads them.
const RUN_COLUMNS: &str = "SELECT id, kind, started_at, finished_at, user_name, posting_date,
        selection, rules_path, rules_hash, parameters_hash, considered, reimbursed, skipped, failed
    FROM runs";

/// A row of [`RUN_COLUMNS`].
fn read_run(r: &rusqlite::Row) -> rusqlite::Result<RunRecord> {
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
}

impl Ledger {
    /// Whether anything that carries a run was written since `mark` without one.
    pub(crate) fn posted_without_run(&self, mark: &PostingMark) -> Res<bool> {
        let mut posted = false;
        for (table, after) in mark.after() {
            posted |= self
                .store
                .conn()
                .query_row(
                    &format!(
                        "SELECT EXISTS(SELECT 1 FROM {table} WHERE id > ?1 AND run_id IS NULL)"
                    ),
                    [after],
                    |r| r.get::<_, bool>(0),
                )
                .map_err(|e| self.sql_err(e))?;
        }
        Ok(posted)
    }

    /// Gives run `run` what was written since `mark` without a run.
    pub(crate) fn assign_to_run(&self, mark: &PostingMark, run: RunId) -> Res<()> {
        for (table, after) in mark.after() {
            self.store
                .conn()
                .execute(
                    &format!("UPDATE {table} SET run_id = ?1 WHERE id > ?2 AND run_id IS NULL"),
                    params![run, after],
                )
                .map_err(|e| self.sql_err(e))?;
        }
        Ok(())
    }
}
