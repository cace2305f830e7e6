//! The public types of a bank file: the message, its debtor, the credit transfers, and the summary
//! of what was written.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::bank::{Bic, Iban};

/// What the whole file shares: the group header and the debtor of every payment block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditTransferMessage {
    /// `GrpHdr/MsgId`, unique per file (the payment run's number is a good choice); put in the
    /// SEPA character set, without a leading or trailing `/` or a `//`, and cut to 35 characters.
    pub message_id: String,
    /// `GrpHdr/CreDtTm`, written to the second (`2026-11-30T14:05:09`), local time without an
    /// offset, as `xs:dateTime` allows.
    pub created_at: NaiveDateTime,
    /// `GrpHdr/InitgPty/Nm`: the company's name (at most 70 characters once sanitised).
    pub initiating_party: String,
    /// The account every transfer is paid from.
    pub debtor: Debtor,
}

/// The company's bank account, written in every payment information block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    /// `Dbtr/Nm`: the account holder's name (at most 70 characters once sanitised).
    pub name: String,
    /// `DbtrAcct/Id/IBAN`.
    pub iban: Iban,
    /// `DbtrAgt/FinInstnId/BICFI`; without one, `DbtrAgt/FinInstnId/Othr/Id` is `NOTPROVIDED`,
    /// the one value the guidelines allow there.
    pub bic: Option<Bic>,
}

/// One payment to a creditor: one `CdtTrfTxInf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditTransfer {
    /// `PmtInf/ReqdExctnDt/Dt`: the transfers of one date share a payment information block.
    pub execution_date: NaiveDate,
    /// `PmtId/EndToEndId`: the reference the creditor's bank passes on (the vendor invoice
    /// number); sanitised like an id, at most 35 characters.
    pub end_to_end_id: String,
    /// `Amt/InstdAmt` in EUR: 0.01 to 999,999,999.99 with at most two decimals; written with
    /// exactly two.
    pub amount: Decimal,
    /// `Cdtr/Nm` (at most 70 characters once sanitised).
    pub creditor_name: String,
    /// `CdtrAcct/Id/IBAN`.
    pub creditor_iban: Iban,
    /// `CdtrAgt/FinInstnId/BICFI`; without one there is no `CdtrAgt`, as the guidelines require.
    pub creditor_bic: Option<Bic>,
    /// `RmtInf/Ustrd`: what lets the creditor recognise the payment, at most 140 characters once
    /// sanitised; no `RmtInf` when nothing is left.
    pub remittance: String,
}

/// What a written file holds, as its group header says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankFileSummary {
    /// The `MsgId` as written (sanitised).
    pub message_id: String,
    /// `GrpHdr/NbOfTxs`: the number of credit transfers.
    pub transactions: u64,
    /// `GrpHdr/CtrlSum`: the sum of their amounts, in EUR.
    pub control_sum: Decimal,
    /// The number of payment information blocks (one per execution date).
    pub payment_blocks: u64,
}
