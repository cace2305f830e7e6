//! The lifecycle operations for scripts and the REPL: `approve(id)`, `approve(id, note)`,
//! `hold(id, reason)`, `release(id)` and `history(id)`, registered through
//! [`Session::extend`] into the engines of the sessions that offer them ([`offer`]: the REPL,
//! `reimburse script`, `reimburse api`), never into the engine of a run's hooks. They act in the
//! session's transaction (the REPL commits with `:commit`) as the current user.

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};

use super::approve::{ApprovalSelection, ApproveOptions, approve};
use super::error::LifecycleError;
use super::history::{HistoryEvent, history};
use super::hold::{hold, release};
use crate::ledger::{Reimbursement, current_user};
use crate::scripting::{Api, RhaiResult, Session, decision_map, reimbursement_map, runtime_error};

/// Offers the lifecycle functions in every engine `session` builds from now on (once, however
/// often it is called).
pub fn offer(session: &Session) {
    session.extend("lifecycle", register);
}

/// Registers approve, hold, release and history.
fn register(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "approve",
        &["id: int"],
        "Map",
        "Approves the reimbursement `id` (pending approval) as the current user, who must be a listed approver (`approval.approvers`), within their limit (the amount in the accounting currency), and not the user of the run that posted it (four eyes); records a decision `approve`. Returns the reimbursement as `reimbursements()` shows it; a refusal is an error naming the rule that stopped it. In the session's transaction (the REPL commits with `:commit`). Only in `reimburse repl` and `reimburse script`.",
        move |id: i64| -> RhaiResult<Map> { approve_one(&s, id, None) },
    );
    let s = Rc::clone(session);
    api.add(
        "approve",
        &["id: int", "note: String"],
        "Map",
        "Approves the reimbursement `id` with a note recorded in its decision (see `approve(id)`).",
        move |id: i64, note: &str| -> RhaiResult<Map> { approve_one(&s, id, Some(note)) },
    );
    let s = Rc::clone(session);
    api.add(
        "hold",
        &["id: int", "reason: String"],
        "Map",
        "Holds the unpaid reimbursement `id` with `reason` (`pay` leaves it, status `held`) and records a decision `hold` by the current user. Returns the reimbursement; an unknown, paid, reversed or already held one is an error. In the session's transaction. Only in `reimburse repl` and `reimburse script`.",
        move |id: i64, reason: &str| -> RhaiResult<Map> {
            let done = hold(s.ledger(), &[id], reason, &current_user());
            one(done.map_err(fail("hold"))?, id)
        },
    );
    let s = Rc::clone(session);
    api.add(
        "release",
        &["id: int"],
        "Map",
        "Releases the hold of reimbursement `id` and records a decision `release` by the current user. Returns the reimbursement; an unknown, paid, reversed or not held one is an error. In the session's transaction. Only in `reimburse repl` and `reimburse script`.",
        move |id: i64| -> RhaiResult<Map> {
            let done = release(s.ledger(), &[id], None, &current_user());
            one(done.map_err(fail("release"))?, id)
        },
    );
    let s = Rc::clone(session);
    api.add(
        "history",
        &["id: int"],
        "Array of Map",
        "What happened to reimbursement `id`, in order, as maps with an `event`: `posted` (run, user, at, date, voucher, customer, vendor, currency, amount), `decision` (decision, user, at, run, reason) and `paid` (voucher, date). Only in `reimburse repl` and `reimburse script`.",
        move |id: i64| -> RhaiResult<Array> {
            let events = history(s.ledger(), id).map_err(fail("history"))?;
            Ok(events.iter().map(|e| Dynamic::from(event_map(e))).collect())
        },
    );
}

/// `approve(id)` and `approve(id, note)`.
fn approve_one(session: &Session, id: i64, note: Option<&str>) -> RhaiResult<Map> {
    let options = ApproveOptions {
        selection: ApprovalSelection::Reimbursements(vec![id]),
        note: note.map(str::to_string),
        user: current_user(),
    };
    let report = approve(session.ledger(), &options).map_err(fail("approve"))?;
    if let Some(refusal) = report.refused.first() {
        return Err(runtime_error(format!("approve: {refusal}")));
    }
    let now = session
        .ledger()
        .reimbursement(id)
        .map_err(|e| fail("approve")(e.into()))?;
    one(now.into_iter().collect(), id)
}

/// The one reimbursement changed, as scripts see it.
fn one(changed: Vec<Reimbursement>, id: i64) -> RhaiResult<Map> {
    changed
        .first()
        .map(reimbursement_map)
        .ok_or_else(|| runtime_error(format!("reimbursement {id} does not exist")))
}

/// A lifecycle error as a script error of `function`.
fn fail(function: &'static str) -> impl Fn(LifecycleError) -> Box<rhai::EvalAltResult> {
    move |e| runtime_error(format!("{function}: {e}"))
}

/// A history event as scripts see it.
fn event_map(e: &HistoryEvent) -> Map {
    let mut m = Map::new();
    match e {
        HistoryEvent::Posted {
            run,
            user,
            at,
            date,
            voucher,
            customer,
            vendor,
            currency,
            amount,
        } => {
            m.insert("event".into(), "posted".into());
            m.insert("run".into(), run.row().into());
            m.insert("user".into(), user.clone().into());
            m.insert("at".into(), at.clone().into());
            m.insert("date".into(), date.to_string().into());
            m.insert("voucher".into(), voucher.clone().into());
            m.insert("customer".into(), customer.clone().into());
            m.insert("vendor".into(), vendor.clone().into());
            m.insert("currency".into(), currency.clone().into());
            m.insert("amount".into(), Dynamic::from(*amount));
        }
        HistoryEvent::Decision(d) => {
            m = decision_map(d);
            m.insert("event".into(), "decision".into());
        }
        HistoryEvent::Paid {
            voucher,
            date,
            run,
            user,
            at,
        } => {
            m.insert("event".into(), "paid".into());
            m.insert("voucher".into(), voucher.clone().into());
            m.insert("date".into(), date.to_string().into());
            m.insert(
                "run".into(),
                run.map_or(Dynamic::UNIT, |r| Dynamic::from(r.row())),
            );
            m.insert("user".into(), user.clone().into());
            m.insert("at".into(), at.clone().into());
        }
    }
    m
}
