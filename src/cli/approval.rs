//! `approve`, `hold`, `release` and `history`: a reimbursement's lifecycle after its run, as
//! tables or JSON. Approve exits with 1 when every selected reimbursement was refused; a hold or
//! release refused as a whole lists each refusal (and, with `--json`, prints them as JSON too).
//!
//! Must not depend on the other commands.

use std::io::Write;

use serde_json::json;

use super::args::ApproveArgs;
use super::{plural, right_align, table, user, write_json};
use crate::Error;
use crate::ledger::{Ledger, Reimbursement, RunId};
use crate::process::{self, ApprovalSelection, ApproveOptions, HistoryEvent, LifecycleError};
use crate::text::{printable, printable_row};

/// `approve`: approves what the current user may approve, lists the refusals.
pub(super) fn approve(
    ledger: &Ledger,
    args: &ApproveArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let selection = match args.run {
        Some(run) => ApprovalSelection::Run(RunId(run)),
        None => ApprovalSelection::Reimbursements(args.reimbursements.clone()),
    };
    let options = ApproveOptions {
        selection,
        note: args.note.clone(),
        user: user(),
    };
    let report = process::approve(ledger, &options)?;
    if args.json {
        write_json(out, &serde_json::to_value(&report)?)?;
    } else {
        if !report.approved.is_empty() {
            let mut t = table(&["id", "run", "customer", "currency", "amount", "status"]);
            for a in &report.approved {
                t.add_row(printable_row(vec![
                    a.id.to_string(),
                    a.run.to_string(),
                    a.customer.clone(),
                    a.currency.clone(),
                    a.amount.to_string(),
                    a.status.to_string(),
                ]));
            }
            right_align(&mut t, &[0, 1, 4]);
            writeln!(out, "{t}")?;
        }
        for refusal in &report.refused {
            writeln!(out, "refused: {}", printable(&refusal.to_string()))?;
        }
        writeln!(
            out,
            "{} approved, {} refused",
            plural(report.approved.len(), "reimbursement"),
            report.refused.len()
        )?;
    }
    if report.approved.is_empty() && !report.refused.is_empty() {
        return Err(LifecycleError::NoneApproved(report.refused.len()).into());
    }
    Ok(())
}

/// `hold`: all or nothing.
pub(super) fn hold(
    ledger: &Ledger,
    ids: &[i64],
    reason: &str,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let done = process::hold(ledger, ids, reason, &user());
    changed("held", done, json, out)
}

/// `release`: all or nothing.
pub(super) fn release(
    ledger: &Ledger,
    ids: &[i64],
    note: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let done = process::release(ledger, ids, note, &user());
    changed("released", done, json, out)
}

/// The reimbursements a hold or release changed, or its refusals (JSON, with `--json`, then the
/// error).
fn changed(
    verb: &str,
    done: Result<Vec<Reimbursement>, LifecycleError>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let changed = match done {
        Ok(changed) => changed,
        Err(LifecycleError::Refused {
            operation,
            refusals,
        }) => {
            if json {
                write_json(out, &json!({ verb: [], "refused": refusals }))?;
            }
            return Err(LifecycleError::Refused {
                operation,
                refusals,
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        return write_json(out, &json!({ verb: changed, "refused": [] }));
    }
    let mut t = table(&[
        "id",
        "run",
        "customer",
        "currency",
        "amount",
        "status",
        "hold_reason",
    ]);
    for r in &changed {
        t.add_row(printable_row(vec![
            r.id.to_string(),
            r.run.to_string(),
            r.customer.clone(),
            r.currency.clone(),
            r.amount.to_string(),
            r.status.to_string(),
            r.hold_reason.clone().unwrap_or_default(),
        ]));
    }
    right_align(&mut t, &[0, 1, 4]);
    writeln!(out, "{t}")?;
    writeln!(out, "{} {verb}", plural(changed.len(), "reimbursement"))?;
    Ok(())
}

/// `history`: the events of one reimbursement, in order.
pub(super) fn history(
    ledger: &Ledger,
    id: i64,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let events = process::history(ledger, id)?;
    if json {
        return write_json(out, &json!({ "reimbursement": id, "events": events }));
    }
    let mut t = table(&["event", "by", "at", "run", "details"]);
    for e in &events {
        t.add_row(printable_row(event_cells(e)));
    }
    writeln!(out, "{t}")?;
    Ok(())
}

/// A history event's cells: event, by, at, run, details.
fn event_cells(e: &HistoryEvent) -> Vec<String> {
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
        } => vec![
            "posted".into(),
            user.clone(),
            at.clone(),
            run.to_string(),
            format!("{amount} {currency} from {customer} to {vendor}, voucher {voucher} of {date}"),
        ],
        HistoryEvent::Decision(d) => vec![
            d.decision.to_string(),
            d.user.clone(),
            d.at.clone(),
            d.run.map(|r| r.to_string()).unwrap_or_default(),
            d.reason.clone().unwrap_or_default(),
        ],
        HistoryEvent::Paid {
            voucher,
            date,
            run,
            user,
            at,
        } => vec![
            "paid".into(),
            user.clone(),
            if at.is_empty() {
                date.to_string()
            } else {
                at.clone()
            },
            run.map(|r| r.to_string()).unwrap_or_default(),
            format!("payment voucher {voucher} of {date}"),
        ],
    }
}
