//! The functions of the script API, registered through [`super::Api`] with their documentation.
//!
//! They depend on the session (each holds it) and on the ledger and the process they call; the
//! ones that read only their arguments, the parameters and the date (`register_pure`) depend on
//! neither, so a [`super::Detached`] engine has them too.

use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{Array, Dynamic, EvalAltResult, Map, Position};
use rust_decimal::Decimal;

use super::api::Api;
use super::args::{MapArgs, decimal_arg, parse_date};
use super::errors::{RhaiResult, Skip, ledger_error, runtime_error};
use super::literals;
use super::session::Session;
use super::types::ParamsView;
use super::values::{array, unit_or};
use crate::ledger::{
    CUSTOMER_FIELDS, Customer, LineDraft, NewVendor, PostedVoucher, Side, Target, VENDOR_FIELDS,
    Vendor, VoucherDraft,
};
use crate::parameters::Parameters;

/// Registers the whole API of a session's engine.
pub(super) fn register_functions(api: &mut Api, session: &Rc<Session>) {
    // Each closure holds its own handle on the session.
    macro_rules! s {
        () => {
            Rc::clone(session)
        };
    }

    let s = s!();
    api.add(
        "customer",
        &["account: String"],
        "Customer",
        "The customer with this account; an error when there is none.",
        move |account: &str| -> RhaiResult<Customer> {
            s.ledger.require_customer(account).map_err(ledger_error)
        },
    );
    let s = s!();
    api.add(
        "find_customer",
        &["account: String"],
        "Customer or ()",
        "The customer with this account, or `()` when there is none.",
        move |account: &str| -> RhaiResult<Dynamic> {
            Ok(s.ledger
                .customer(account)
                .map_err(ledger_error)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );
    let s = s!();
    api.add(
        "customers",
        &[],
        "Array of Customer",
        "All customers, ordered by account (loads them all: use for small companies and the REPL).",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.customers().map_err(ledger_error)?)) },
    );
    let s = s!();
    api.add(
        "vendor",
        &["account: String"],
        "Vendor",
        "The vendor with this account; an error when there is none.",
        move |account: &str| -> RhaiResult<Vendor> {
            s.ledger.require_vendor(account).map_err(ledger_error)
        },
    );
    let s = s!();
    api.add(
        "find_vendor",
        &["account: String"],
        "Vendor or ()",
        "The vendor with this account, or `()` when there is none.",
        move |account: &str| -> RhaiResult<Dynamic> {
            Ok(s.ledger
                .vendor(account)
                .map_err(ledger_error)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );
    let s = s!();
    api.add(
        "vendors",
        &[],
        "Array of Vendor",
        "All vendors, ordered by account.",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.vendors().map_err(ledger_error)?)) },
    );

    let s = s!();
    api.add(
        "balances",
        &["customer: String"],
        "Array of Balance",
        "The customer's balance in each currency it has transactions in.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Customer, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "balances",
        &["customer: Customer"],
        "Array of Balance",
        "The customer's balance in each currency it has transactions in.",
        move |c: Customer| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Customer, &c.account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "credit_balances",
        &["customer: Customer"],
        "Array of Balance",
        "The customer's balances that are credits (balance below zero), one per currency.",
        move |c: Customer| -> RhaiResult<Array> {
            let all = s
                .ledger
                .balances(Side::Customer, &c.account)
                .map_err(ledger_error)?;
            Ok(array(
                all.into_iter()
                    .filter(|b| b.balance < Decimal::ZERO)
                    .collect(),
            ))
        },
    );
    let s = s!();
    api.add(
        "credit_balances",
        &["customer: String"],
        "Array of Balance",
        "The customer's balances that are credits (balance below zero), one per currency.",
        move |account: &str| -> RhaiResult<Array> {
            let all = s
                .ledger
                .balances(Side::Customer, account)
                .map_err(ledger_error)?;
            Ok(array(
                all.into_iter()
                    .filter(|b| b.balance < Decimal::ZERO)
                    .collect(),
            ))
        },
    );
    let s = s!();
    api.add(
        "vendor_balances",
        &["vendor: String"],
        "Array of Balance",
        "The vendor's balance in each currency (negative: we owe the vendor).",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Vendor, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "open_transactions",
        &["customer: String"],
        "Array of Transaction",
        "The customer's open transactions, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Customer, account, None)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "open_transactions",
        &["customer: String", "currency: String"],
        "Array of Transaction",
        "The customer's open transactions in one currency, oldest first.",
        move |account: &str, currency: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Customer, account, Some(currency))
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "transactions",
        &["customer: String"],
        "Array of Transaction",
        "All of the customer's transactions, open or settled, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .transactions(Side::Customer, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "vendor_open_transactions",
        &["vendor: String"],
        "Array of Transaction",
        "The vendor's open transactions, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Vendor, account, None)
                    .map_err(ledger_error)?,
            ))
        },
    );

    register_pure(api, &session.params, {
        let s = s!();
        move || s.date()
    });
    let s = s!();
    api.add("round_money", &["amount: Decimal", "currency: String"], "Decimal",
        "Rounds to the currency's decimals with its rounding rule (half away from zero unless the parameters say otherwise). Use this, not `round`, which is banker's rounding.",
        move |amount: Decimal, currency: &str| -> RhaiResult<Decimal> {
            Ok(s.ledger.currency(currency).map_err(ledger_error)?.round(amount))
        });
    let s = s!();
    api.add(
        "args",
        &[],
        "Map",
        "The `--arg key=value` arguments given to `reimburse script`.",
        move || -> Map { s.args.borrow().clone() },
    );
    let s = s!();
    api.add(
        "log",
        &["message: any"],
        "()",
        "Writes a line to the run's output.",
        move |message: Dynamic| s.emit(&message.to_string()),
    );
    let s = s!();
    api.add("create_vendor", &["fields: Map"], "Vendor",
        "Creates a vendor. Fields: name and currency (required); account (default: next number of the one-time vendor sequence), address, group, one_time (bool), created_for (customer account), payment_terms, method_of_payment, tax_id, iban, bic (checked). Recorded in the trail of master-data changes.",
        move |fields: Map| -> RhaiResult<Vendor> {
            let m = MapArgs::new("create_vendor", &fields, &["account", "name", "address", "group", "currency", "one_time", "created_for", "payment_terms", "method_of_payment", "tax_id", "iban", "bic"])?;
            let v = NewVendor {
                account: m.string("account")?,
                name: m.required("name")?,
                address: m.string("address")?,
                group: m.string("group")?,
                currency: m.required("currency")?,
                one_time: m.bool("one_time")?.unwrap_or(false),
                created_for: m.string("created_for")?,
                payment_terms: m.string("payment_terms")?,
                method_of_payment: m.string("method_of_payment")?,
                tax_id: m.string("tax_id")?,
                iban: m.iban("iban")?,
                bic: m.bic("bic")?,
            };
            s.ledger.create_vendor(&v).map_err(ledger_error)
        });
    register_master_data(api, session);
    let s = s!();
    api.add(
        "link_vendor",
        &["customer: String", "vendor: String"],
        "()",
        "Makes `vendor` the customer's vendor account (used by the next runs).",
        move |customer: &str, vendor: &str| -> RhaiResult<()> {
            s.ledger
                .link_vendor(customer, Some(vendor))
                .map_err(ledger_error)
        },
    );
    let s = s!();
    api.add("next_number", &["sequence: String"], "String",
        "Takes the next number of a number sequence (reimbursement, vendor_invoice, payment, opening, one_time_vendor).",
        move |sequence: &str| -> RhaiResult<String> { s.ledger.next_number(sequence).map_err(ledger_error) });
    let s = s!();
    api.add("post_voucher", &["voucher: Map"], "Voucher",
        "Posts a balanced voucher. Fields: sequence, description, date (default: posting date), lines: array of #{account | customer | vendor, currency, amount, document, type}. Refused unless the lines sum to zero per currency and every account exists; the receivables and payables (control) accounts take customer and vendor lines only.",
        move |voucher: Map| -> RhaiResult<PostedVoucher> {
            let m = MapArgs::new("post_voucher", &voucher, &["sequence", "description", "date", "lines"])?;
            let lines = voucher.get("lines").and_then(|l| l.clone().try_cast::<Array>())
                .ok_or_else(|| runtime_error("post_voucher: 'lines' must be an array of maps"))?;
            let mut drafts = Vec::with_capacity(lines.len());
            for (i, line) in lines.into_iter().enumerate() {
                let map = line.try_cast::<Map>().ok_or_else(|| runtime_error(format!("post_voucher: line {i} must be a map")))?;
                let l = MapArgs::new("post_voucher line", &map, &["account", "customer", "vendor", "currency", "amount", "document", "type"])?;
                let target = match (l.string("account")?, l.string("customer")?, l.string("vendor")?) {
                    (Some(a), None, None) => Target::Account(a),
                    (None, Some(c), None) => Target::Customer(c),
                    (None, None, Some(v)) => Target::Vendor(v),
                    _ => return Err(runtime_error(format!("post_voucher: line {i} needs exactly one of account, customer, vendor"))),
                };
                drafts.push(LineDraft { target, currency: l.required("currency")?, amount: l.decimal("amount")?, document: l.string("document")?, kind: l.string("type")? });
            }
            s.ledger.post_voucher(&VoucherDraft {
                sequence: m.required("sequence")?,
                date: m.date("date", s.date())?,
                description: m.string("description")?.unwrap_or_default(),
                lines: drafts,
            }).map_err(ledger_error)
        });
    let s = s!();
    api.add("post_vendor_invoice", &["invoice: Map"], "Voucher",
        "Posts a reimbursement: a vendor invoice of `amount` to `vendor` and a reimbursement transaction of +amount on `customer`, in `currency` (receivables summary debit, payables summary credit). Fields: customer, vendor, currency, amount (positive), description, date. The invoice number comes from the vendor_invoice sequence, the voucher number from the reimbursement sequence. Settle the customer transaction against the open credits afterwards.",
        move |invoice: Map| -> RhaiResult<PostedVoucher> {
            let m = MapArgs::new("post_vendor_invoice", &invoice, &["customer", "vendor", "currency", "amount", "description", "date"])?;
            let customer = m.required("customer")?;
            let vendor = m.required("vendor")?;
            let currency = m.required("currency")?;
            let amount = m.decimal("amount")?;
            if amount <= Decimal::ZERO {
                return Err(runtime_error(format!("post_vendor_invoice: the amount must be positive, not {amount}")));
            }
            let number = s.ledger.next_number("vendor_invoice").map_err(ledger_error)?;
            s.ledger.post_voucher(&VoucherDraft {
                sequence: "reimbursement".into(),
                date: m.date("date", s.date())?,
                description: m.string("description")?.unwrap_or_else(|| format!("Reimbursement of customer {customer}")),
                lines: vec![
                    LineDraft { target: Target::Customer(customer), currency: currency.clone(), amount, document: Some(number.clone()), kind: Some("reimbursement".into()) },
                    LineDraft { target: Target::Vendor(vendor), currency, amount: -amount, document: Some(number), kind: Some("invoice".into()) },
                ],
            }).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle", &["first: int", "second: int"], "Decimal",
        "Settles two customer transactions (an open debit and an open credit of one customer and currency) as far as both are open; returns the amount settled.",
        move |a: i64, b: i64| -> RhaiResult<Decimal> {
            s.ledger.settle(Side::Customer, a, b, None, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle", &["first: int", "second: int", "amount: Decimal"], "Decimal",
        "Settles `amount` of two customer transactions against each other; never more than either has open.",
        move |a: i64, b: i64, amount: Dynamic| -> RhaiResult<Decimal> {
            let amount = decimal_arg("settle: amount", &amount)?;
            s.ledger.settle(Side::Customer, a, b, Some(amount), s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle_against_open", &["transaction: int"], "Decimal",
        "Settles a customer transaction against the customer's open transactions of the opposite sign in its currency, oldest first; returns the amount settled.",
        move |id: i64| -> RhaiResult<Decimal> {
            s.ledger.settle_against_open(Side::Customer, id, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle_open_debits", &["customer: String", "currency: String"], "Decimal",
        "Settles the customer's open debits against its open credits in one currency, oldest first (the `net` policy); returns the amount settled.",
        move |customer: &str, currency: &str| -> RhaiResult<Decimal> {
            s.ledger.settle_open_debits(Side::Customer, customer, currency, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle_vendor", &["first: int", "second: int"], "Decimal",
        "Settles two vendor transactions (an open debit and an open credit of one vendor and currency) as far as both are open.",
        move |a: i64, b: i64| -> RhaiResult<Decimal> {
            s.ledger.settle(Side::Vendor, a, b, None, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add(
        "trial_balance",
        &[],
        "Array of TrialBalanceRow",
        "The trial balance: each general-ledger account's balance per currency.",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.trial_balance().map_err(ledger_error)?)) },
    );

    register_reports(api, session);
}

/// Applies the fields of `m` to a customer (a key left out keeps its value, `()` clears it).
fn apply_customer_fields(m: &MapArgs, c: &mut Customer) -> RhaiResult<()> {
    m.update_required("name", &mut c.name)?;
    m.update_required("currency", &mut c.currency)?;
    m.update_required("group", &mut c.group)?;
    m.update_text("vendor_account", &mut c.vendor_account)?;
    if let Some(hold) = m.bool("payment_hold")? {
        c.payment_hold = hold;
    }
    m.update_text("address", &mut c.address)?;
    m.update_text("tax_id", &mut c.tax_id)?;
    if m.has("iban") {
        c.iban = m.iban("iban")?;
    }
    if m.has("bic") {
        c.bic = m.bic("bic")?;
    }
    Ok(())
}

/// Applies the fields of `m` to a vendor (a key left out keeps its value, `()` clears it).
fn apply_vendor_fields(m: &MapArgs, v: &mut Vendor) -> RhaiResult<()> {
    m.update_required("name", &mut v.name)?;
    m.update_required("currency", &mut v.currency)?;
    m.update_required("group", &mut v.group)?;
    if let Some(blocked) = m.bool("blocked")? {
        v.blocked = blocked;
    }
    m.update_text("address", &mut v.address)?;
    m.update_text("tax_id", &mut v.tax_id)?;
    if m.has("iban") {
        v.iban = m.iban("iban")?;
    }
    if m.has("bic") {
        v.bic = m.bic("bic")?;
    }
    m.update_text("payment_terms", &mut v.payment_terms)?;
    m.update_text("method_of_payment", &mut v.method_of_payment)?;
    Ok(())
}

/// Creating and changing customers and vendors from scripts: the same checks as an import, and
/// every change in the audit trail of master-data changes.
fn register_master_data(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add("create_customer", &["fields: Map"], "Customer",
        "Creates a customer. Fields: account, name and currency (required); group (default DEFAULT), vendor_account, payment_hold (bool), address, tax_id, iban, bic (checked). Recorded in the trail of master-data changes (`reimburse changes`).",
        move |fields: Map| -> RhaiResult<Customer> {
            let m = MapArgs::new("create_customer", &fields, &CUSTOMER_FIELDS)?;
            let mut c = Customer {
                account: m.required("account")?,
                name: m.required("name")?,
                currency: m.required("currency")?,
                group: "DEFAULT".into(),
                address: None,
                vendor_account: None,
                payment_hold: false,
                tax_id: None,
                iban: None,
                bic: None,
            };
            apply_customer_fields(&m, &mut c)?;
            s.ledger.create_customer(&c).map_err(ledger_error)?;
            Ok(c)
        });
    let s = Rc::clone(session);
    api.add("update_customer", &["account: String", "fields: Map"], "Customer",
        "Changes a customer's fields: name, currency, group, vendor_account, payment_hold, address, tax_id, iban, bic. A field left out keeps its value; `()` clears an optional one. Each change is recorded in the trail of master-data changes (who, when, old and new value).",
        move |account: &str, fields: Map| -> RhaiResult<Customer> {
            let m = MapArgs::new("update_customer", &fields, &CUSTOMER_FIELDS[1..])?;
            let mut c = s.ledger.require_customer(account).map_err(ledger_error)?;
            apply_customer_fields(&m, &mut c)?;
            s.ledger.update_customer(&c).map_err(ledger_error)?;
            Ok(c)
        });
    let s = Rc::clone(session);
    api.add("update_vendor", &["account: String", "fields: Map"], "Vendor",
        "Changes a vendor's fields: name, currency, group, blocked, address, tax_id, iban, bic, payment_terms, method_of_payment. A field left out keeps its value; `()` clears an optional one. Each change is recorded in the trail of master-data changes.",
        move |account: &str, fields: Map| -> RhaiResult<Vendor> {
            let m = MapArgs::new("update_vendor", &fields, &VENDOR_FIELDS[1..])?;
            let mut v = s.ledger.require_vendor(account).map_err(ledger_error)?;
            apply_vendor_fields(&m, &mut v)?;
            s.ledger.update_vendor(&v).map_err(ledger_error)?;
            Ok(v)
        });
}

/// The functions that read nothing but their arguments, the company parameters and the posting
/// date (and `skip`, which only stops a hook): the same in a session's engine and in a
/// [`super::Detached`] one.
pub(super) fn register_pure(
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
        |value: Dynamic| -> String { crate::repl::render(&value).unwrap_or_default() },
    );
    api.add(
        "table",
        &["rows: Array", "columns: Array"],
        "String",
        "A text table of an array of maps (or customers, vendors, …) with these columns in this order, e.g. `print(table(rows, [\"customer\", \"currency\", \"amount\"]))`. A missing field shows empty.",
        |rows: Array, columns: Array| -> String {
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            crate::repl::render_columns(&rows, &columns)
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

/// The reimbursement page, the run history and dry runs, for scripts and the REPL.
fn register_reports(api: &mut Api, session: &Rc<Session>) {
    macro_rules! s {
        () => {
            Rc::clone(session)
        };
    }
    let s = s!();
    api.add(
        "reimbursements",
        &[],
        "Array of Map",
        "All reimbursements, oldest first (the reimbursement page). Each is a map: id, run, date, customer, vendor, one_time_vendor (bool), currency, amount, voucher, vendor_invoice, status (`open` or `paid`), payment_voucher and paid_date (`()` until paid).",
        move || -> RhaiResult<Array> { reimbursement_maps(&s, &Map::new()) },
    );
    let s = s!();
    api.add(
        "reimbursements",
        &["filter: Map"],
        "Array of Map",
        "The reimbursements that match `filter`, oldest first, as maps (see `reimbursements()`). Filter fields, all optional: status (`open` or `paid`), customer, vendor, run (int), from and to (dates, inclusive), e.g. `reimbursements(#{status: \"open\", customer: \"C-002\"})`.",
        move |filter: Map| -> RhaiResult<Array> { reimbursement_maps(&s, &filter) },
    );
    let s = s!();
    api.add(
        "runs",
        &[],
        "Array of Map",
        "The runs recorded in the database (audit trail), newest first. Each is a map: id, kind (`reimbursement`, `payment`, or `script` and `repl` for the postings of a committed script or REPL session), started_at, finished_at, user, posting_date, selection, rules_path, rules_hash, parameters_hash, considered, reimbursed (reimbursements or payments made), skipped, failed.",
        move || -> RhaiResult<Array> {
            let runs = crate::process::runs(&s.ledger).map_err(ledger_error)?;
            Ok(runs.iter().map(|r| Dynamic::from(run_map(r))).collect())
        },
    );
    let s = s!();
    api.add(
        "dry_run",
        &[],
        "Map",
        "Runs the reimbursement for all customers with the company's rule file and undoes it: what a run would do now. Functions defined in the REPL session or the script override the rule file's (to try a change to a hook). Returns a map: `considered` (customers), `reimbursements` (maps: customer, vendor, one_time_vendor, currency, amount, voucher, vendor_invoice), `skipped` (maps: customer, currency, balance, reason), `failed` (maps: customer, error), `totals` (currency → amount) and `output` (lines the rules printed). A customer whose rules fail is listed in `failed`. Work done earlier in the session is seen by the dry run and kept. Only in `reimburse repl` and `reimburse script`.",
        move || -> RhaiResult<Map> { dry_run(&s, crate::process::Selection::All) },
    );
    let s = s!();
    api.add(
        "dry_run",
        &["customer: String"],
        "Map",
        "A dry run for one customer (see `dry_run()`), e.g. `dry_run(\"C-003\")`.",
        move |customer: &str| -> RhaiResult<Map> {
            dry_run(
                &s,
                crate::process::Selection::Customers(vec![customer.to_string()]),
            )
        },
    );
    let s = s!();
    api.add(
        "dry_run",
        &["customers: Array"],
        "Map",
        "A dry run for these customer accounts (see `dry_run()`), e.g. `dry_run([\"C-001\", \"C-002\"])`.",
        move |customers: Array| -> RhaiResult<Map> {
            let accounts = customers
                .into_iter()
                .map(|c| {
                    c.into_string().map_err(|t| {
                        runtime_error(format!("dry_run: customer accounts must be strings, not {t}"))
                    })
                })
                .collect::<RhaiResult<Vec<String>>>()?;
            dry_run(&s, crate::process::Selection::Customers(accounts))
        },
    );
}

/// A reimbursement as scripts see it.
fn reimbursement_map(r: &crate::process::Reimbursement) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), r.id.into());
    m.insert("run".into(), r.run.into());
    m.insert("date".into(), r.date.to_string().into());
    m.insert("customer".into(), r.customer.clone().into());
    m.insert("vendor".into(), r.vendor.clone().into());
    m.insert("one_time_vendor".into(), r.one_time_vendor.into());
    m.insert("currency".into(), r.currency.clone().into());
    m.insert("amount".into(), Dynamic::from(r.amount));
    m.insert("voucher".into(), r.voucher.clone().into());
    m.insert("vendor_invoice".into(), r.vendor_invoice.clone().into());
    m.insert("status".into(), r.status.clone().into());
    m.insert("payment_voucher".into(), unit_or(r.payment_voucher.clone()));
    m.insert(
        "paid_date".into(),
        unit_or(r.paid_date.map(|d| d.to_string())),
    );
    m
}

fn reimbursement_maps(session: &Session, filter: &Map) -> RhaiResult<Array> {
    let m = MapArgs::new(
        "reimbursements",
        filter,
        &["status", "customer", "vendor", "run", "from", "to"],
    )?;
    let run = match filter.get("run") {
        None => None,
        Some(v) if v.is_unit() => None,
        Some(v) => Some(v.as_int().map_err(|t| {
            runtime_error(format!("reimbursements: 'run' must be an int, not {t}"))
        })?),
    };
    let date = |key: &str| -> RhaiResult<Option<NaiveDate>> {
        m.string(key)?.map(|d| parse_date(&d)).transpose()
    };
    let filter = crate::process::ReimbursementFilter {
        status: m.string("status")?,
        customer: m.string("customer")?,
        vendor: m.string("vendor")?,
        run,
        from: date("from")?,
        to: date("to")?,
        ..Default::default()
    };
    let rows = crate::process::reimbursements(&session.ledger, &filter).map_err(ledger_error)?;
    Ok(rows
        .iter()
        .map(|r| Dynamic::from(reimbursement_map(r)))
        .collect())
}

/// A recorded run as scripts see it.
fn run_map(r: &crate::process::RunRecord) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), r.id.into());
    m.insert("kind".into(), r.kind.clone().into());
    m.insert("started_at".into(), r.started_at.clone().into());
    m.insert("finished_at".into(), unit_or(r.finished_at.clone()));
    m.insert("user".into(), r.user.clone().into());
    m.insert("posting_date".into(), r.posting_date.clone().into());
    m.insert("selection".into(), r.selection.clone().into());
    m.insert("rules_path".into(), unit_or(r.rules_path.clone()));
    m.insert("rules_hash".into(), unit_or(r.rules_hash.clone()));
    m.insert("parameters_hash".into(), r.parameters_hash.clone().into());
    m.insert("considered".into(), r.considered.into());
    m.insert("reimbursed".into(), r.reimbursed.into());
    m.insert("skipped".into(), r.skipped.into());
    m.insert("failed".into(), r.failed.into());
    m
}

/// Runs the process as a dry run inside the session's open transaction (a nested transaction,
/// see [`crate::store::Store::begin`]) and returns its report as a map. The session's earlier
/// output, posting date and current run are kept.
fn dry_run(session: &Rc<Session>, selection: crate::process::Selection) -> RhaiResult<Map> {
    let rules = session.rules_file().ok_or_else(|| {
        runtime_error(
            "dry_run: this session has no rule file (dry_run works in `reimburse repl` and `reimburse script`)",
        )
    })?;
    if session.in_dry_run.replace(true) {
        return Err(runtime_error(
            "dry_run cannot be called while a dry run is going on (from the rules)",
        ));
    }
    let conn = session.ledger.store().conn();
    let changes_before = conn.total_changes();
    let output_before = session.take_output();
    let run_before = session.ledger.run_id();
    let date = session.date();
    let options = crate::process::RunOptions {
        selection,
        date,
        rules,
        dry_run: true,
        keep_going: true,
        user: crate::process::current_user(),
    };
    let result = crate::process::run(session, &options);
    session.set_date(date);
    session.ledger.set_run(run_before);
    *session.output.borrow_mut() = output_before;
    session
        .undone_changes
        .set(session.undone_changes.get() + (conn.total_changes() - changes_before));
    session.in_dry_run.set(false);
    let report = result.map_err(runtime_error)?;
    let mut m = Map::new();
    m.insert("considered".into(), (report.considered as i64).into());
    m.insert(
        "reimbursements".into(),
        report
            .reimbursements
            .iter()
            .map(|r| {
                let mut row = reimbursement_map(r);
                for key in [
                    "id",
                    "run",
                    "status",
                    "payment_voucher",
                    "paid_date",
                    "date",
                ] {
                    row.remove(key);
                }
                Dynamic::from(row)
            })
            .collect::<Array>()
            .into(),
    );
    m.insert(
        "skipped".into(),
        report
            .skipped
            .iter()
            .map(|k| {
                let mut row = Map::new();
                row.insert("customer".into(), k.customer.clone().into());
                row.insert("currency".into(), k.currency.clone().into());
                row.insert("balance".into(), Dynamic::from(k.balance));
                row.insert("reason".into(), k.reason.clone().into());
                Dynamic::from(row)
            })
            .collect::<Array>()
            .into(),
    );
    m.insert(
        "failed".into(),
        report
            .failed
            .iter()
            .map(|f| {
                let mut row = Map::new();
                row.insert("customer".into(), f.customer.clone().into());
                row.insert("error".into(), f.error.clone().into());
                Dynamic::from(row)
            })
            .collect::<Array>()
            .into(),
    );
    let totals: Map = report
        .totals
        .iter()
        .map(|(c, t)| (c.as_str().into(), Dynamic::from(*t)))
        .collect();
    m.insert("totals".into(), totals.into());
    m.insert(
        "output".into(),
        report
            .output
            .into_iter()
            .map(Dynamic::from)
            .collect::<Array>()
            .into(),
    );
    Ok(m)
}
