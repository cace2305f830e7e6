//! The reversing posting of one reimbursement ([`post_reversal`]): a voucher that mirrors the
//! original (the vendor debited, the customer credited), the reimbursement marked reversed, then
//! its vendor invoice settled by the reversal. History is added, never deleted: the original
//! voucher and its settlements stay, and the customer's new credit is open (the next run
//! reimburses it again, or nets it against new invoices).
//!
//! Depends on the ledger's primitives only.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::ledger::{Ledger, LedgerError, LineDraft, Target, VoucherDraft, WithInvoice};
use crate::process::report::as_text;

/// A reimbursement reversed (or, in a dry run, that would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reversal {
    /// The reimbursement.
    pub reimbursement: i64,
    /// Its customer, whose credit is open again.
    pub customer: String,
    /// Its vendor (a one-time vendor stays, linked to its customer).
    pub vendor: String,
    /// Currency.
    pub currency: String,
    /// Amount reversed (the reimbursement's, positive).
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// The reimbursement's own voucher.
    pub voucher: String,
    /// Its vendor invoice, settled by the reversal.
    pub vendor_invoice: String,
    /// The reversing voucher.
    pub reversal_voucher: String,
    /// The reversal date.
    pub date: NaiveDate,
}

/// Posts the reversal of `invoice` on `date`: the vendor debited (payables), the customer credited
/// (receivables), each for the reimbursement's amount; marks it reversed, then settles its vendor
/// invoice with the reversal's vendor transaction. The caller checked that it is unpaid, not
/// reversed, dated on or before `date`, and its invoice open in full.
pub(super) fn post_reversal(
    ledger: &Ledger,
    invoice: &WithInvoice,
    date: NaiveDate,
) -> Result<Reversal, LedgerError> {
    let r = &invoice.reimbursement;
    debug_assert!(r.amount > Decimal::ZERO && r.date <= date);
    let line = |target, amount, document: &str| LineDraft {
        target,
        currency: r.currency.clone(),
        amount,
        document: Some(document.to_string()),
        kind: Some("reversal".into()),
    };
    let posted = ledger.post_voucher(&VoucherDraft {
        sequence: ledger.params().sequences.reversal_sequence().into(),
        date,
        description: format!(
            "Reversal of {} ({} to vendor {}, reimbursement of {})",
            r.voucher, r.vendor_invoice, r.vendor, r.customer
        ),
        lines: vec![
            line(
                Target::Vendor(r.vendor.clone()),
                r.amount,
                &r.vendor_invoice,
            ),
            line(Target::Customer(r.customer.clone()), -r.amount, &r.voucher),
        ],
    })?;
    // Marked first: the settlement below must not mark it paid (the trigger leaves reversed
    // reimbursements alone).
    ledger.mark_reversed(r.id, posted.id, date)?;
    let debit = posted.vendor_transactions[0];
    let settled = ledger.settle(debit, invoice.vendor_txn, Some(r.amount), date)?;
    debug_assert_eq!(settled, r.amount);
    debug_assert_eq!(ledger.open_minor(invoice.vendor_txn)?, 0);
    debug_assert_eq!(ledger.open_minor(debit)?, 0);
    Ok(Reversal {
        reimbursement: r.id,
        customer: r.customer.clone(),
        vendor: r.vendor.clone(),
        currency: r.currency.clone(),
        amount: r.amount,
        voucher: r.voucher.clone(),
        vendor_invoice: r.vendor_invoice.clone(),
        reversal_voucher: posted.number,
        date,
    })
}
