//! The door of the books: the dates and texts a primitive is given are checked before it writes
//! anything ([`crate::dates`], [`crate::text`]). Every path goes through here: a fixture, an
//! import, a run's hooks, a script, the REPL.

use chrono::NaiveDate;

use super::{Customer, Res, Vendor, VoucherDraft, date_text};
use crate::text::{TextKind, check, check_option};

/// The checks of a customer's texts: account, name, group, address, vendor account, tax id.
pub(super) fn check_customer(c: &Customer) -> Res<()> {
    check("customer account", &c.account, TextKind::Key)?;
    check("customer name", &c.name, TextKind::Name)?;
    check("customer group", &c.group, TextKind::Key)?;
    check_option("customer address", c.address.as_deref(), TextKind::Text)?;
    check_option(
        "customer vendor_account",
        c.vendor_account.as_deref(),
        TextKind::Key,
    )?;
    check_option("customer tax_id", c.tax_id.as_deref(), TextKind::Key)?;
    Ok(())
}

/// The checks of a vendor's texts: account, name, group, address, the customer it was created
/// for, payment terms, method of payment, tax id.
pub(super) fn check_vendor(v: &Vendor) -> Res<()> {
    check("vendor account", &v.account, TextKind::Key)?;
    check("vendor name", &v.name, TextKind::Name)?;
    check("vendor group", &v.group, TextKind::Key)?;
    check_option("vendor address", v.address.as_deref(), TextKind::Text)?;
    check_option(
        "vendor created_for",
        v.created_for.as_deref(),
        TextKind::Key,
    )?;
    check_option(
        "vendor payment_terms",
        v.payment_terms.as_deref(),
        TextKind::Key,
    )?;
    check_option(
        "vendor method_of_payment",
        v.method_of_payment.as_deref(),
        TextKind::Key,
    )?;
    check_option("vendor tax_id", v.tax_id.as_deref(), TextKind::Key)?;
    Ok(())
}

/// The checks of a voucher's date and texts: its description, each line's document and type.
pub(super) fn check_voucher(draft: &VoucherDraft) -> Res<()> {
    book_date(draft.date)?;
    check("voucher description", &draft.description, TextKind::Text)?;
    for line in &draft.lines {
        check_option("document", line.document.as_deref(), TextKind::Key)?;
        check_option("transaction type", line.kind.as_deref(), TextKind::Key)?;
    }
    Ok(())
}

/// A date of the books as stored (`YYYY-MM-DD`), refused outside [`crate::dates::YEARS`].
pub(super) fn book_date(date: NaiveDate) -> Res<String> {
    crate::dates::check(date)?;
    let text = date_text(date);
    debug_assert!(crate::dates::is_canonical(&text), "{text}");
    Ok(text)
}
