//! Why a reversal or a rejection was refused: each [`ReversalRefusal`] names the reimbursement (or
//! run, or user) and the rule that stopped it; [`ReversalError`] refuses the whole command, with
//! every refusal listed. Plain data: depends on the ledger's types and errors only.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::ledger::{DecisionKind, LedgerError, ReimbursementStatus, RunId};
use crate::store::StoreError;

/// One reason a reversal (or a rejection) cannot be made. Any one refuses the whole command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReversalRefusal {
    /// No reimbursement has this id.
    UnknownReimbursement(i64),
    /// No run has this id.
    UnknownRun(RunId),
    /// The run is of another kind than a reimbursement run (a payment, an import, …).
    NotAReimbursementRun {
        /// The run.
        run: RunId,
        /// Its kind as recorded.
        kind: String,
    },
    /// The run is a write-off run (its reversal is not wired yet).
    WriteOffRun(RunId),
    /// The reimbursement is paid: reversing a payment is a bank matter.
    Paid(i64),
    /// The reimbursement was reversed already.
    AlreadyReversed {
        /// The reimbursement.
        id: i64,
        /// The date of its reversal.
        on: Option<NaiveDate>,
    },
    /// The reversal date is before the reimbursement's own date.
    DateBeforeOriginal {
        /// The reimbursement.
        id: i64,
        /// The reversal date asked for.
        date: NaiveDate,
        /// The reimbursement's date.
        original: NaiveDate,
    },
    /// The vendor invoice is not open in full any more (something settled part of it).
    PartlySettled {
        /// The reimbursement.
        id: i64,
        /// Its vendor invoice.
        invoice: String,
        /// What is still open of it.
        open: Decimal,
        /// Its amount.
        amount: Decimal,
        /// Their currency.
        currency: String,
    },
    /// A rejection of a reimbursement that is not pending approval.
    NotPending {
        /// The reimbursement.
        id: i64,
        /// Its status.
        status: ReimbursementStatus,
    },
    /// A rejection by a user who is not a listed approver.
    NotAnApprover(String),
}

impl fmt::Display for ReversalRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownReimbursement(id) => write!(f, "there is no reimbursement {id}"),
            Self::UnknownRun(run) => write!(f, "there is no run {run}"),
            Self::NotAReimbursementRun { run, kind } => {
                write!(f, "run {run} is a {kind} run, not a reimbursement run")
            }
            Self::WriteOffRun(run) => write!(
                f,
                "run {run} is a write-off run (reversing a write-off run is not supported yet)"
            ),
            Self::Paid(id) => write!(
                f,
                "reimbursement {id} is paid: reversing a payment is a bank matter"
            ),
            Self::AlreadyReversed { id, on: Some(on) } => {
                write!(f, "reimbursement {id} was reversed already (on {on})")
            }
            Self::AlreadyReversed { id, on: None } => {
                write!(f, "reimbursement {id} was reversed already")
            }
            Self::DateBeforeOriginal { id, date, original } => write!(
                f,
                "reimbursement {id} is dated {original}: it cannot be reversed on {date}, before it"
            ),
            Self::PartlySettled {
                id,
                invoice,
                open,
                amount,
                currency,
            } => write!(
                f,
                "reimbursement {id}: its vendor invoice {invoice} is partly settled ({open} of \
                 {amount} {currency} open); only an invoice open in full can be reversed"
            ),
            Self::NotPending { id, status } => write!(
                f,
                "reimbursement {id} is {status}, not pending approval: only one pending approval \
                 can be rejected"
            ),
            Self::NotAnApprover(user) => write!(
                f,
                "{user} is not an approver (see `approval.approvers` in the company parameters)"
            ),
        }
    }
}

/// Why a reversal or a rejection wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReversalError {
    /// Refused as a whole: every refusal is listed.
    #[error("{}", refused_text(*.decision, .refusals))]
    Refused {
        /// `reverse` or `reject`.
        decision: DecisionKind,
        /// Every refusal, in the order of the selection.
        refusals: Vec<ReversalRefusal>,
    },
    /// No reason was given (a reversal and a rejection always say why).
    #[error("a {0} needs a reason (--reason TEXT)")]
    NoReason(DecisionKind),
    /// `reject` in a company without an `approval:` section.
    #[error(
        "reject needs the `approval:` section in the company parameters (without it nothing is \
         pending approval); to undo a reimbursement, use `reimburse reverse`"
    )]
    NoApproval,
    /// Called while a run or a payment is going on (from the rules' hooks).
    #[error("a reimbursement cannot be reversed while a run is going on (from the rules)")]
    DuringRun,
    /// A ledger error (nothing was written).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<StoreError> for ReversalError {
    fn from(e: StoreError) -> Self {
        ReversalError::Ledger(LedgerError::Store(e))
    }
}

/// "nothing was reversed: …", one refusal a line when there are several.
fn refused_text(decision: DecisionKind, refusals: &[ReversalRefusal]) -> String {
    debug_assert!(!refusals.is_empty(), "a refusal lists why");
    let verb = match decision {
        DecisionKind::Reject => "rejected",
        _ => "reversed",
    };
    match refusals {
        [one] => format!("nothing was {verb}: {one}"),
        all => {
            let lines: Vec<String> = all.iter().map(|r| format!("\n  {r}")).collect();
            format!(
                "nothing was {verb} ({} refusals):{}",
                all.len(),
                lines.concat()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_refusal_is_one_line_and_several_are_listed() {
        let e = ReversalError::Refused {
            decision: DecisionKind::Reverse,
            refusals: vec![ReversalRefusal::Paid(3)],
        };
        assert_eq!(
            e.to_string(),
            "nothing was reversed: reimbursement 3 is paid: reversing a payment is a bank matter"
        );
        let e = ReversalError::Refused {
            decision: DecisionKind::Reject,
            refusals: vec![
                ReversalRefusal::NotAnApprover("carol".into()),
                ReversalRefusal::UnknownReimbursement(9),
            ],
        };
        assert_eq!(
            e.to_string(),
            "nothing was rejected (2 refusals):\n  carol is not an approver (see \
             `approval.approvers` in the company parameters)\n  there is no reimbursement 9"
        );
    }
}
