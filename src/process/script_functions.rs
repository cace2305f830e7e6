//! The script functions of the process, which it registers into the engines of the sessions
//! that offer them ([`offer`], through [`Session::extend`]): `dry_run()` from scripts and the
//! REPL, the reimbursement run in the session's open transaction, undone, with its report as a
//! map; the session's output, posting date and current run are kept.
//!
//! It depends on the run (`run`, `options`, `report`); nothing in the process depends on it but
//! `run`, which offers these functions in the engine of the rules (a dry run from the rules
//! runs the process again: the session refuses one while another goes on).

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};

use super::options::{RunOptions, Selection};
use super::report::{Reimbursement, RunReport};
use super::run::run;
use crate::scripting::{Api, RhaiResult, Session, reimbursement_map, runtime_error};

/// Offers the process's script functions in every engine `session` builds from now on (once,
/// however often it is called).
pub fn offer(session: &Session) {
    session.extend("process", register);
}

/// Registers the three `dry_run` functions.
fn register(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "dry_run",
        &[],
        "Map",
        "Runs the reimbursement for all customers with the company's rule file and undoes it: what a run would do now. Functions defined in the REPL session or the script override the rule file's (to try a change to a hook). Returns a map: `considered` (customers), `reimbursements` (maps: customer, vendor, one_time_vendor, currency, amount, voucher, vendor_invoice), `skipped` (maps: customer, currency, balance, reason), `failed` (maps: customer, error), `totals` (currency → amount) and `output` (lines the rules printed). A customer whose rules fail is listed in `failed`. Work done earlier in the session is seen by the dry run and kept. Only in `reimburse repl` and `reimburse script`.",
        move || -> RhaiResult<Map> { dry_run(&s, Selection::All) },
    );
    let s = Rc::clone(session);
    api.add(
        "dry_run",
        &["customer: String"],
        "Map",
        "A dry run for one customer (see `dry_run()`), e.g. `dry_run(\"C-003\")`.",
        move |customer: &str| -> RhaiResult<Map> {
            dry_run(&s, Selection::Customers(vec![customer.to_string()]))
        },
    );
    let s = Rc::clone(session);
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
            dry_run(&s, Selection::Customers(accounts))
        },
    );
}

/// Runs the process as a dry run inside the session's open transaction (a nested transaction,
/// see [`crate::store::Store::begin`]) and returns its report as a map. The session's earlier
/// output, posting date and current run are kept.
fn dry_run(session: &Rc<Session>, selection: Selection) -> RhaiResult<Map> {
    let rules = session.rules_file().ok_or_else(|| {
        runtime_error(
            "dry_run: this session has no rule file (dry_run works in `reimburse repl` and `reimburse script`)",
        )
    })?;
    let result = session
        .run_undone(|| {
            let options = RunOptions {
                selection,
                date: session.date(),
                rules,
                dry_run: true,
                keep_going: true,
                user: crate::ledger::current_user(),
            };
            run(session, &options)
        })
        .ok_or_else(|| {
            runtime_error("dry_run cannot be called while a dry run is going on (from the rules)")
        })?;
    let report = result.map_err(runtime_error)?;
    Ok(report_map(report))
}

/// A dry run's report as scripts see it: considered, reimbursements, skipped, failed, totals,
/// output.
fn report_map(report: RunReport) -> Map {
    let mut m = Map::new();
    m.insert("considered".into(), (report.considered as i64).into());
    m.insert(
        "reimbursements".into(),
        report
            .reimbursements
            .iter()
            .map(dry_run_reimbursement)
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
    m
}

/// A reimbursement of a dry run as scripts see it: without what only a recorded one has (id,
/// run, status, payment voucher, paid date, date).
fn dry_run_reimbursement(r: &Reimbursement) -> Dynamic {
    let mut row = reimbursement_map(r);
    for key in [
        "id",
        "run",
        "status",
        "hold_reason",
        "last_decision",
        "payment_voucher",
        "paid_date",
        "date",
    ] {
        row.remove(key);
    }
    Dynamic::from(row)
}
