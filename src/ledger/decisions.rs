//! The repository of decisions (`decisions`): every approval, rejection, hold, release, reversal
//! and write-off of a reimbursement or a write-off, with who made it, when, the payment or
//! reversal run it belongs to and the reason. History is only added to, never changed.
//!
//! It stores and reads what it is given; it must not depend on the process or the command line.

use serde::Serialize;

use super::{Ledger, LedgerError, Res, RunId};

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// Approved for payment (an approver within their limit, not the runner).
    Approve,
    /// Rejected by an approver: reversed.
    Reject,
    /// Held: `pay` leaves it until released (or, for the check before paying, until the check
    /// passes).
    Hold,
    /// Released from a hold.
    Release,
    /// Reversed: a voucher that mirrors the original, the customer's credit open again.
    Reverse,
    /// A customer's small credit written off.
    WriteOff,
}

impl DecisionKind {
    /// Every kind, in the order of the lifecycle.
    pub const ALL: [DecisionKind; 6] = [
        DecisionKind::Approve,
        DecisionKind::Reject,
        DecisionKind::Hold,
        DecisionKind::Release,
        DecisionKind::Reverse,
        DecisionKind::WriteOff,
    ];

    /// The word stored and shown (`approve`, `reject`, `hold`, `release`, `reverse`,
    /// `write-off`).
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
            DecisionKind::Hold => "hold",
            DecisionKind::Release => "release",
            DecisionKind::Reverse => "reverse",
            DecisionKind::WriteOff => "write-off",
        }
    }

    /// The kind with this word.
    pub fn parse(text: &str) -> Option<DecisionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

crate::text::shown_as_words!(DecisionKind);

/// What a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionSubject {
    /// A reimbursement (its id).
    Reimbursement(i64),
    /// A write-off (its id).
    WriteOff(i64),
}

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Row id (decisions are in the order they were made).
    pub id: i64,
    /// What was decided.
    pub decision: DecisionKind,
    /// Who decided (the user the runs record).
    pub user: String,
    /// When (local time, as the runs record it).
    pub at: String,
    /// The run it belongs to (the payment run of a hold by the check before paying, the reversal
    /// run of a reversal, the write-off run of a write-off), if any.
    pub run: Option<RunId>,
    /// Why (the reason, or an approval's note).
    pub reason: Option<String>,
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    /// What it is about.
    pub subject: DecisionSubject,
    /// What was decided.
    pub decision: DecisionKind,
    /// Who decided.
    pub user: &'a str,
    /// When.
    pub at: &'a str,
    /// The run it belongs to, if any.
    pub run: Option<RunId>,
    /// Why.
    pub reason: Option<&'a str>,
}

impl Ledger {
    /// Records a decision; returns its id.
    pub(crate) fn record_decision(&self, d: &NewDecision) -> Res<i64> {
        let (reimbursement, write_off) = match d.subject {
            DecisionSubject::Reimbursement(id) => (Some(id), None),
            DecisionSubject::WriteOff(id) => (None, Some(id)),
        };
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO decisions(reimbursement_id, write_off_id, run_id, decision, user, at,
                     reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.insert(rusqlite::params![
                    reimbursement,
                    write_off,
                    d.run,
                    d.decision.as_str(),
                    d.user,
                    d.at,
                    d.reason
                ])
            })
            .map_err(|e| self.sql_err(e))
    }

    /// The decisions about `subject`, in the order they were made.
    pub fn decisions(&self, subject: DecisionSubject) -> Res<Vec<Decision>> {
        let (column, id) = match subject {
            DecisionSubject::Reimbursement(id) => ("reimbursement_id", id),
            DecisionSubject::WriteOff(id) => ("write_off_id", id),
        };
        let sql = format!(
            "SELECT id, decision, user, at, run_id, reason FROM decisions WHERE {column} = ?1
             ORDER BY id"
        );
        let rows = self
            .store
            .conn()
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map([id], StoredDecision::read)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(StoredDecision::into_decision)
            .collect()
    }
}

/// A row of `decisions` as stored (the kind as text).
pub(super) struct StoredDecision {
    pub id: i64,
    pub decision: String,
    pub user: String,
    pub at: String,
    pub run: Option<RunId>,
    pub reason: Option<String>,
}

impl StoredDecision {
    /// Reads the columns id, decision, user, at, run_id, reason.
    fn read(r: &rusqlite::Row) -> rusqlite::Result<StoredDecision> {
        StoredDecision::read_at(r, 0)
    }

    /// Reads the six columns of a decision starting at column `first`.
    pub(super) fn read_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<StoredDecision> {
        Ok(StoredDecision {
            id: r.get(first)?,
            decision: r.get(first + 1)?,
            user: r.get(first + 2)?,
            at: r.get(first + 3)?,
            run: r.get(first + 4)?,
            reason: r.get(first + 5)?,
        })
    }

    /// The decision, its kind checked.
    pub(super) fn into_decision(self) -> Res<Decision> {
        let decision = DecisionKind::parse(&self.decision).ok_or_else(|| {
            LedgerError::Invalid(format!(
                "decision {} is '{}', which the books do not know",
                self.id, self.decision
            ))
        })?;
        Ok(Decision {
            id: self.id,
            decision,
            user: self.user,
            at: self.at,
            run: self.run,
            reason: self.reason,
        })
    }
}
