//! The accounts-payable step: [`pay`] and [`pay_observed`] pay open reimbursement invoices (the
//! vendor's open debits first, then a payment voucher against the bank), recorded as a run of
//! kind `payment`. Depends on the ledger's reimbursements and the audit trail, never on the rules.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::audit::{now_text, parameters_hash};
use super::error::RunError;
use super::report::{as_text, totals_as_text};
use crate::ledger::{
    Ledger, LedgerError, LineDraft, NewRun, PostedVoucher, ReimbursementFilter,
    ReimbursementStatus, RunCounts, RunId, RunKind, Target, VoucherDraft, WithInvoice,
};

/// A payment made (or proposed) by [`pay`].
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
    /// Total paid per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
    /// Total settled by the vendors' open debits per currency (none when there were none).
    #[serde(serialize_with = "totals_as_text")]
    pub settled_by_debit: BTreeMap<String, Decimal>,
}

/// The accounts-payable step: pays the open reimbursement invoices that match `filter` (its status
/// is ignored): debit the payables summary account (the vendor), credit the bank, settle the vendor
/// invoice and mark the reimbursement paid. Atomic; a dry run rolls back.
pub fn pay(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    date: NaiveDate,
    dry_run: bool,
    user: &str,
) -> Result<PayReport, RunError> {
    let mut payments = Vec::new();
    let mut report = pay_observed(ledger, filter, date, dry_run, user, &mut |p| {
        payments.push(p.clone())
    })?;
    report.payments = payments;
    Ok(report)
}

