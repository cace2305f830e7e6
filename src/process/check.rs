//! The engine's check of a hook's work, from the journal of the ledger's writes: a deciding hook
//! wrote nothing ([`check_no_postings`]), `create_one_time_vendor` created its one vendor and
//! nothing else ([`check_one_time_vendor`]), and `post_reimbursement` posted exactly one vendor
//! invoice, fully settled against the customer's open credits ([`check_posting`]). Reads the
//! journal and the currency only: never the rules, never the database. A refusal is the message;
//! the caller names the hook.

use rust_decimal::Decimal;

use crate::ledger::{
    Balance, Customer, CustomerTransactionId, Journal, Ledger, PostedVoucher, Side, SubLedgerLine,
    TransactionRef, Vendor, VendorTransactionId,
};

/// Refuses a deciding hook (`eligible`, `vendor_for`) that wrote anything.
pub(super) fn check_no_postings(journal: &Journal) -> Result<(), String> {
    if *journal != Journal::default() {
        return Err(
            "must only decide: it may not post, settle, take numbers, create or link vendors"
                .into(),
        );
    }
    Ok(())
}

/// The engine's check of what `create_one_time_vendor` did: it created exactly `vendor` (the
/// vendor it returned), posted and settled nothing, changed no other master data, and linked, if
/// anything, its own customer to that vendor.
pub(super) fn check_one_time_vendor(
    customer: &Customer,
    vendor: &Vendor,
    journal: &Journal,
) -> Result<(), String> {
    if journal.vendors_created != [vendor.account.clone()] {
        return Err(format!(
            "must create exactly one vendor and return it (created: {})",
            if journal.vendors_created.is_empty() {
                "none".to_string()
            } else {
                journal.vendors_created.join(", ")
            }
        ));
    }
    if !journal.vouchers.is_empty() || !journal.settlements.is_empty() {
        return Err("must not post or settle".into());
    }
    if !journal.master_data.is_empty() {
        return Err("must not create or change customers or vendors besides the one vendor".into());
    }
    // Hooks change only their own customer (the run reads its customers ahead).
    if let Some((other, _)) = journal.links.iter().find(|(c, _)| *c != customer.account) {
        return Err(format!(
            "may link the new vendor to its own customer only, not to {other}"
        ));
    }
    // ... and only to the vendor it created: another link would redirect the
    // customer's future refunds.
    if let Some((_, other)) = journal.links.iter().find(|(_, v)| *v != vendor.account) {
        return Err(format!(
            "may link its customer only to the vendor it created ({}), not to {}",
            vendor.account,
            if other.is_empty() { "no vendor" } else { other }
        ));
    }
    Ok(())
}

/// What the engine found `post_reimbursement` posted: the reimbursement's one vendor invoice.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    /// The vendor invoice's voucher.
    pub(super) voucher: PostedVoucher,
    /// The amount reimbursed (positive).
    pub(super) amount: Decimal,
    /// The invoice's customer transaction (settled in full against the customer's credits).
    pub(super) customer_txn: CustomerTransactionId,
    /// The invoice's vendor transaction (open until paid).
    pub(super) vendor_txn: VendorTransactionId,
    /// The vendor invoice's document number.
    pub(super) invoice: String,
}

/// The engine's check of what `post_reimbursement` did, from the journal of its writes (the
/// ledger primitives already refused anything unbalanced, over-settled or cross-account).
pub(super) fn check_posting(
    ledger: &Ledger,
    customer: &Customer,
    credit: &Balance,
    vendor: &Vendor,
    mut journal: Journal,
) -> Result<Checked, String> {
    check_scope(customer, credit, &journal)?;
    let voucher = the_invoice(customer, &mut journal)?;
    let ((ct, customer_txn), (vt, vendor_txn)) = invoice_lines(&voucher, vendor)?;
    check_covered(ledger, credit, ct, customer_txn, &journal)?;
    let (amount, invoice) = (ct.amount, vt.document.clone());
    debug_assert!(amount > Decimal::ZERO && amount <= -credit.open_credit);
    Ok(Checked {
        voucher,
        amount,
        customer_txn,
        vendor_txn,
        invoice,
    })
}

/// `post_reimbursement` wrote only what a reimbursement writes: no master data, only the credit's
/// currency, only its own customer's transactions settled, no voucher but vendor invoices.
fn check_scope(customer: &Customer, credit: &Balance, journal: &Journal) -> Result<(), String> {
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
    Ok(())
}

/// The one voucher on the customer or vendor (the vendor invoice), taken out of the journal; no
/// voucher posts to another customer.
fn the_invoice(customer: &Customer, journal: &mut Journal) -> Result<PostedVoucher, String> {
    let mut invoices = Vec::new();
    for (i, v) in journal.vouchers.iter().enumerate() {
        for line in &v.sub_ledger {
            if line.transaction.side() == Side::Customer && line.account != customer.account {
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
    match invoices.as_slice() {
        [one] => Ok(journal.vouchers.swap_remove(*one)),
        [] => Err("posted no vendor invoice (call post_vendor_invoice)".into()),
        many => Err(format!(
            "posted {} vouchers on the customer or vendor; a reimbursement is exactly one vendor invoice",
            many.len()
        )),
    }
}

/// The invoice's customer line and vendor line, each with its transaction's id.
type InvoiceLines<'v> = (
    (&'v SubLedgerLine, CustomerTransactionId),
    (&'v SubLedgerLine, VendorTransactionId),
);

/// The invoice's customer line and vendor line: exactly one each, the vendor line to the chosen
/// vendor, the same positive amount debited to the customer and credited to the vendor. Each
/// with its transaction's id.
fn invoice_lines<'v>(
    voucher: &'v PostedVoucher,
    vendor: &Vendor,
) -> Result<InvoiceLines<'v>, String> {
    let customer_lines: Vec<_> = voucher
        .sub_ledger
        .iter()
        .filter_map(|l| match l.transaction {
            TransactionRef::Customer(id) => Some((l, id)),
            TransactionRef::Vendor(_) => None,
        })
        .collect();
    let vendor_lines: Vec<_> = voucher
        .sub_ledger
        .iter()
        .filter_map(|l| match l.transaction {
            TransactionRef::Vendor(id) => Some((l, id)),
            TransactionRef::Customer(_) => None,
        })
        .collect();
    let ([(ct, ct_id)], [(vt, vt_id)]) = (customer_lines.as_slice(), vendor_lines.as_slice())
    else {
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
    Ok(((*ct, *ct_id), (*vt, *vt_id)))
}

/// The invoice's customer transaction `ct` is settled in full against the customer's open
/// credits, and is no more than the open credit there was.
fn check_covered(
    ledger: &Ledger,
    credit: &Balance,
    ct: &SubLedgerLine,
    ct_id: CustomerTransactionId,
    journal: &Journal,
) -> Result<(), String> {
    // The invoice's customer transaction was made in this hook, open for its whole amount, and
    // only `Ledger::apply_settlement` moves an open amount, journaling each settlement: what is
    // still open is the amount less the settlements of it in the journal (no read needed).
    let currency = ledger
        .currency(&credit.currency)
        .map_err(|e| e.to_string())?;
    let settled: i64 = journal
        .settlements
        .iter()
        .filter(|s| s.side == Side::Customer && (s.debit == ct_id.row() || s.credit == ct_id.row()))
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
    Ok(())
}
