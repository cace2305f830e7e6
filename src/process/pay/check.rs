//! What `pay` looks at before paying a reimbursement: one pending approval or held by a user is
//! not paid (and listed with the reason); for the others, the check before paying: a refund whose
//! customer owes something that arrived after the reimbursement (open debits in its currency,
//! entered after the reimbursement's own customer transaction, more than the open credits entered
//! since: an unapplied payment counts) is held, not paid; a refund the
//! check held whose customer owes nothing new any more is released and paid. Each hold and release
//! of the check is recorded as a decision of the payment run. The company parameter
//! `check_before_paying: false` turns the check off.

use super::{NotPaid, NotPaidReason};
use crate::ledger::{
    DecisionKind, DecisionSubject, Ledger, NewDecision, ReimbursementStatus, RunId, WithInvoice,
};
use crate::process::error::RunError;

/// Who pays: the payment run, its user and its start.
pub(super) struct Payer<'a> {
    pub run: RunId,
    pub user: &'a str,
    pub at: &'a str,
}

/// Why `invoice` is not paid now (holding it if the check says so), or `None` to pay it
/// (releasing a hold of the check that no longer applies).
pub(super) fn before_paying(
    ledger: &Ledger,
    invoice: &WithInvoice,
    payer: &Payer,
) -> Result<Option<NotPaid>, RunError> {
    let r = &invoice.reimbursement;
    let held_by_check = r.status == ReimbursementStatus::Held && invoice.held_by_check;
    match r.status {
        ReimbursementStatus::PendingApproval => {
            return Ok(Some(not_paid(invoice, NotPaidReason::PendingApproval)));
        }
        ReimbursementStatus::Held if !held_by_check => {
            return Ok(Some(not_paid(invoice, NotPaidReason::Held)));
        }
        _ => {}
    }
    let owing = ledger.params().check_before_paying
        && ledger.owed_since(&r.customer, &r.currency, invoice.customer_txn)? > 0;
    let reason = NotPaidReason::OpenDebitsSinceReimbursement;
    let decide = |decision, reason: Option<&str>| {
        ledger.record_decision(&NewDecision {
            subject: DecisionSubject::Reimbursement(r.id),
            decision,
            user: payer.user,
            at: payer.at,
            run: Some(payer.run),
            reason,
        })
    };
    match (owing, held_by_check) {
        (true, false) => {
            ledger.hold_reimbursement(r.id, reason.as_str(), Some(payer.run))?;
            decide(DecisionKind::Hold, Some(reason.as_str()))?;
        }
        (false, true) => {
            ledger.release_hold(r.id)?;
            decide(
                DecisionKind::Release,
                Some("the check before paying passed: no open debits since the reimbursement"),
            )?;
        }
        _ => {}
    }
    Ok(owing.then(|| not_paid(invoice, reason)))
}

/// `invoice` not paid for `reason` (with the hold's own reason when it is held).
fn not_paid(invoice: &WithInvoice, reason: NotPaidReason) -> NotPaid {
    let r = &invoice.reimbursement;
    let mut not_paid = NotPaid::of(r, reason);
    if reason == NotPaidReason::Held {
        not_paid.detail = r.hold_reason.clone();
    }
    not_paid
}
