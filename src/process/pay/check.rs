//! The check before paying: a refund whose customer owes something that arrived after the
//! reimbursement (an open debit in its currency, entered after the reimbursement's own customer
//! transaction) is held, not paid; a held refund whose customer owes nothing new any more is
//! released and paid. The company parameter `check_before_paying: false` turns the check off.

use super::{NotPaid, NotPaidReason};
use crate::ledger::{Ledger, ReimbursementStatus, RunId, WithInvoice};
use crate::process::error::RunError;

/// Holds `invoice`'s reimbursement (recording payment run `run`) and returns why, when its
/// customer has open debits since it; else releases a hold it had and returns `None`.
pub(super) fn before_paying(
    ledger: &Ledger,
    invoice: &WithInvoice,
    run: RunId,
) -> Result<Option<NotPaid>, RunError> {
    let r = &invoice.reimbursement;
    let held = r.status == ReimbursementStatus::Held;
    let owing = ledger.params().check_before_paying
        && ledger.open_debits_since(&r.customer, &r.currency, invoice.customer_txn)? > 0;
    if !owing {
        if held {
            ledger.release_hold(r.id)?;
        }
        return Ok(None);
    }
    let reason = NotPaidReason::OpenDebitsSinceReimbursement;
    ledger.hold_reimbursement(r.id, reason.as_str(), run)?;
    Ok(Some(NotPaid {
        reimbursement: r.id,
        customer: r.customer.clone(),
        vendor: r.vendor.clone(),
        currency: r.currency.clone(),
        amount: r.amount,
        vendor_invoice: r.vendor_invoice.clone(),
        reason,
    }))
}
