//! `Customer` in scripts: a customer account, read-only (changed through API functions).
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use crate::bank::{Bic, Iban};
use crate::ledger::Customer;
use crate::scripting::api::Api;
use crate::scripting::values::{opt, opt_text};

/// Registers `Customer`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine.register_type_with_name::<Customer>("Customer");
    api.type_doc(
        "Customer",
        "A customer account (read-only; change it with API functions).",
    );
    identity(api);
    payment_details(api);
    api.printer::<Customer>("Customer", |c: &mut Customer| {
        format!(
            "Customer {} \"{}\" {} group {}{}{}{}",
            c.account,
            c.name,
            c.currency,
            c.group,
            c.vendor_account
                .as_ref()
                .map(|v| format!(" vendor {v}"))
                .unwrap_or_default(),
            c.iban
                .as_ref()
                .map(|i| format!(" iban {i}"))
                .unwrap_or_default(),
            if c.payment_hold {
                " (payment hold)"
            } else {
                ""
            }
        )
    });
}

/// Who the customer is: account, name, address, currency, group.
fn identity(api: &mut Api) {
    api.getter(
        "Customer",
        "account",
        "String",
        "Account number, e.g. `C-001`.",
        |c: &mut Customer| c.account.clone(),
    );
    api.getter("Customer", "name", "String", "Name.", |c: &mut Customer| {
        c.name.clone()
    });
    api.getter(
        "Customer",
        "address",
        "String or ()",
        "Postal address, or `()` when none.",
        |c: &mut Customer| opt(&c.address),
    );
    api.getter(
        "Customer",
        "currency",
        "String",
        "The customer's currency.",
        |c: &mut Customer| c.currency.clone(),
    );
    api.getter(
        "Customer",
        "group",
        "String",
        "Customer group, e.g. `RETAIL`.",
        |c: &mut Customer| c.group.clone(),
    );
}

/// Where the customer's credit goes: vendor account, payment hold, tax id, bank.
fn payment_details(api: &mut Api) {
    api.getter(
        "Customer",
        "vendor_account",
        "String or ()",
        "The vendor account that receives the customer's credit, or `()` when none.",
        |c: &mut Customer| opt(&c.vendor_account),
    );
    api.getter(
        "Customer",
        "payment_hold",
        "bool",
        "True when the account is on hold for payments.",
        |c: &mut Customer| c.payment_hold,
    );
    api.getter(
        "Customer",
        "tax_id",
        "String or ()",
        "Tax id, or `()` when none.",
        |c: &mut Customer| opt(&c.tax_id),
    );
    api.getter(
        "Customer",
        "iban",
        "String or ()",
        "Bank account (IBAN, electronic format), or `()` when none.",
        |c: &mut Customer| opt_text(c.iban.as_ref().map(Iban::as_str)),
    );
    api.getter(
        "Customer",
        "bic",
        "String or ()",
        "The bank's BIC, or `()` when none.",
        |c: &mut Customer| opt_text(c.bic.as_ref().map(Bic::as_str)),
    );
}
