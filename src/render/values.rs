//! Readable values: the fields of the domain values scripts see (customers, vendors,
//! transactions, balances, vouchers, trial-balance rows, the parameters) and of maps, in display
//! order, and a value shown on one line or in a table cell.
//!
//! Depends on the ledger's value types and the parameters only; must not depend on scripting,
//! process, repl or cli.

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;

use crate::ledger::{Balance, Customer, Transaction, TrialBalanceRow, Vendor};
use crate::parameters::Parameters;
use crate::text::printable;

/// The parameters as scripts see them: read-only (no setters exist).
#[derive(Debug, Clone)]
pub struct ParamsView(pub Rc<Parameters>);

/// Column order for maps: these keys first, in this order, then the others alphabetically.
pub(super) const PREFERRED: &[&str] = &[
    "id",
    "run",
    "kind",
    "date",
    "age_days",
    "bucket",
    "customer",
    "name",
    "vendor",
    "account",
    "one_time_vendor",
    "currency",
    "balance",
    "amount",
    "open",
    "reason",
    "reimbursements",
    "skipped",
    "failed",
    "totals",
    "considered",
];

/// The name of a value's type as the REPL shows it (`Customer`, `Map`, `i64`...).
pub(crate) fn type_name(value: &Dynamic) -> String {
    match record(value) {
        Some(r) => r.kind.to_string(),
        None => value.type_name().rsplit("::").next().unwrap_or("?").into(),
    }
}

fn text(s: &Option<String>) -> Dynamic {
    s.clone().map_or(Dynamic::UNIT, Dynamic::from)
}

/// A value's readable form: its kind (`Customer`, `Vendor`, …, `Map`) and its fields in display
/// order.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The kind of value, as the REPL names its type.
    pub(crate) kind: &'static str,
    /// The fields (or a map's entries), in display order.
    pub(crate) fields: Vec<(String, Dynamic)>,
}

/// The fields of a domain value (or a map), in display order: one function per kind.
pub(crate) fn record(value: &Dynamic) -> Option<Record> {
    customer(value)
        .or_else(|| vendor(value))
        .or_else(|| transaction(value))
        .or_else(|| balance(value))
        .or_else(|| voucher(value))
        .or_else(|| trial_balance_row(value))
        .or_else(|| parameters(value))
        .or_else(|| map(value))
}

