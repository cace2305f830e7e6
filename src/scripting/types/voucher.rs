//! `Voucher` in scripts: a posted voucher ([`PostedVoucher`]).
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use rhai::{Array, Dynamic, Map};

use crate::ledger::PostedVoucher;
use crate::scripting::api::Api;

/// Registers `Voucher`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine
        .register_type_with_name::<PostedVoucher>("Voucher");
    api.type_doc("Voucher", "A posted voucher.");
    properties(api);
    api.printer::<PostedVoucher>("Voucher", |v: &mut PostedVoucher| {
        format!(
            "Voucher {} {} \"{}\" {}",
            v.number,
            v.date,
            v.description,
            v.lines
                .iter()
                .map(|(a, c, amt)| format!("[{a} {c} {amt}]"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    });
}

/// The voucher's read-only properties.
fn properties(api: &mut Api) {
    api.getter(
        "Voucher",
        "number",
        "String",
        "Voucher number, e.g. `RMB-000001`.",
        |v: &mut PostedVoucher| v.number.clone(),
    );
    api.getter(
        "Voucher",
        "date",
        "String",
        "Posting date.",
        |v: &mut PostedVoucher| v.date.to_string(),
    );
    api.getter(
        "Voucher",
        "description",
        "String",
        "Description.",
        |v: &mut PostedVoucher| v.description.clone(),
    );
    api.getter(
        "Voucher",
        "customer_transactions",
        "Array of int",
        "Ids of the customer transactions it created.",
        |v: &mut PostedVoucher| {
            v.customer_transactions
                .iter()
                .map(|i| Dynamic::from(i.row()))
                .collect::<Array>()
        },
    );
    api.getter(
        "Voucher",
        "vendor_transactions",
        "Array of int",
        "Ids of the vendor transactions it created.",
        |v: &mut PostedVoucher| {
            v.vendor_transactions
                .iter()
                .map(|i| Dynamic::from(i.row()))
                .collect::<Array>()
        },
    );
    api.getter(
        "Voucher",
        "lines",
        "Array of maps",
        "General-ledger lines: #{account, currency, amount}.",
        |v: &mut PostedVoucher| {
            v.lines
                .iter()
                .map(|(a, c, amt)| {
                    let mut m = Map::new();
                    m.insert("account".into(), a.clone().into());
                    m.insert("currency".into(), c.clone().into());
                    m.insert("amount".into(), Dynamic::from(*amt));
                    Dynamic::from(m)
                })
                .collect::<Array>()
        },
    );
}
