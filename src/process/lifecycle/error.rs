//! [`LifecycleError`]: why an operation on reimbursements after their run (approve, hold,
//! release, history) wrote nothing.

use super::hold::HoldRefusal;
use crate::ledger::LedgerError;
use crate::parameters::ConversionError;
use crate::store::StoreError;

/// Why a lifecycle operation wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// `approve` in a company without an `approval` section (nothing needs approval).
    #[error(
        "this company has no approval: nothing needs approving (add an `approval:` section with \
         required_above and approvers to the company parameters to require it)"
    )]
    NoApproval,
    /// `approve` approved none of the selected reimbursements (each refusal was reported).
    #[error(
        "none of the {0} selected reimbursement(s) was approved: each was refused (see the refusals)"
    )]
    NoneApproved(usize),
    /// A hold or release refused as a whole: one of the reimbursements cannot be held or released.
    #[error("{operation} refused, nothing changed:{}", list(refusals))]
    Refused {
        /// `hold` or `release`.
        operation: &'static str,
        /// Each reimbursement refused, and why.
        refusals: Vec<HoldRefusal>,
    },
    /// A hold without a reason.
    #[error("a hold needs a reason (--reason TEXT)")]
    NoReason,
    /// The reimbursement does not exist.
    #[error("reimbursement {0} does not exist")]
    NotFound(i64),
    /// `approve --run N` where run N does not exist (`kind` none) or is not a reimbursement run.
    #[error("{}", match kind {
        None => format!("there is no run {run} (see `reimburse runs`)"),
        Some(kind) => format!("run {run} is a {kind} run, not a reimbursement run: only a reimbursement run has reimbursements to approve"),
    })]
    NotAReimbursementRun {
        /// The run asked for.
        run: crate::ledger::RunId,
        /// Its kind, when it exists.
        kind: Option<String>,
    },
    /// An amount that cannot be converted to the accounting currency.
    #[error(transparent)]
    Conversion(#[from] ConversionError),
    /// The ledger refused, or the database failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<StoreError> for LifecycleError {
    fn from(e: StoreError) -> Self {
        LifecycleError::Ledger(LedgerError::Store(e))
    }
}

/// The refusals, one a line.
fn list(refusals: &[HoldRefusal]) -> String {
    refusals.iter().map(|r| format!("\n  {r}")).collect()
}
