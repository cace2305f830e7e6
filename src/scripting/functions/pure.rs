//! The functions that read nothing but their arguments, the company parameters and the posting
//! date: conversions, `params()`, `posting_date()`, `skip`, `table`, `days_between` (and
//! `parse_decimal`, from [`crate::scripting::literals`]).
//!
//! They must not depend on the session or the ledger: a [`crate::scripting::ReadAheadEngine`] engine
//! on another thread registers them too.

use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{Array, Dynamic, EvalAltResult, Position};
use rust_decimal::Decimal;

use crate::parameters::Parameters;
use crate::scripting::api::Api;
use crate::scripting::args::parse_date;
use crate::scripting::errors::{RhaiResult, Skip, runtime_error};
use crate::scripting::literals;
use crate::scripting::types::ParamsView;

/// The functions that read nothing but their arguments, the company parameters and the posting
/// date (and `skip`, which only stops a hook): the same in a session's engine and in a
/// [`crate::scripting::ReadAheadEngine`] one.
pub(in crate::scripting) fn register_pure(
    api: &mut Api,
    params: &Rc<Parameters>,
    date: impl Fn() -> NaiveDate + 'static,
) {
    literals::register(api);
    let p = Rc::clone(params);
    api.add("to_accounting", &["amount: Decimal", "currency: String"], "Decimal",
        "Converts an amount to the accounting currency at the parameters' exchange rate (unrounded).",
        move |amount: Decimal, currency: &str| -> RhaiResult<Decimal> {
            p.to_accounting(amount, currency)
                .map_err(|e| runtime_error(e.to_string()))
        });
    let p = Rc::clone(params);
    api.add(
        "params",
        &[],
        "Parameters",
        "The company parameters (read-only).",
        move || -> ParamsView { ParamsView(Rc::clone(&p)) },
    );
    let p = Rc::clone(params);
    api.add(
        "exchange_rate",
        &["currency: String"],
        "Decimal",
        "The rate of a currency to the accounting currency (1 for the accounting currency).",
        move |currency: &str| -> RhaiResult<Decimal> {
            p.to_accounting(Decimal::ONE, currency)
                .map_err(|e| runtime_error(e.to_string()))
        },
    );
    api.add(
        "posting_date",
        &[],
        "String",
        "The date postings are made on (YYYY-MM-DD).",
        move || -> String { date().to_string() },
    );
    api.add("skip", &["reason: String"], "never returns",
        "Stops the current hook: the engine skips this customer and currency with the reason, and undoes what the hooks did for it.",
        |reason: &str| -> RhaiResult<()> {
            Err(EvalAltResult::ErrorRuntime(Dynamic::from(Skip(reason.to_string())), Position::NONE).into())
        });
    api.add(
        "table",
        &["value: any"],
        "String",
        "The value as the REPL shows it: an array of customers, vendors, transactions, balances or maps as a text table (columns from the fields or keys), a map as sections, other values on one line. For reports: `print(table(rows))`.",
        |value: Dynamic| -> String { crate::render::render(&value).unwrap_or_default() },
    );
    api.add(
        "table",
        &["rows: Array", "columns: Array"],
        "String",
        "A text table of an array of maps (or customers, vendors, …) with these columns in this order, e.g. `print(table(rows, [\"customer\", \"currency\", \"amount\"]))`. A missing field shows empty.",
        |rows: Array, columns: Array| -> String {
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            crate::render::render_columns(&rows, &columns)
        },
    );
    api.add(
        "days_between",
        &["from: String", "to: String"],
        "int",
        "Days from one date (YYYY-MM-DD) to another: positive when `to` is later, e.g. the age of a transaction is `days_between(t.date, posting_date())`.",
        |from: &str, to: &str| -> RhaiResult<i64> {
            Ok((parse_date(to)? - parse_date(from)?).num_days())
        },
    );
}