/// A record of this kind with these fields.
fn fields(kind: &'static str, pairs: Vec<(&str, Dynamic)>) -> Record {
    Record {
        kind,
        fields: pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

/// A customer's fields.
fn customer(value: &Dynamic) -> Option<Record> {
    let c = value.read_lock::<Customer>()?;
    Some(fields(
        "Customer",
        vec![
            ("account", c.account.clone().into()),
            ("name", c.name.clone().into()),
            ("currency", c.currency.clone().into()),
            ("group", c.group.clone().into()),
            ("vendor_account", text(&c.vendor_account)),
            ("payment_hold", c.payment_hold.into()),
            ("tax_id", text(&c.tax_id)),
            ("address", text(&c.address)),
        ],
    ))
}

/// A vendor's fields.
fn vendor(value: &Dynamic) -> Option<Record> {
    let v = value.read_lock::<Vendor>()?;
    Some(fields(
        "Vendor",
        vec![
            ("account", v.account.clone().into()),
            ("name", v.name.clone().into()),
            ("currency", v.currency.clone().into()),
            ("group", v.group.clone().into()),
            ("one_time", v.one_time.into()),
            ("created_for", text(&v.created_for)),
            ("blocked", v.blocked.into()),
            ("payment_terms", text(&v.payment_terms)),
            ("method_of_payment", text(&v.method_of_payment)),
            ("tax_id", text(&v.tax_id)),
            ("address", text(&v.address)),
        ],
    ))
}

/// An open item's (a transaction's) fields.
fn transaction(value: &Dynamic) -> Option<Record> {
    let t = value.read_lock::<Transaction>()?;
    Some(fields(
        "Transaction",
        vec![
            ("id", t.id.into()),
            ("account", t.account.clone().into()),
            ("date", t.date.to_string().into()),
            ("type", t.kind.clone().into()),
            ("document", t.document.clone().into()),
            ("currency", t.currency.clone().into()),
            ("amount", Dynamic::from(t.amount)),
            ("open", Dynamic::from(t.open)),
            ("voucher", t.voucher.clone().into()),
        ],
    ))
}

/// A balance's fields.
fn balance(value: &Dynamic) -> Option<Record> {
    let b = value.read_lock::<Balance>()?;
    Some(fields(
        "Balance",
        vec![
            ("account", b.account.clone().into()),
            ("currency", b.currency.clone().into()),
            ("balance", Dynamic::from(b.balance)),
            ("open_debit", Dynamic::from(b.open_debit)),
            ("open_credit", Dynamic::from(b.open_credit)),
        ],
    ))
}

/// A posted voucher's fields (its lines on one line).
fn voucher(value: &Dynamic) -> Option<Record> {
    let v = value.read_lock::<crate::ledger::PostedVoucher>()?;
    let lines = v
        .lines
        .iter()
        .map(|(a, c, amt)| format!("{a} {c} {amt}"))
        .collect::<Vec<_>>()
        .join("; ");
    let ids = |ids: &mut dyn Iterator<Item = i64>| -> Dynamic {
        ids.map(Dynamic::from).collect::<Array>().into()
    };
    Some(fields(
        "Voucher",
        vec![
            ("number", v.number.clone().into()),
            ("date", v.date.to_string().into()),
            ("description", v.description.clone().into()),
            ("lines", lines.into()),
            (
                "customer_transactions",
                ids(&mut v.customer_transactions.iter().map(|i| i.row())),
            ),
            (
                "vendor_transactions",
                ids(&mut v.vendor_transactions.iter().map(|i| i.row())),
            ),
        ],
    ))
}

/// A trial-balance row's fields.
fn trial_balance_row(value: &Dynamic) -> Option<Record> {
    let r = value.read_lock::<TrialBalanceRow>()?;
    Some(fields(
        "TrialBalanceRow",
        vec![
            ("account", r.account.clone().into()),
            ("name", r.name.clone().into()),
            ("currency", r.currency.clone().into()),
            ("balance", Dynamic::from(r.balance)),
        ],
    ))
}

/// The parameters' fields (those scripts read most).
fn parameters(value: &Dynamic) -> Option<Record> {
    let p = value.read_lock::<ParamsView>()?;
    let p = &p.0;
    Some(fields(
        "Parameters",
        vec![
            ("company_id", p.company.id.clone().into()),
            ("company_name", p.company.name.clone().into()),
            ("accounting_currency", p.accounting_currency.clone().into()),
            (
                "minimum_reimbursement",
                Dynamic::from(p.minimum_reimbursement),
            ),
            ("open_debits", p.open_debits.as_str().to_string().into()),
        ],
    ))
}

/// A map's entries: the [`PREFERRED`] keys first, then the others alphabetically.
fn map(value: &Dynamic) -> Option<Record> {
    let m = value.read_lock::<Map>()?;
    let mut keys: Vec<&str> = m.keys().map(|k| k.as_str()).collect();
    keys.sort_by_key(|k| {
        (
            PREFERRED.iter().position(|p| p == k).unwrap_or(usize::MAX),
            k.to_string(),
        )
    });
    Some(Record {
        kind: "Map",
        fields: keys
            .into_iter()
            .map(|k| (k.to_string(), m[k].clone()))
            .collect(),
    })
}

/// A value inside a table cell or a list: strings bare (control characters escaped, see
/// [`printable`]), `()` empty.
pub(crate) fn cell(value: &Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    if value.is_string() {
        return printable(&value.to_string()).into_owned();
    }
    printable(&inline(value)).into_owned()
}

/// A value on one line, strings quoted.
pub(super) fn inline(value: &Dynamic) -> String {
    if value.is_unit() {
        return "()".into();
    }
    if value.is_string() {
        return format!("{:?}", value.to_string());
    }
    if let Some(a) = value.read_lock::<Array>() {
        return format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "));
    }
    if let Some(Record { kind: name, fields }) = record(value) {
        let inner = fields
            .iter()
            .map(|(k, v)| format!("{k}: {}", inline(v)))
            .collect::<Vec<_>>()
            .join(", ");
        return if name == "Map" {
            format!("#{{{inner}}}")
        } else {
            format!("{name} {{{inner}}}")
        };
    }
    value.to_string()
}

/// True for integers and decimals (right-aligned in tables).
pub(super) fn is_number(value: &Dynamic) -> bool {
    value.is_int() || value.is::<Decimal>()
}
