//! `reimburse reverse` and `reimburse reject`: reimbursements not paid undone by a reversing
//! voucher each (a rejection by an approver of those pending approval), printed as a table and
//! a summary line, or JSON. A refusal is the usual error (exit 1, every refusal listed); an
//! output failure after the commit says what was committed.
//!
//! Must not depend on the other commands, but for the printing of a write-off run's reversal
//! (`reverse --run N` of a write-off run), which is `write_off.rs`'s.

use std::io::Write;

use chrono::NaiveDate;
use clap::Args;

use super::committed::{self, Committed};
use super::{open_ledger, plural, right_align, table, today, totals_text, user};
use crate::Error;
use crate::ledger::{DecisionKind, RunId, RunKind};
use crate::parameters::Company;
use crate::process::{self, ReversalReport, ReversalSelection, ReverseOptions};
use crate::text::printable_row;

/// Which reimbursements `reverse` and `reject` are about.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ReversalTarget {
    /// The reimbursements of this reimbursement run (those reversed already are left out).
    #[arg(long)]
    pub run: Option<i64>,
    /// These reimbursements (ids, repeatable or comma-separated).
    #[arg(long = "reimbursement", value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub reimbursements: Vec<i64>,
}

/// Arguments of `reverse` and `reject`.
#[derive(Debug, Args)]
pub struct ReversalArgs {
    /// Which reimbursements.
    #[command(flatten)]
    pub target: ReversalTarget,
    /// Date of the reversing vouchers (default today; not before a reimbursement's own date).
    #[arg(long, value_parser = super::args::parse_date)]
    pub date: Option<NaiveDate>,
    /// Why (recorded with each decision).
    #[arg(long)]
    pub reason: String,
    /// Show what would be reversed without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `reverse` (`decision` reverse) or `reject` (`decision` reject), as the arguments ask.
pub(super) fn reversal(
    company: &Company,
    args: &ReversalArgs,
    decision: DecisionKind,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let selection = match args.target.run {
        Some(run) => ReversalSelection::Run(RunId(run)),
        None => ReversalSelection::Reimbursements(args.target.reimbursements.clone()),
    };
    let options = ReverseOptions {
        selection,
        date: args.date.unwrap_or_else(today),
        reason: args.reason.clone(),
        user: user(),
        dry_run: args.dry_run,
    };
    let ledger = open_ledger(company)?;
    // A write-off run is reversed like a reimbursement run, by its own reversal.
    if let (DecisionKind::Reverse, ReversalSelection::Run(run)) = (decision, &options.selection)
        && ledger.run_kind(*run)?.as_deref() == Some(RunKind::WriteOff.as_str())
    {
        let report = process::reverse_write_offs(
            &ledger,
            *run,
            options.date,
            &options.reason,
            &options.user,
            options.dry_run,
        )?;
        return super::write_off::print_reversal(&report, args.json, out);
    }
    let report = match decision {
        DecisionKind::Reject => process::reject(&ledger, &options)?,
        _ => process::reverse(&ledger, &options)?,
    };
    let committed = report
        .run
        .filter(|_| !report.dry_run)
        .map(Committed::Reversal);
    let printed = print_report(&report, args.json, out);
    committed::reported(committed, out, printed)
}

/// The report as JSON, or the table of reversals and the summary lines.
fn print_report(report: &ReversalReport, json: bool, out: &mut dyn Write) -> Result<(), Error> {
    if json {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    if !report.reversed.is_empty() {
        let mut t = table(&[
            "reimbursement",
            "customer",
            "vendor",
            "currency",
            "amount",
            "voucher",
            "invoice",
            "reversal voucher",
        ]);
        for r in &report.reversed {
            t.add_row(printable_row(vec![
                r.reimbursement.to_string(),
                r.customer.clone(),
                r.vendor.clone(),
                r.currency.clone(),
                r.amount.to_string(),
                r.voucher.clone(),
                r.vendor_invoice.clone(),
                r.reversal_voucher.clone(),
            ]));
        }
        right_align(&mut t, &[4]);
        writeln!(out, "{t}")?;
    }
    let verb = match (report.decision, report.dry_run) {
        (DecisionKind::Reject, false) => "rejected and reversed",
        (DecisionKind::Reject, true) => "would reject and reverse (dry run, nothing written)",
        (_, false) => "reversed",
        (_, true) => "would reverse (dry run, nothing written)",
    };
    let run = match report.run {
        Some(run) if !report.dry_run => format!(" in run {run} on {}", report.date),
        _ => format!(" on {}", report.date),
    };
    writeln!(
        out,
        "{} {verb}{run}{}",
        plural(report.reversed.len(), "reimbursement"),
        totals_text(&report.totals)
    )?;
    if !report.left_out.is_empty() {
        let listed: Vec<String> = report
            .left_out
            .iter()
            .map(|l| format!("{} ({})", l.reimbursement, l.status))
            .collect();
        writeln!(out, "left out: {}", listed.join(", "))?;
    }
    Ok(())
}
