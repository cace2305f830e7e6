//! What a run gives back: the rows it makes ([`Reimbursement`], kept by the ledger's repository
//! of reimbursements; [`Skipped`], [`Failed`]), the [`RunReport`], and the [`RunObserver`] that
//! receives rows as they are made. Plain data: depends on nothing else of the process.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::ledger::RunId;

pub use crate::ledger::Reimbursement;

/// Serializes a decimal as its exact text.
pub fn as_text<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// A candidate the rules did not reimburse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Customer account.
    pub customer: String,
    /// Currency of the credit.
    pub currency: String,
    /// Credit balance.
    #[serde(serialize_with = "as_text")]
    pub balance: Decimal,
    /// The reason the rules gave.
    pub reason: String,
}

/// A customer whose processing failed under `keep_going` (its work was undone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failed {
    /// Customer account.
    pub customer: String,
    /// The error.
    pub error: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The run's id (a dry run's id is not kept).
    pub run: RunId,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// Posting date.
    pub date: NaiveDate,
    /// The selection.
    pub selection: String,
    /// The rule file.
    pub rules: PathBuf,
    /// SHA-256 of the rule file.
    pub rules_hash: String,
    /// SHA-256 of the parameters.
    pub parameters_hash: String,
    /// Customers considered.
    pub considered: u64,
    /// Number of reimbursements made (or proposed).
    pub reimbursed_count: u64,
    /// Number of credits skipped.
    pub skipped_count: u64,
    /// Number of customers failed (with `keep_going`).
    pub failed_count: u64,
    /// The reimbursements made (or proposed); empty from [`run_observed`](super::run_observed).
    pub reimbursements: Vec<Reimbursement>,
    /// Candidates skipped, with the rules' reasons.
    pub skipped: Vec<Skipped>,
    /// Customers that failed (with `keep_going`).
    pub failed: Vec<Failed>,
    /// Total reimbursed per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
    /// What the rules printed or logged.
    pub output: Vec<String>,
    /// How the posting hooks were worked out: ahead and replayed, or in place (not in the JSON:
    /// the same run gives the same report either way).
    #[serde(skip)]
    pub hooks_ahead: HooksAhead,
}

/// How many posting hooks (`create_one_time_vendor`, `post_reimbursement`) a run replayed as the
/// read-ahead thread worked them out, and how many it worked out in place. A hook whose block was
/// run again carefully counts each time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HooksAhead {
    /// Replayed from what was worked out ahead.
    pub replayed: u64,
    /// Worked out in place.
    pub in_place: u64,
}

pub(super) fn totals_as_text<S: serde::Serializer>(
    totals: &BTreeMap<String, Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(totals.len()))?;
    for (k, v) in totals {
        map.serialize_entry(k, &v.to_string())?;
    }
    map.end()
}

/// Receives a run's results as they are made, so that a run over millions of customers need not
/// hold them all in memory. Rows of a customer arrive once its work is final (after its
/// savepoint); in a dry run their status is `proposed`. Nothing received is written unless the
/// run returns `Ok` (and is not a dry run).
pub trait RunObserver {
    /// `done` of `total` selected customers processed.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// A reimbursement made (or proposed).
    fn reimbursement(&mut self, _row: &Reimbursement) {}
    /// A credit the rules skipped.
    fn skipped(&mut self, _row: &Skipped) {}
    /// A customer that failed under `keep_going`.
    fn failed(&mut self, _row: &Failed) {}
}

/// Collects every row into the report (what [`run`](super::run()) uses).
pub(super) struct Collect<'a> {
    pub(super) reimbursements: Vec<Reimbursement>,
    pub(super) skipped: Vec<Skipped>,
    pub(super) failed: Vec<Failed>,
    pub(super) progress: &'a mut dyn FnMut(u64, u64),
}

impl RunObserver for Collect<'_> {
    fn progress(&mut self, done: u64, total: u64) {
        (self.progress)(done, total);
    }
    fn reimbursement(&mut self, row: &Reimbursement) {
        self.reimbursements.push(row.clone());
    }
    fn skipped(&mut self, row: &Skipped) {
        self.skipped.push(row.clone());
    }
    fn failed(&mut self, row: &Failed) {
        self.failed.push(row.clone());
    }
}
