//! The reimbursement page and the run history for scripts and the REPL (`reimbursements`,
//! `runs`, `run_outcomes`), as maps, read from the ledger's repositories of reimbursements, runs
//! and run outcomes; also how a
//! reimbursement looks to scripts ([`reimbursement_map`], which the process's `dry_run` uses).
//!
//! They must not write, nor depend on the process.

use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{Array, Dynamic, Map};

use crate::ledger::{Decision, Reimbursement, ReimbursementFilter, RunId, RunOutcome, RunRecord};

use crate::scripting::api::Api;
use crate::scripting::args::{MapArgs, parse_date};
use crate::scripting::errors::{RhaiResult, ledger_error, runtime_error};
use crate::scripting::session::Session;
use crate::scripting::values::unit_or;

/// Registers `reimbursements`, `runs` and `run_outcomes`.
pub(super) fn register(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "reimbursements",
        &[],
        "Array of Map",
        "All reimbursements, oldest first (the reimbursement page). Each is a map: id, run, date, customer, vendor, one_time_vendor (bool), currency, amount, voucher, vendor_invoice, status (`open`, `pending approval`, `held`, `paid` or `reversed`), hold_reason (`()` unless held), payment_voucher and paid_date (`()` until paid), last_decision (`()`, or a map: decision (`approve`, `reject`, `hold`, `release`, `reverse`, `write-off`), user, at, run (`()` or int), reason (`()` or text)).",
        move || -> RhaiResult<Array> { reimbursement_maps(&s, &Map::new()) },
    );
    let s = Rc::clone(session);
    api.add(
        "reimbursements",
        &["filter: Map"],
        "Array of Map",
        "The reimbursements that match `filter`, oldest first, as maps (see `reimbursements()`). Filter fields, all optional: status (`open`, `pending approval` or `pending`, `held`, `paid`, `reversed`), customer, vendor, run (int), from and to (dates, inclusive), e.g. `reimbursements(#{status: \"open\", customer: \"C-002\"})`.",
        move |filter: Map| -> RhaiResult<Array> { reimbursement_maps(&s, &filter) },
    );
    let s = Rc::clone(session);
    api.add(
        "runs",
        &[],
        "Array of Map",
        "The runs recorded in the database (audit trail), newest first. Each is a map: id, kind (`reimbursement`, `payment`, or `script` and `repl` for the postings of a committed script or REPL session), started_at, finished_at, user, posting_date, selection, rules_path, rules_hash, parameters_hash, considered, reimbursed (reimbursements or payments made), skipped, failed.",
        move || -> RhaiResult<Array> {
            let runs = s.ledger.runs().map_err(ledger_error)?;
            Ok(runs.iter().map(|r| Dynamic::from(run_map(r))).collect())
        },
    );
    let s = Rc::clone(session);
    api.add(
        "run_outcomes",
        &["run_id: int"],
        "Array of Map",
        "What run `run_id` decided for each credit it did not reimburse, in the order it decided them (an unknown run is an error). Each is a map: customer, currency and amount (the credit's open amount, positive; `()` for a failure), outcome (`skipped`, or `failed` for a customer the rules failed for under --keep-going), reason (the skip's reason, or the error line). A dry run or a failed run keeps none.",
        move |run_id: i64| -> RhaiResult<Array> {
            let mut rows = Array::new();
            s.ledger
                .each_run_outcome(RunId(run_id), None, &mut |o| {
                    rows.push(Dynamic::from(run_outcome_map(o)))
                })
                .map_err(ledger_error)?;
            Ok(rows)
        },
    );
}

/// A run's outcome for a credit it did not reimburse, as scripts see it.
fn run_outcome_map(o: &RunOutcome) -> Map {
    let mut m = Map::new();
    m.insert("customer".into(), o.customer.clone().into());
    m.insert("currency".into(), unit_or(o.currency.clone()));
    m.insert(
        "amount".into(),
        o.amount.map_or(Dynamic::UNIT, Dynamic::from),
    );
    m.insert("outcome".into(), o.outcome.as_str().into());
    m.insert("reason".into(), o.reason.clone().into());
    m
}

/// A reimbursement as scripts see it.
pub(crate) fn reimbursement_map(r: &Reimbursement) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), r.id.into());
    m.insert("run".into(), r.run.row().into());
    m.insert("date".into(), r.date.to_string().into());
    m.insert("customer".into(), r.customer.clone().into());
    m.insert("vendor".into(), r.vendor.clone().into());
    m.insert("one_time_vendor".into(), r.one_time_vendor.into());
    m.insert("currency".into(), r.currency.clone().into());
    m.insert("amount".into(), Dynamic::from(r.amount));
    m.insert("voucher".into(), r.voucher.clone().into());
    m.insert("vendor_invoice".into(), r.vendor_invoice.clone().into());
    m.insert("status".into(), r.status.as_str().into());
    m.insert("hold_reason".into(), unit_or(r.hold_reason.clone()));
    m.insert("payment_voucher".into(), unit_or(r.payment_voucher.clone()));
    m.insert(
        "paid_date".into(),
        unit_or(r.paid_date.map(|d| d.to_string())),
    );
    m.insert(
        "last_decision".into(),
        r.last_decision
            .as_ref()
            .map_or(Dynamic::UNIT, |d| decision_map(d).into()),
    );
    m
}

/// A decision as scripts see it: decision, user, at, run (`()` or int), reason (`()` or text).
pub(crate) fn decision_map(d: &Decision) -> Map {
    let mut m = Map::new();
    m.insert("decision".into(), d.decision.as_str().into());
    m.insert("user".into(), d.user.clone().into());
    m.insert("at".into(), d.at.clone().into());
    m.insert("run".into(), unit_or(d.run.map(|r| r.row())));
    m.insert("reason".into(), unit_or(d.reason.clone()));
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
        Some(v) => Some(RunId(v.as_int().map_err(|t| {
            runtime_error(format!("reimbursements: 'run' must be an int, not {t}"))
        })?)),
    };
    let date = |key: &str| -> RhaiResult<Option<NaiveDate>> {
        m.string(key)?.map(|d| parse_date(&d)).transpose()
    };
    let filter = ReimbursementFilter {
        status: m.string("status")?,
        customer: m.string("customer")?,
        vendor: m.string("vendor")?,
        run,
        from: date("from")?,
        to: date("to")?,
        ..Default::default()
    };
    let rows = session
        .ledger
        .reimbursements(&filter)
        .map_err(ledger_error)?;
    Ok(rows
        .iter()
        .map(|r| Dynamic::from(reimbursement_map(r)))
        .collect())
}

/// A recorded run as scripts see it.
fn run_map(r: &RunRecord) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), r.id.row().into());
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
