//! The audit trail of runs: a run of another kind begun with [`begin_run`], the postings of a
//! script or REPL session recorded with [`record_postings`], [`runs`] to list them, the hashes a
//! run records, and the time stamps. The `runs` table itself is the ledger's repository
//! (`ledger::runs`). Depends on the ledger only, never on the rules or the run itself.

use std::path::Path;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::ledger::{Ledger, LedgerError, NewRun, PostingMark, RunId, RunKind, RunRecord};
use crate::parameters::hex;

/// SHA-256 (hex) of a text.
pub fn sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

pub(super) fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The hash of the parameters a run recorded (`runs.parameters_hash`): [`Parameters::hash`]
/// of the ledger's parameters.
///
/// [`Parameters::hash`]: crate::parameters::Parameters::hash
pub(super) fn parameters_hash(ledger: &Ledger) -> String {
    ledger.params().hash()
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
) -> Result<Option<RunId>, LedgerError> {
    if !ledger.posted_without_run(mark)? {
        return Ok(None);
    }
    let kind = run_kind(source.kind)?;
    let now = now_text();
    let rules_path = source.path.map(|p| p.to_string_lossy().into_owned());
    let run = ledger.insert_run(&NewRun {
        kind,
        started_at: &now,
        finished_at: Some(&now),
        user: source.user,
        posting_date: source.date,
        selection: source.selection,
        rules_path: rules_path.as_deref(),
        rules_hash: Some(&sha256(source.text)),
        parameters_hash: &parameters_hash(ledger),
    })?;
    ledger.assign_to_run(mark, run)?;
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
pub fn begin_run(ledger: &Ledger, start: &RunStart) -> Result<RunId, LedgerError> {
    let now = now_text();
    ledger.insert_run(&NewRun {
        kind: run_kind(start.kind)?,
        started_at: &now,
        finished_at: Some(&now),
        user: start.user,
        posting_date: start.date,
        selection: start.selection,
        rules_path: None,
        rules_hash: None,
        parameters_hash: &parameters_hash(ledger),
    })
}

/// The kind of run named `name` (`import`, `script`, `repl`, ...).
fn run_kind(name: &str) -> Result<RunKind, LedgerError> {
    RunKind::from_name(name)
        .ok_or_else(|| LedgerError::Invalid(format!("unknown kind of run '{name}'")))
}

/// The runs recorded in the database (audit), newest first ([`Ledger::runs`]).
pub fn runs(ledger: &Ledger) -> Result<Vec<RunRecord>, LedgerError> {
    ledger.runs()
}
