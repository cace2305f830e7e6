//! What a payment run reports: each [`Payment`] made, each invoice [`NotPaid`] and why, the
//! totals, and the bank file written ([`PayReport`]); [`PayEvent`] hands them on one at a time.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Totals;
use super::transfers::BankFileWritten;
use crate::ledger::RunId;
use crate::process::report::{as_text, totals_as_text};

/// A payment made (or proposed) by [`super::pay`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The reimbursement paid.
    pub reimbursement: i64,
    /// Customer account.
    pub customer: String,
    /// Vendor account.
    pub vendor: String,
    /// Currency.
    pub currency: String,
    /// Amount paid.
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// The part of the invoice settled by the vendor's open debits (a payment already recorded
    /// but not settled), which `pay` settles first: only the rest is paid.
    #[serde(serialize_with = "as_text")]
    pub settled_by_debit: Decimal,
    /// Vendor invoice paid.
    pub vendor_invoice: String,
    /// Payment voucher (empty when the vendor's open debits settled the whole invoice).
    pub voucher: String,
    /// With a bank file: why this payment is not one of its transfers (absent when it is, and
    /// without a bank file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_in_bank_file: Option<NotInBankFile>,
}

/// Why a payment made is not in the bank file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotInBankFile {
    /// A SEPA credit transfer is in euro: payments in other currencies are made in the ledger
    /// and left to another channel.
    Currency,
    /// The vendor's open debits settled the whole invoice: nothing is transferred.
    NothingToTransfer,
}

impl NotInBankFile {
    /// The words the output and JSON show.
    pub fn as_str(self) -> &'static str {
        match self {
            NotInBankFile::Currency => "not in the bank file (currency)",
            NotInBankFile::NothingToTransfer => {
                "not in the bank file (settled by the vendor's open debits)"
            }
        }
    }
}

crate::text::shown_as_words!(NotInBankFile);

/// An unpaid invoice `pay` looked at and did not pay, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotPaid {
    /// The reimbursement.
    pub reimbursement: i64,
    /// Customer account.
    pub customer: String,
    /// Vendor account.
    pub vendor: String,
    /// Currency.
    pub currency: String,
    /// The amount the reimbursement is for.
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// Vendor invoice left open.
    pub vendor_invoice: String,
    /// Why it was not paid.
    pub reason: NotPaidReason,
    /// For a hold, the hold's own reason (absent from JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl NotPaid {
    /// Reimbursement `r`'s invoice, not paid for `reason` (no detail).
    pub(super) fn of(r: &crate::ledger::Reimbursement, reason: NotPaidReason) -> NotPaid {
        NotPaid {
            reimbursement: r.id,
            customer: r.customer.clone(),
            vendor: r.vendor.clone(),
            currency: r.currency.clone(),
            amount: r.amount,
            vendor_invoice: r.vendor_invoice.clone(),
            reason,
            detail: None,
        }
    }
}

/// Why `pay` did not pay an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotPaidReason {
    /// The check before paying: the customer owes something (an open debit in the currency) that
    /// arrived after the reimbursement. The reimbursement is held until a payment run finds the
    /// debit settled.
    OpenDebitsSinceReimbursement,
    /// With a bank file: a EUR payment to a vendor without an IBAN (for a one-time vendor,
    /// neither it nor its customer has one). The invoice stays open, not held.
    NoBankAccount,
    /// Above the approval threshold and not yet approved.
    PendingApproval,
    /// Held by a user (`reimburse hold`) until released; the hold's reason is the detail.
    Held,
    /// With a bank file: SEPA cannot carry the transfer (an IBAN outside SEPA, an amount out of
    /// its range or with more than two decimals, a creditor name with nothing left in its
    /// character set); the detail says which. The invoice stays open, not held.
    NotPayableBySepa,
}

impl NotPaidReason {
    /// The words the output, JSON and the reimbursement page show.
    pub fn as_str(self) -> &'static str {
        match self {
            NotPaidReason::OpenDebitsSinceReimbursement => {
                "customer has open debits since the reimbursement"
            }
            NotPaidReason::NoBankAccount => "no bank account",
            NotPaidReason::PendingApproval => "pending approval",
            NotPaidReason::Held => "held",
            NotPaidReason::NotPayableBySepa => "not payable by SEPA transfer",
        }
    }
}

crate::text::shown_as_words!(NotPaidReason);

/// What [`super::pay_observed`] hands its observer.
#[derive(Debug, Clone, Copy)]
pub enum PayEvent<'a> {
    /// A payment made.
    Paid(&'a Payment),
    /// An invoice not paid.
    NotPaid(&'a NotPaid),
}

/// What `pay` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayReport {
    /// The payment run's id.
    pub run: RunId,
    /// True for a dry run.
    pub dry_run: bool,
    /// Payment date.
    pub date: NaiveDate,
    /// The payments.
    pub payments: Vec<Payment>,
    /// The invoices looked at and not paid, with the reason.
    pub not_paid: Vec<NotPaid>,
    /// How many invoices were paid.
    pub paid: u64,
    /// How many were held (by the check before paying, or by a user).
    pub held: u64,
    /// How many wait for an approval.
    pub pending_approval: u64,
    /// How many were not paid for want of a bank account SEPA can reach.
    pub no_bank_account: u64,
    /// Total paid per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: Totals,
    /// Total settled by the vendors' open debits per currency (none when there were none).
    #[serde(serialize_with = "totals_as_text")]
    pub settled_by_debit: Totals,
    /// The bank file written (or that a dry run would write); absent without `--bank-file` or
    /// when no payment went into it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_file: Option<BankFileWritten>,
}

impl PayReport {
    /// An empty report of payment run `run`.
    pub(super) fn new(run: RunId, dry_run: bool, date: NaiveDate) -> PayReport {
        PayReport {
            run,
            dry_run,
            date,
            payments: Vec::new(),
            not_paid: Vec::new(),
            paid: 0,
            held: 0,
            pending_approval: 0,
            no_bank_account: 0,
            totals: Totals::new(),
            settled_by_debit: Totals::new(),
            bank_file: None,
        }
    }

    /// Counts a payment made in the totals.
    pub(super) fn count_paid(&mut self, payment: &Payment) {
        for (totals, amount) in [
            (&mut self.totals, payment.amount),
            (&mut self.settled_by_debit, payment.settled_by_debit),
        ] {
            if !amount.is_zero() {
                *totals.entry(payment.currency.clone()).or_default() += amount;
            }
        }
        self.paid += 1;
    }

    /// Counts an invoice not paid.
    pub(super) fn count_not_paid(&mut self, not_paid: &NotPaid) {
        match not_paid.reason {
            NotPaidReason::OpenDebitsSinceReimbursement | NotPaidReason::Held => self.held += 1,
            NotPaidReason::NoBankAccount | NotPaidReason::NotPayableBySepa => {
                self.no_bank_account += 1
            }
            NotPaidReason::PendingApproval => self.pending_approval += 1,
        }
    }
}