/// Like [`pay`], handing each payment to `observer` as it is made instead of keeping it (memory
/// stays flat however many invoices are paid): the returned report has the totals but an empty
/// payment list. Atomic like [`pay`]: nothing observed is written unless it returns `Ok` (and is
/// not a dry run).
pub fn pay_observed(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    date: NaiveDate,
    dry_run: bool,
    user: &str,
    observer: &mut dyn FnMut(&Payment),
) -> Result<PayReport, RunError> {
    let store = ledger.store();
    let mut filter = filter.clone();
    filter.status = Some(ReimbursementStatus::Open.as_str().into());
    store.begin()?;
    // A payment pays what runs invoiced (see MAX_PROCESS_TOTAL).
    let _bound = ledger.process_postings();
    let result = pay_in_transaction(ledger, filter, date, dry_run, user, observer);
    ledger.set_run(None);
    ledger.take_journal();
    match result {
        Ok(report) => {
            if dry_run {
                store.rollback();
            } else {
                store.commit()?;
            }
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

/// The payment run inside its transaction: records the run, pays each open invoice that matches
/// `filter` and records the count.
fn pay_in_transaction(
    ledger: &Ledger,
    mut filter: ReimbursementFilter,
    date: NaiveDate,
    dry_run: bool,
    user: &str,
    observer: &mut dyn FnMut(&Payment),
) -> Result<PayReport, RunError> {
    let run_id = ledger.insert_run(&NewRun {
        kind: RunKind::Payment,
        started_at: &now_text(),
        finished_at: None,
        user,
        posting_date: date,
        selection: &filter.to_string(),
        rules_path: None,
        rules_hash: None,
        parameters_hash: &parameters_hash(ledger),
    })?;
    ledger.set_run(Some(run_id));
    let mut report = PayReport {
        run: run_id,
        dry_run,
        date,
        payments: Vec::new(),
        totals: BTreeMap::new(),
        settled_by_debit: BTreeMap::new(),
    };
    let mut paid = 0i64;
    // Page through all the open invoices so memory stays flat however many there are.
    filter.limit = None;
    ledger.reimbursement_pages(&filter, |open| -> Result<(), RunError> {
        // Nothing reads what the primitives journal here: drop it a page at a time so it
        // does not grow with the number of invoices.
        ledger.take_journal();
        for invoice in open {
            if let Some(payment) = pay_invoice(ledger, invoice, date)? {
                for (totals, amount) in [
                    (&mut report.totals, payment.amount),
                    (&mut report.settled_by_debit, payment.settled_by_debit),
                ] {
                    if !amount.is_zero() {
                        *totals.entry(payment.currency.clone()).or_default() += amount;
                    }
                }
                paid += 1;
                observer(&payment);
            }
        }
        Ok(())
    })?;
    let counts = RunCounts {
        reimbursed: paid,
        ..RunCounts::default()
    };
    ledger.finish_run(run_id, &now_text(), &counts)?;
    Ok(report)
}

/// Pays one open reimbursement invoice (`vendor_txn`, the vendor transaction of `r`) on `date`:
/// the vendor's open debits settle it first (a payment recorded but not settled: paying the
/// invoice in full as well would pay the vendor twice), then a payment voucher (the vendor against
/// the bank) pays the rest and settles it. `None` when nothing is open.
fn pay_invoice(
    ledger: &Ledger,
    invoice: WithInvoice,
    date: NaiveDate,
) -> Result<Option<Payment>, RunError> {
    let WithInvoice {
        reimbursement: r,
        vendor_txn,
    } = invoice;
    let currency = ledger.currency(&r.currency)?;
    let open_amount = -currency.from_minor(ledger.open_minor(vendor_txn)?);
    if open_amount <= Decimal::ZERO {
        return Ok(None);
    }
    // A payment dated before its invoice would settle a debt not yet owed.
    if r.date > date {
        return Err(LedgerError::Invalid(format!(
            "cannot pay {} on {date}: it is dated {} (pay on or after that date, or leave it out with --customer, --vendor or --run)",
            r.vendor_invoice, r.date
        ))
        .into());
    }
    let settled_by_debit = ledger.settle_against_open_until(vendor_txn, date)?;
    let amount = open_amount - settled_by_debit;
    debug_assert!(amount >= Decimal::ZERO);
    let mut payment = Payment {
        reimbursement: r.id,
        customer: r.customer,
        vendor: r.vendor,
        currency: r.currency,
        amount: currency.from_minor(0),
        settled_by_debit,
        vendor_invoice: r.vendor_invoice,
        voucher: String::new(),
    };
    if amount.is_zero() {
        return Ok(Some(payment));
    }
    let posted = post_payment(ledger, &payment, amount, date)?;
    // Settling the invoice in full marks the reimbursement paid, with this payment and date (the
    // database's `reimbursement_paid` trigger, as for any payment).
    ledger.settle(
        posted.vendor_transactions[0],
        vendor_txn,
        Some(amount),
        date,
    )?;
    payment.amount = amount;
    payment.voucher = posted.number;
    Ok(Some(payment))
}

/// Posts the payment voucher of `amount` for `payment`'s invoice: the vendor (payables) against
/// the bank.
fn post_payment(
    ledger: &Ledger,
    payment: &Payment,
    amount: Decimal,
    date: NaiveDate,
) -> Result<PostedVoucher, LedgerError> {
    let line = |target, amount, document, kind: Option<&str>| LineDraft {
        target,
        currency: payment.currency.clone(),
        amount,
        document,
        kind: kind.map(str::to_string),
    };
    ledger
        .post_voucher(&VoucherDraft {
            sequence: "payment".into(),
            date,
            description: format!(
                "Payment of {} to vendor {} (reimbursement of {})",
                payment.vendor_invoice, payment.vendor, payment.customer
            ),
            lines: vec![
                line(
                    Target::Vendor(payment.vendor.clone()),
                    amount,
                    Some(payment.vendor_invoice.clone()),
                    Some("payment"),
                ),
                line(
                    Target::Account(ledger.params().accounts.bank.clone()),
                    -amount,
                    None,
                    None,
                ),
            ],
        })
        .map_err(|e| {
            LedgerError::Invalid(format!(
                "reimbursement {} ({} → {}): {e}",
                payment.reimbursement, payment.customer, payment.vendor
            ))
        })
}
