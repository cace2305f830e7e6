//! `Parameters` in scripts: the company parameters, read-only ([`ParamsView`]).
//!
//! It must not depend on the session or the API functions (a [`crate::scripting::ReadAheadEngine`]
//! engine registers it too).

use rhai::{Array, Dynamic};

pub use crate::render::ParamsView;
use crate::scripting::api::Api;

/// Registers `Parameters`: its documentation, read-only properties and printing.
pub(super) fn register(api: &mut Api) {
    api.engine
        .register_type_with_name::<ParamsView>("Parameters");
    api.type_doc(
        "Parameters",
        "The company parameters, read-only: `params().minimum_reimbursement`.",
    );
    company_and_rules(api);
    accounts_and_currencies(api);
    api.printer::<ParamsView>("Parameters", |p: &mut ParamsView| {
        format!(
            "Parameters of {} ({}): minimum {} {}, open debits {}",
            p.0.company.id,
            p.0.company.name,
            p.0.minimum_reimbursement,
            p.0.accounting_currency,
            p.0.open_debits.as_str()
        )
    });
}

/// The company and what the rules follow: minimum, open debits, the write-off, one-time vendors.
fn company_and_rules(api: &mut Api) {
    api.getter(
        "Parameters",
        "company_id",
        "String",
        "Company id.",
        |p: &mut ParamsView| p.0.company.id.clone(),
    );
    api.getter(
        "Parameters",
        "company_name",
        "String",
        "Company name.",
        |p: &mut ParamsView| p.0.company.name.clone(),
    );
    api.getter(
        "Parameters",
        "accounting_currency",
        "String",
        "The accounting currency.",
        |p: &mut ParamsView| p.0.accounting_currency.clone(),
    );
    api.getter(
        "Parameters",
        "minimum_reimbursement",
        "Decimal",
        "Smallest credit reimbursed, in the accounting currency.",
        |p: &mut ParamsView| p.0.minimum_reimbursement,
    );
    api.getter(
        "Parameters",
        "open_debits",
        "String",
        "How open debits count: `net`, `skip` or `ignore`.",
        |p: &mut ParamsView| p.0.open_debits.as_str().to_string(),
    );
    api.getter(
        "Parameters",
        "link_one_time_vendor",
        "bool",
        "Link a new one-time vendor back to its customer.",
        |p: &mut ParamsView| p.0.one_time_vendor.link_to_customer,
    );
    api.getter(
        "Parameters",
        "write_off",
        "Map or ()",
        "The `write_off` section: `#{below, after_days, account}` (`below` in the accounting currency), or () when the company has none (nothing is written off). The default `write_off` hook reads it.",
        |p: &mut ParamsView| -> Dynamic {
            p.0.write_off.as_ref().map_or(Dynamic::UNIT, |w| {
                let mut map = rhai::Map::new();
                map.insert("below".into(), Dynamic::from(w.below));
                map.insert("after_days".into(), Dynamic::from(i64::from(w.after_days)));
                map.insert("account".into(), Dynamic::from(w.account.clone()));
                Dynamic::from_map(map)
            })
        },
    );
    api.getter(
        "Parameters",
        "one_time_vendor_group",
        "String",
        "Vendor group of one-time vendors.",
        |p: &mut ParamsView| p.0.one_time_vendor.group.clone(),
    );
}

/// The summary and bank accounts, and the company's currencies.
fn accounts_and_currencies(api: &mut Api) {
    api.getter(
        "Parameters",
        "receivables_account",
        "String",
        "Receivables summary account.",
        |p: &mut ParamsView| p.0.accounts.receivables.clone(),
    );
    api.getter(
        "Parameters",
        "payables_account",
        "String",
        "Payables summary account.",
        |p: &mut ParamsView| p.0.accounts.payables.clone(),
    );
    api.getter(
        "Parameters",
        "bank_account",
        "String",
        "Bank account for payments.",
        |p: &mut ParamsView| p.0.accounts.bank.clone(),
    );
    api.getter(
        "Parameters",
        "currencies",
        "Array of String",
        "The company's currency codes.",
        |p: &mut ParamsView| {
            p.0.currencies
                .keys()
                .map(|c| Dynamic::from(c.clone()))
                .collect::<Array>()
        },
    );
}
