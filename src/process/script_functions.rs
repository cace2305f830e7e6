//! The script functions of the process, which it registers into the engines of the sessions
//! that offer them ([`offer`], through [`Session::extend`]): `dry_run()` from scripts and the
//! REPL, the reimbursement run in the session's open transaction, undone, with its report as a
//! map; the session's output, posting date and current run are kept. `reverse(id, reason)`
//! reverses one reimbursement in the session's transaction (kept with it: committed with the
//! script, or at the REPL's `:commit`).
//!
//! It depends on the run (`run`, `options`, `report`) and on `lifecycle`; nothing in the process depends on it but
//! `run`, which offers these functions in the engine of the rules (a dry run from the rules
//! runs the process again: the session refuses one while another goes on).

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};

use super::lifecycle::{ReversalSelection, ReverseOptions, reverse};
use super::options::{RunOptions, Selection};
use super::report::{Reimbursement, RunReport};
use super::run::run;
use crate::scripting::{Api, RhaiResult, Session, reimbursement_map, runtime_error};

/// Offers the process's script functions in every engine `session` builds from now on (once,
/// however often it is called).
pub fn offer(session: &Session) {
    session.extend("process", register);
}

/// Registers the three `dry_run` functions and `reverse`.
fn register(api: &mut Api, session: &Rc<Session>) {
    register_dry_run(api, session);
    let s = Rc::clone(session);
    api.add(
        "reverse",
        &["id: int", "reason: String"],
        "Map",
        "Reverses reimbursement `id` (not paid) on the session's posting date, as `reimburse reverse --reimbursement ID --reason TEXT` does: a voucher that mirrors it (the vendor debited, the customer credited), its vendor invoice settled by it, the customer's credit open again; recorded as a run of kind `reversal` with a decision `reverse` by the current user. Kept in the session's transaction (written when the script commits, or at the REPL's `:commit`). Returns a map: `run` (the reversal run), `reimbursement`, `reversal_voucher`, `customer`, `currency`, `amount`, `date`. Fails, reversing nothing, for a paid one (a bank matter), one reversed already, one dated after the posting date or whose invoice is partly settled, and from the rules' hooks. Only in `reimburse repl` and `reimburse script`.",
        move |id: i64, reason: &str| -> RhaiResult<Map> { reverse_one(&s, id, reason) },
    );
}

/// Reverses reimbursement `id` in the session's transaction; its reversal as a map.
fn reverse_one(session: &Rc<Session>, id: i64, reason: &str) -> RhaiResult<Map> {
    let options = ReverseOptions {
        selection: ReversalSelection::Reimbursements(vec![id]),
        date: session.date(),
        reason: reason.to_string(),
        user: crate::ledger::current_user(),
        dry_run: false,
    };
    let report = reverse(session.ledger(), &options).map_err(runtime_error)?;
    let (Some(run), [reversal]) = (report.run, report.reversed.as_slice()) else {
        return Err(runtime_error(format!(
            "reverse: reimbursement {id} was not reversed"
        )));
    };
    let mut m = Map::new();
    m.insert("run".into(), run.row().into());
    m.insert("reimbursement".into(), reversal.reimbursement.into());
    m.insert(
        "reversal_voucher".into(),
        reversal.reversal_voucher.clone().into(),
    );
    m.insert("customer".into(), reversal.customer.clone().into());
    m.insert("currency".into(), reversal.currency.clone().into());
    m.insert("amount".into(), Dynamic::from(reversal.amount));
    m.insert("date".into(), reversal.date.to_string().into());
    Ok(m)
}

/// Registers the three `dry_run` functions.
fn register_dry_run(api: &mut Api, session: &Rc<Session>) {
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
