//! The engine's check of a hook's work, from the journal of the ledger's writes: a deciding hook
//! wrote nothing (`check_no_postings`), and `post_reimbursement` posted exactly one vendor invoice,
//! fully settled against the customer's open credits (`check_posting`). Reads the journal and the
//! currency only: never the rules, never the database.

use rust_decimal::Decimal;

use super::error::HookError;
use crate::ledger::{Balance, Customer, Journal, Ledger, PostedVoucher, Side, Vendor};

pub(super) fn check_no_postings(
    ledger: &Ledger,
    hook: &str,
    refuse: &dyn Fn(&str, String) -> Box<HookError>,
) -> Result<(), Box<HookError>> {
    let journal = ledger.take_journal();
    if journal != Journal::default() {
        return Err(refuse(
            hook,
            "must only decide: it may not post, settle, take numbers, create or link vendors"
                .into(),
        ));
    }
    Ok(())
}

pub(super) type Checked = (PostedVoucher, Decimal, i64, i64, String);

/// The engine's check of what `post_reimbursement` did, from the journal of its writes (the
/// ledger primitives already refused anything unbalanced, over-settled or cross-account).
pub(super) fn check_posting(
    ledger: &Ledger,
    customer: &Customer,
    credit: &Balance,
    vendor: &Vendor,
    mut journal: Journal,
) -> Result<Checked, String> {
    if !journal.vendors_created.is_empty() {
        return Err("must not create vendors".into());
    }
    if !journal.links.is_empty() {
        return Err("must not link vendors".into());
    }
    if !journal.master_data.is_empty() {
        return Err("must not create or change customers or vendors".into());
    }
    for v in &journal.vouchers {
        for (_, currency, amount) in &v.lines {
            if *currency != credit.currency {
                return Err(format!(
                    "voucher {} posts {amount} {currency}, but the credit is in {}",
                    v.number, credit.currency
                ));
            }
        }
    }
    for s in &journal.settlements {
        if s.side == Side::Vendor {
            return Err("must not settle vendor transactions".into());
        }
        if s.account != customer.account {
            return Err(format!(
                "settled transactions of another customer ({})",
                s.account
            ));
        }
    }
    // A run posts refunds: the reimbursement's vendor invoice and nothing else. Other postings
    // belong to scripts, which are recorded as runs of their own.
    if let Some(other) = journal.vouchers.iter().find(|v| v.sub_ledger.is_empty()) {
        return Err(format!(
            "voucher {} is not the reimbursement's vendor invoice: a run posts the reimbursement \
             and nothing else (post other vouchers with `reimburse script`, which records them as a \
             run of their own)",
            other.number
        ));
    }
    let mut invoices = Vec::new();
    for (i, v) in journal.vouchers.iter().enumerate() {
        for line in &v.sub_ledger {
            if line.side == Side::Customer && line.account != customer.account {
                return Err(format!(
                    "voucher {} posts to another customer ({})",
                    v.number, line.account
                ));
            }
        }
        if !v.sub_ledger.is_empty() {
            invoices.push(i);
        }
    }
    let voucher = match invoices.as_slice() {
        [one] => journal.vouchers.swap_remove(*one),
        [] => return Err("posted no vendor invoice (call post_vendor_invoice)".into()),
        many => {
            return Err(format!(
                "posted {} vouchers on the customer or vendor; a reimbursement is exactly one vendor invoice",
                many.len()
            ));
        }
    };
    let customer_lines: Vec<_> = voucher
        .sub_ledger
        .iter()
        .filter(|l| l.side == Side::Customer)
        .collect();
    let vendor_lines: Vec<_> = voucher
        .sub_ledger
        .iter()
        .filter(|l| l.side == Side::Vendor)
        .collect();
    let ([ct], [vt]) = (customer_lines.as_slice(), vendor_lines.as_slice()) else {
        return Err(format!(
            "voucher {} must have exactly one customer line and one vendor line",
            voucher.number
        ));
    };
    if vt.account != vendor.account {
        return Err(format!(
            "the invoice went to vendor {}, but vendor_for chose {}",
            vt.account, vendor.account
        ));
    }
    if ct.amount <= Decimal::ZERO || vt.amount != -ct.amount {
        return Err(format!(
            "a reimbursement debits the customer and credits the vendor by the same positive amount (customer {}, vendor {})",
            ct.amount, vt.amount
        ));
    }
    // The invoice's customer transaction was made in this hook, open for its whole amount, and
    // only `Ledger::apply_settlement` moves an open amount, journaling each settlement: what is
    // still open is the amount less the settlements of it in the journal (no read needed).
    let currency = ledger
        .currency(&credit.currency)
        .map_err(|e| e.to_string())?;
    let settled: i64 = journal
        .settlements
        .iter()
        .filter(|s| s.side == Side::Customer && (s.debit == ct.id || s.credit == ct.id))
        .map(|s| s.minor)
        .sum();
    let open = currency.to_minor(ct.amount).map_err(|e| e.to_string())? - settled;
    if open != 0 {
        return Err(format!(
            "the reimbursement of {} {} is not covered by the customer's open credits ({} left unsettled): a reimbursement cannot exceed the credit there is (open credit was {})",
            ct.amount,
            credit.currency,
            currency.from_minor(open),
            -credit.open_credit
        ));
    }
    if ct.amount > -credit.open_credit {
        return Err(format!(
            "{} is more than the open credit of {}",
            ct.amount, -credit.open_credit
        ));
    }
    let (amount, customer_txn, vendor_txn, invoice) =
        (ct.amount, ct.id, vt.id, vt.document.clone());
    Ok((voucher, amount, customer_txn, vendor_txn, invoice))
}
