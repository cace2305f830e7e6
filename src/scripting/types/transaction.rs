//! `Transaction` in scripts: a customer or vendor transaction, amounts signed (debit +).
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use crate::ledger::Transaction;
use crate::scripting::api::Api;

/// Registers `Transaction`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine
        .register_type_with_name::<Transaction>("Transaction");
    api.type_doc(
        "Transaction",
        "A customer or vendor transaction. Amounts are signed: debit +, credit −.",
    );
    properties(api);
    api.printer::<Transaction>("Transaction", |t: &mut Transaction| {
        format!(
            "#{} {} {} {} {} {} {} open {}",
            t.id, t.account, t.date, t.kind, t.document, t.currency, t.amount, t.open
        )
    });
}

/// The transaction's read-only properties.
fn properties(api: &mut Api) {
    api.getter(
        "Transaction",
        "id",
        "int",
        "Row id: pass it to `settle`.",
        |t: &mut Transaction| t.id,
    );
    api.getter(
        "Transaction",
        "account",
        "String",
        "The customer or vendor account.",
        |t: &mut Transaction| t.account.clone(),
    );
    api.getter(
        "Transaction",
        "voucher",
        "String",
        "Voucher number.",
        |t: &mut Transaction| t.voucher.clone(),
    );
    api.getter(
        "Transaction",
        "date",
        "String",
        "Date (YYYY-MM-DD).",
        |t: &mut Transaction| t.date.to_string(),
    );
    api.getter(
        "Transaction",
        "document",
        "String",
        "Document number.",
        |t: &mut Transaction| t.document.clone(),
    );
    api.getter(
        "Transaction",
        "type",
        "String",
        "Type: invoice, payment, credit_note, reimbursement, …",
        |t: &mut Transaction| t.kind.clone(),
    );
    api.getter(
        "Transaction",
        "currency",
        "String",
        "Currency.",
        |t: &mut Transaction| t.currency.clone(),
    );
    api.getter(
        "Transaction",
        "amount",
        "Decimal",
        "Signed amount.",
        |t: &mut Transaction| t.amount,
    );
    api.getter(
        "Transaction",
        "open",
        "Decimal",
        "Open (unsettled) part, same sign as the amount.",
        |t: &mut Transaction| t.open,
    );
    api.getter(
        "Transaction",
        "is_credit",
        "bool",
        "True for a credit (negative amount).",
        |t: &mut Transaction| t.amount.is_sign_negative(),
    );
}
