//! Why a bank file is not written.

use rust_decimal::Decimal;

/// A bank file that cannot be written. Everything but [`BankFileError::Io`] is found before the
/// first byte is written.
#[derive(Debug, thiserror::Error)]
pub enum BankFileError {
    /// A `pain.001` holds at least one transfer.
    #[error("no credit transfers: a bank file needs at least one")]
    NoTransfers,
    /// An amount SEPA cannot carry.
    #[error(
        "credit transfer '{end_to_end_id}': {amount} EUR is outside 0.01 to 999999999.99, the \
         amounts a SEPA credit transfer can carry"
    )]
    AmountOutOfRange {
        /// The transfer's end-to-end id, as given.
        end_to_end_id: String,
        /// Its amount.
        amount: Decimal,
    },
    /// An amount with fractions of a cent.
    #[error("credit transfer '{end_to_end_id}': {amount} EUR has more than 2 decimals")]
    AmountDecimals {
        /// The transfer's end-to-end id, as given.
        end_to_end_id: String,
        /// Its amount.
        amount: Decimal,
    },
    /// A required id or name with nothing left once put in the SEPA character set (it was empty,
    /// or only characters that cannot be transliterated).
    #[error("{what} '{text}' is empty once written in the SEPA character set")]
    EmptyText {
        /// Which text: "the message id", "the creditor name of credit transfer 'VI-000012'", ….
        what: String,
        /// The text as given.
        text: String,
    },
    /// A date or time the schema's `xs:date` / `xs:dateTime` cannot carry as written.
    #[error("{what} {value} is outside the years 1 to 9999")]
    Date {
        /// Which date: "the creation time", "the execution date of credit transfer '…'".
        what: String,
        /// The date as given.
        value: String,
    },
    /// A control sum beyond the schema's 18 digits (16 before the decimal point).
    #[error("the control sum {0} EUR has more digits than a pain.001 allows (18)")]
    ControlSumTooLarge(Decimal),
    /// Writing failed.
    #[error("cannot write the bank file: {0}")]
    Io(#[from] std::io::Error),
}
