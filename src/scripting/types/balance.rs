//! `Balance` in scripts: an account's balance in one currency (the `credit` of the rule hooks).
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use crate::ledger::Balance;
use crate::scripting::api::Api;
use crate::scripting::values::unit_or;

/// Registers `Balance`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine.register_type_with_name::<Balance>("Balance");
    api.type_doc(
        "Balance",
        "An account's balance in one currency. The `credit` given to the rule hooks is a Balance.",
    );
    properties(api);
    api.printer::<Balance>("Balance", |b: &mut Balance| {
        format!(
            "{} {} balance {} (open debit {}, open credit {})",
            b.account, b.currency, b.balance, b.open_debit, b.open_credit
        )
    });
}

/// The balance's read-only properties.
fn properties(api: &mut Api) {
    api.getter(
        "Balance",
        "account",
        "String",
        "The customer or vendor account.",
        |b: &mut Balance| b.account.clone(),
    );
    api.getter(
        "Balance",
        "currency",
        "String",
        "Currency.",
        |b: &mut Balance| b.currency.clone(),
    );
    api.getter(
        "Balance",
        "balance",
        "Decimal",
        "Sum of all transactions; negative is a credit balance.",
        |b: &mut Balance| b.balance,
    );
    api.getter(
        "Balance",
        "open_debit",
        "Decimal",
        "Open debits (unpaid invoices), 0 or more.",
        |b: &mut Balance| b.open_debit,
    );
    api.getter(
        "Balance",
        "open_credit",
        "Decimal",
        "Open credits (payments, credit notes), 0 or less.",
        |b: &mut Balance| b.open_credit,
    );
    api.getter(
        "Balance",
        "latest_open",
        "String or ()",
        "Date (YYYY-MM-DD) of the latest open transaction, or () when none is open. A run skips a credit with open transactions dated after its posting date.",
        |b: &mut Balance| unit_or(b.latest_open.map(|d| d.to_string())),
    );
}
