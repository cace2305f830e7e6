//! `TrialBalanceRow` in scripts: a general-ledger account's balance in one currency.
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use crate::ledger::TrialBalanceRow;
use crate::scripting::api::Api;

/// Registers `TrialBalanceRow`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine
        .register_type_with_name::<TrialBalanceRow>("TrialBalanceRow");
    api.type_doc(
        "TrialBalanceRow",
        "A general-ledger account's balance in one currency.",
    );
    properties(api);
    api.printer::<TrialBalanceRow>("TrialBalanceRow", |r: &mut TrialBalanceRow| {
        format!("{} {} {} {}", r.account, r.name, r.currency, r.balance)
    });
}

/// The row's read-only properties.
fn properties(api: &mut Api) {
    api.getter(
        "TrialBalanceRow",
        "account",
        "String",
        "General-ledger account.",
        |r: &mut TrialBalanceRow| r.account.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "name",
        "String",
        "Account name.",
        |r: &mut TrialBalanceRow| r.name.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "currency",
        "String",
        "Currency.",
        |r: &mut TrialBalanceRow| r.currency.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "balance",
        "Decimal",
        "Balance (debit +).",
        |r: &mut TrialBalanceRow| r.balance,
    );
}
