//! `Vendor` in scripts: a vendor account, read-only.
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use crate::bank::{Bic, Iban};
use crate::ledger::Vendor;
use crate::scripting::api::Api;
use crate::scripting::values::{opt, opt_text};

/// Registers `Vendor`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine.register_type_with_name::<Vendor>("Vendor");
    api.type_doc("Vendor", "A vendor account.");
    identity(api);
    payment_details(api);
    api.printer::<Vendor>("Vendor", |v: &mut Vendor| {
        format!(
            "Vendor {} \"{}\" {} group {}{}{}{}",
            v.account,
            v.name,
            v.currency,
            v.group,
            v.iban
                .as_ref()
                .map(|i| format!(" iban {i}"))
                .unwrap_or_default(),
            if v.one_time { " (one-time)" } else { "" },
            if v.blocked { " (blocked)" } else { "" }
        )
    });
}

/// Who the vendor is: account, name, address, group, currency, one-time, blocked.
fn identity(api: &mut Api) {
    api.getter(
        "Vendor",
        "account",
        "String",
        "Account number, e.g. `V-100`.",
        |v: &mut Vendor| v.account.clone(),
    );
    api.getter("Vendor", "name", "String", "Name.", |v: &mut Vendor| {
        v.name.clone()
    });
    api.getter(
        "Vendor",
        "address",
        "String or ()",
        "Postal address, or `()`.",
        |v: &mut Vendor| opt(&v.address),
    );
    api.getter(
        "Vendor",
        "group",
        "String",
        "Vendor group.",
        |v: &mut Vendor| v.group.clone(),
    );
    api.getter(
        "Vendor",
        "currency",
        "String",
        "The vendor's currency.",
        |v: &mut Vendor| v.currency.clone(),
    );
    api.getter(
        "Vendor",
        "one_time",
        "bool",
        "True for a one-time vendor created automatically.",
        |v: &mut Vendor| v.one_time,
    );
    api.getter(
        "Vendor",
        "created_for",
        "String or ()",
        "The customer the vendor was created for, or `()`.",
        |v: &mut Vendor| opt(&v.created_for),
    );
    api.getter(
        "Vendor",
        "blocked",
        "bool",
        "True when the vendor is blocked for postings.",
        |v: &mut Vendor| v.blocked,
    );
}

/// How the vendor is paid: terms, method, tax id, bank.
fn payment_details(api: &mut Api) {
    api.getter(
        "Vendor",
        "payment_terms",
        "String or ()",
        "Payment terms, or `()`.",
        |v: &mut Vendor| opt(&v.payment_terms),
    );
    api.getter(
        "Vendor",
        "method_of_payment",
        "String or ()",
        "Method of payment, or `()`.",
        |v: &mut Vendor| opt(&v.method_of_payment),
    );
    api.getter(
        "Vendor",
        "tax_id",
        "String or ()",
        "Tax id, or `()`.",
        |v: &mut Vendor| opt(&v.tax_id),
    );
    api.getter(
        "Vendor",
        "iban",
        "String or ()",
        "Bank account (IBAN, electronic format), or `()`.",
        |v: &mut Vendor| opt_text(v.iban.as_ref().map(Iban::as_str)),
    );
    api.getter(
        "Vendor",
        "bic",
        "String or ()",
        "The bank's BIC, or `()`.",
        |v: &mut Vendor| opt_text(v.bic.as_ref().map(Bic::as_str)),
    );
}
