//! `reimburse write-off`: small credits written off (or, with the hidden `--reverse-run N` /
//! `--reverse ID...`, write-offs reversed), and `reimburse write-offs`, the list of write-offs.
//! JSON, or a table and the summary line.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use serde_json::json;

use super::{open_ledger, plural, right_align, table, today, totals_text, user, write_json};
use crate::Error;
use crate::ledger::{Ledger, RunId, WriteOff};
use crate::parameters::Company;
use crate::process::{self, WriteOffOptions, WriteOffReport, WriteOffReversal};
use crate::scripting::{Echo, Session};
use crate::text::printable_row;

/// What `write-off` was asked.
pub(super) struct WriteOffRequest<'a> {
    pub date: Option<NaiveDate>,
    pub dry_run: bool,
    pub json: bool,
    pub rules: Option<&'a Path>,
    pub reverse_run: Option<i64>,
    pub reverse: &'a [i64],
    pub reason: Option<&'a str>,
}

/// `write-off`: writes off what the rules choose, or reverses write-offs.
pub(super) fn write_off(
    company: &Company,
    request: &WriteOffRequest<'_>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let date = request.date.unwrap_or_else(today);
    let ledger = open_ledger(company)?;
    if request.reverse_run.is_some() || !request.reverse.is_empty() {
        let reason = request
            .reason
            .ok_or_else(|| Error::Usage("a reversal needs a reason: --reason TEXT".into()))?;
        let report = match request.reverse_run {
            Some(run) => process::reverse_write_offs(
                &ledger,
                RunId(run),
                date,
                reason,
                &user(),
                request.dry_run,
            )?,
            None => process::reverse_write_offs_by_id(
                &ledger,
                request.reverse,
                date,
                reason,
                &user(),
                request.dry_run,
            )?,
        };
        return print_reversal(&report, request.json, out);
    }
    if request.reason.is_some() {
        return Err(Error::Usage(
            "--reason is for a reversal (--reverse-run N)".into(),
        ));
    }
    let options = WriteOffOptions {
        date,
        rules: request
            .rules
            .map_or_else(|| company.rules_path.clone(), Path::to_path_buf),
        dry_run: request.dry_run,
        user: user(),
    };
    let echo = if request.json {
        Echo::Collect
    } else {
        Echo::Stderr
    };
    let session = Session::new(ledger, date, echo);
    let report = process::write_off(&session, &options)?;
    print_report(&report, request.json, out)
}

/// Prints a write-off run's report.
fn print_report(report: &WriteOffReport, json: bool, out: &mut dyn Write) -> Result<(), Error> {
    if json {
        return write_json(out, &serde_json::to_value(report)?);
    }
    if !report.write_offs.is_empty() {
        writeln!(out, "{}", write_off_table(&report.write_offs, false))?;
    }
    let (verb, run) = if report.dry_run {
        ("would write off", "dry run, nothing written".to_string())
    } else {
        ("wrote off", format!("run {}", report.run))
    };
    writeln!(
        out,
        "{verb} {}{}; {} left ({run})",
        plural(report.write_offs.len(), "credit"),
        totals_text(&report.totals),
        report.skipped
    )?;
    Ok(())
}

/// Prints a reversal's report.
pub(super) fn print_reversal(
    report: &WriteOffReversal,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if json {
        return write_json(out, &serde_json::to_value(report)?);
    }
    let mut t = table(&[
        "write-off",
        "customer",
        "currency",
        "amount",
        "voucher",
        "reversal voucher",
    ]);
    for r in &report.reversed {
        t.add_row(printable_row(vec![
            r.write_off.to_string(),
            r.customer.clone(),
            r.currency.clone(),
            r.amount.to_string(),
            r.voucher.clone(),
            r.reversal_voucher.clone(),
        ]));
    }
    right_align(&mut t, &[0, 3]);
    writeln!(out, "{t}")?;
    let (verb, run) = if report.dry_run {
        ("would reverse", "dry run, nothing written".to_string())
    } else {
        ("reversed", format!("run {}", report.run))
    };
    writeln!(
        out,
        "{verb} {}{}: the credits are open again ({run})",
        plural(report.reversed.len(), "write-off"),
        totals_text(&report.totals)
    )?;
    Ok(())
}

/// `write-offs`: every write-off with its status.
pub(super) fn write_offs(ledger: &Ledger, json: bool, out: &mut dyn Write) -> Result<(), Error> {
    let list = process::write_offs(ledger)?;
    if json {
        return write_json(out, &json!({ "write_offs": list }));
    }
    writeln!(out, "{}", write_off_table(&list, true))?;
    Ok(())
}

/// The table of write-offs (with their status and reversal when `status`).
fn write_off_table(list: &[WriteOff], status: bool) -> comfy_table::Table {
    let mut headers = vec![
        "id", "run", "customer", "currency", "amount", "date", "voucher",
    ];
    if status {
        headers.extend(["status", "reversal voucher"]);
    }
    let mut t = table(&headers);
    for w in list {
        let mut row = vec![
            w.id.to_string(),
            w.run.to_string(),
            w.customer.clone(),
            w.currency.clone(),
            w.amount.to_string(),
            w.date.to_string(),
            w.voucher.clone(),
        ];
        if status {
            row.push(w.status.to_string());
            row.push(w.reversal_voucher.clone().unwrap_or_default());
        }
        t.add_row(printable_row(row));
    }
    right_align(&mut t, &[0, 1, 4]);
    t
}
