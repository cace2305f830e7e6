//! Paying one open reimbursement invoice: the vendor's open debits first, then a payment voucher
//! (the vendor against the bank) for the rest.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Payment;
use crate::ledger::{
    Ledger, LedgerError, LineDraft, PostedVoucher, Target, VoucherDraft, WithInvoice,
};
use crate::process::error::RunError;

/// Pays one open reimbursement invoice (`vendor_txn`, the vendor transaction of `r`) on `date`:
/// the vendor's open debits settle it first (a payment recorded but not settled: paying the
/// invoice in full as well would pay the vendor twice), then a payment voucher (the vendor against
/// the bank) pays the rest and settles it. `None` when nothing is open.
pub(super) fn pay_invoice(
    ledger: &Ledger,
    invoice: &WithInvoice,
    date: NaiveDate,
) -> Result<Option<Payment>, RunError> {
    let r = &invoice.reimbursement;
    let vendor_txn = invoice.vendor_txn;
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
        customer: r.customer.clone(),
        vendor: r.vendor.clone(),
        currency: r.currency.clone(),
        amount: currency.from_minor(0),
        settled_by_debit,
        vendor_invoice: r.vendor_invoice.clone(),
        voucher: String::new(),
        not_in_bank_file: None,
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
