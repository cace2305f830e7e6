//! Why a write-off run or its reversal wrote nothing ([`WriteOffError`]).

use chrono::NaiveDate;

use crate::ledger::{LedgerError, RunId};
use crate::process::RunError;
use crate::store::StoreError;

/// Why a write-off run or a reversal of write-offs stopped. Whatever the error, nothing was
/// written (one transaction, rolled back).
#[derive(Debug, thiserror::Error)]
pub enum WriteOffError {
    /// The rules, a hook or the ledger failed (as in a run).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The run to reverse does not exist or is not a write-off run.
    #[error("run {run} is not a write-off run ({what}): see `reimburse runs`")]
    NotAWriteOffRun {
        /// The run asked for.
        run: RunId,
        /// What it is instead (`a payment run`, `not recorded`).
        what: String,
    },
    /// A write-off to reverse does not exist.
    #[error("write-off {0} does not exist: see `reimburse write-offs`")]
    NoSuchWriteOff(i64),
    /// A write-off to reverse is reversed already (nothing was reversed).
    #[error(
        "write-off {id} was already reversed by voucher {voucher} on {date}: nothing was reversed"
    )]
    AlreadyReversed {
        /// The write-off.
        id: i64,
        /// Its reversing voucher.
        voucher: String,
        /// When.
        date: NaiveDate,
    },
    /// The reversal's date is before a write-off it would reverse (nothing was reversed).
    #[error(
        "the reversal date {date} is before write-off {id} of {original}: a reversal cannot be \
         dated before what it reverses (nothing was reversed)"
    )]
    DateBeforeOriginal {
        /// The write-off.
        id: i64,
        /// Its date.
        original: NaiveDate,
        /// The reversal's date.
        date: NaiveDate,
    },
    /// A reversal without a reason.
    #[error("a reversal needs a reason (--reason TEXT)")]
    NoReason,
    /// Nothing to reverse (no write-off named).
    #[error("nothing to reverse: {0}")]
    Nothing(String),
}

impl From<LedgerError> for WriteOffError {
    fn from(e: LedgerError) -> Self {
        WriteOffError::Run(RunError::Ledger(e))
    }
}

impl From<StoreError> for WriteOffError {
    fn from(e: StoreError) -> Self {
        WriteOffError::Run(RunError::from(e))
    }
}
