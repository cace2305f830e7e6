//! What can go wrong in an export: [`ExportError`].

use chrono::NaiveDate;

use super::Format;
use crate::ledger::LedgerError;

/// An error of the export. Whatever was written before it is incomplete.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the books failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Writing the journal failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// The output file cannot be written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Two accounts would be exported under the same name.
    #[error(
        "accounts {first} and {second} would both be exported as '{name}' (names are sanitized for the journal format); rename one of them"
    )]
    NameCollision {
        /// The exported name.
        name: String,
        /// The first account (general-ledger account and customer or vendor).
        first: String,
        /// The second account.
        second: String,
    },
    /// A currency code that the format cannot write.
    #[error("currency '{code}' cannot be written in {format} format: {reason}")]
    Currency {
        /// The currency code.
        code: String,
        /// The format.
        format: Format,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The `from` date is after the `to` date.
    #[error("the export period is empty: --from {from} is after --to {to}")]
    EmptyPeriod {
        /// Start date.
        from: NaiveDate,
        /// End date.
        to: NaiveDate,
    },
}

impl From<ExportError> for crate::Error {
    /// Write errors stay I/O errors (so a closed pipe is not reported) and ledger errors stay
    /// ledger errors.
    fn from(e: ExportError) -> crate::Error {
        match e {
            ExportError::Io(e) => crate::Error::Io(e),
            ExportError::Ledger(e) => crate::Error::Ledger(e),
            other => crate::Error::Export(other),
        }
    }
}
