//! The bank file: the payments `pay` made in EUR, as a SEPA Credit Transfer initiation the bank
//! accepts, ISO 20022 `pain.001.001.09` as the European Payments Council's implementation
//! guidelines restrict it (EPC132-08, SCT customer-to-bank; the schema is
//! `schemas/iso20022/pain.001.001.09.xsd`).
//!
//! [`write_credit_transfers`] takes a [`CreditTransferMessage`] (message id, creation time,
//! initiating party, the [`Debtor`]'s account) and a list of [`CreditTransfer`]s, checks all of
//! them first (amounts, texts, dates: an error writes nothing), and writes one document: a group
//! header, then one payment information block per execution date, in date order, each with its own
//! count and control sum. Texts are put in the EPC's Latin character set and cut to the lengths
//! the guidelines allow ([`sepa_text`]); the XML is written by `quick-xml`, which escapes. The same
//! message and transfers give the same bytes.
//!
//! A feature that may depend on `money` and [`crate::bank`] only (it uses
//! [`Iban`](crate::bank::Iban) and [`Bic`](crate::bank::Bic)), besides `chrono` and
//! `rust_decimal`: never on the store, the ledger or the process, and it writes no SQL. The caller
//! (`pay`) turns what it paid into [`CreditTransfer`]s.
//!
//! A file per part: `message` (the public types), `text` (the SEPA character set), `checked` (the
//! transfers checked, sanitised and grouped into blocks before a byte is written), `write` (the
//! XML), `error`.

mod checked;
mod error;
mod message;
mod text;
mod write;

pub use checked::{check_transferable, id_keeping_the_end};
pub use error::BankFileError;
pub use message::{BankFileSummary, CreditTransfer, CreditTransferMessage, Debtor};
pub use text::{ID_MAX_CHARS, NAME_MAX_CHARS, REMITTANCE_MAX_CHARS, sepa_text};
pub use write::{PURPOSE_CODE, write_credit_transfers};

/// The XML namespace of the files [`write_credit_transfers`] writes (how a previous bank file is
/// recognised before it is replaced).
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
