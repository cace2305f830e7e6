//! `reimburse run`: the reimbursement run, its rows spooled as they are made ([`RunRows`]) and
//! printed once it succeeded (JSON, or tables and the summary line); a dry run while another
//! session holds the write lock reads a copy.
//!
//! Must not depend on the other commands.

use std::collections::BTreeMap;
use std::io::Write;

use super::args::RunArgs;
use super::committed::{self, Committed};
use super::spool::{self, Spool};
use super::{open_ledger, plural, progress_bar, right_align, table, today, totals_text, user};
use crate::Error;
use crate::parameters::Company;
use crate::process::{self, RunOptions, Selection};
use crate::scripting::{Echo, Session};
use crate::text::{printable, printable_lines, printable_row};

pub(super) fn run_command(
    company: &Company,
    args: &RunArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let selection = if !args.customers.is_empty() {
        Selection::Customers(args.customers.clone())
    } else if !args.groups.is_empty() {
        Selection::Groups(args.groups.clone())
    } else if let Some(expr) = &args.where_ {
        Selection::Where(expr.clone())
    } else {
        Selection::All
    };
    let options = RunOptions {
        selection,
        date: args.date.unwrap_or_else(today),
        rules: args
            .rules
            .clone()
            .unwrap_or_else(|| company.rules_path.clone()),
        dry_run: args.dry_run,
        keep_going: args.keep_going,
        user: user(),
    };
    let ledger = open_ledger(company)?;
    let session = Session::new(
        ledger,
        options.date,
        if args.json {
            Echo::Collect
        } else {
            Echo::Stderr
        },
    );
    let bar = progress_bar(args.json);
    let mut rows = RunRows {
        json: args.json,
        // With an approval section, the table shows each one's status (`pending approval`).
        status: company.params.approval.is_some(),
        bar: bar.as_ref(),
        reimbursements: Spool::new(),
        skipped: Spool::new(),
        failed: Spool::new(),
        by_reason: Default::default(),
    };
    let report = match process::run_observed(&session, &options, &mut rows) {
        Err(e) if options.dry_run && is_busy(&e) => {
            dry_run_on_a_copy(company, &session, &options, &mut rows)
        }
        report => Ok(report?),
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // Only a run that succeeded prints its rows (a failed one was rolled back).
    let report = report?;
    let committed = (!report.dry_run).then_some(Committed::Run(report.run));
    let printed = print_run(&report, rows, out);
    committed::reported(committed, out, printed)
}

/// Prints a run's report from its spools: JSON, or the tables and the summary line. A
/// `--keep-going` run that skipped failing customers is not a clean run: exit code 3.
fn print_run(report: &process::RunReport, rows: RunRows, out: &mut dyn Write) -> Result<(), Error> {
    let RunRows {
        json: rows_json,
        status,
        reimbursements,
        skipped,
        failed,
        by_reason,
        ..
    } = rows;
    let (reimbursements, skipped, failed) = (
        reimbursements.finish()?,
        skipped.finish()?,
        failed.finish()?,
    );
    // A `--keep-going` run that skipped failing customers is not a clean run: exit code 3.
    let outcome = match report.failed_count {
        0 => Ok(()),
        n => Err(Error::CustomersFailed(n)),
    };
    if rows_json {
        spool::write_json(
            out,
            report,
            &[
                ("reimbursements", &reimbursements),
                ("skipped", &skipped),
                ("failed", &failed),
            ],
        )?;
        return outcome;
    }
    if report.reimbursed_count > 0 {
        let headers = &RUN_HEADERS[..if status { 8 } else { 7 }];
        spool::write_table(
            out,
            headers,
            &[4],
            &reimbursements,
            spool::table_buffer_rows(),
        )?;
    }
    print_skipped(report, &skipped, by_reason, out)?;
    for f in failed.rows::<(String, String)>()? {
        let (customer, error) = f?;
        writeln!(
            out,
            "failed: {}: {}",
            printable(&customer),
            printable_lines(&error)
        )?;
    }
    writeln!(out, "{}", run_summary(report))?;
    outcome
}

/// The skipped credits of a run's table: listed when there are few, else counted by reason.
fn print_skipped(
    report: &process::RunReport,
    skipped: &spool::Spooled,
    by_reason: BTreeMap<String, u64>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if report.skipped_count > SKIPPED_LISTED {
        // Too many to read one by one: how many per reason (`--json` lists them all).
        writeln!(out, "Skipped, by reason (--json lists each credit):")?;
        let mut s = table(&["reason", "credits"]);
        for (reason, n) in by_reason {
            s.add_row(printable_row(vec![reason, n.to_string()]));
        }
        right_align(&mut s, &[1]);
        writeln!(out, "{s}")?;
    } else if report.skipped_count > 0 {
        writeln!(out, "Skipped:")?;
        spool::write_table(
            out,
            &["customer", "currency", "balance", "reason"],
            &[2],
            skipped,
            SKIPPED_LISTED,
        )?;
    }
    Ok(())
}

/// True when a run could not begin because another connection holds the write lock.
fn is_busy(e: &process::RunError) -> bool {
    matches!(
        e,
        process::RunError::Ledger(crate::ledger::LedgerError::Store(
            crate::store::StoreError::Busy(_)
        ))
    )
}

/// A dry run while another session (a REPL, a script, a run) holds the write lock: it reads
/// the database as last committed, from a copy in a temporary folder (`VACUUM INTO`, a read
/// transaction, which a writer does not block), and says so on standard error.
fn dry_run_on_a_copy(
    company: &Company,
    session: &std::rc::Rc<Session>,
    options: &RunOptions,
    rows: &mut RunRows,
) -> Result<process::RunReport, Error> {
    eprintln!(
        "note: {} is being written by another session (a REPL, a script or a run) that holds \
         its write lock; this dry run reads what was last committed, from a copy",
        company.database_path.display()
    );
    let dir = tempfile::tempdir()?;
    let mut copy = company.clone();
    copy.database_path = dir.path().join("snapshot.db");
    session.ledger().store().backup_to(&copy.database_path)?;
    let echo = if rows.json {
        Echo::Collect
    } else {
        Echo::Stderr
    };
    let session = Session::new(open_ledger(&copy)?, options.date, echo);
    Ok(process::run_observed(&session, options, rows)?)
}

/// The last line of a run's table: how many customers were considered and what was made; a run
/// that finds nothing to reimburse says so plainly.
fn run_summary(report: &process::RunReport) -> String {
    // A dry run's number was never recorded: it is not a run of the audit trail.
    let label = if report.dry_run {
        "dry run".to_string()
    } else {
        format!("run {}", report.run)
    };
    let failed = if report.failed_count == 0 {
        String::new()
    } else {
        format!(", {} failed", report.failed_count)
    };
    let considered = plural(report.considered as usize, "customer");
    if report.reimbursed_count == 0 {
        let written = if report.dry_run {
            ", nothing written"
        } else {
            ""
        };
        return format!(
            "{label}: nothing to reimburse ({considered} considered, {} skipped{failed}{written})",
            report.skipped_count
        );
    }
    let verb = if report.dry_run {
        "would be made (nothing written)"
    } else {
        "made"
    };
    format!(
        "{label}: {considered} considered, {} {verb}{}, {} skipped{failed}",
        plural(report.reimbursed_count as usize, "reimbursement"),
        totals_text(&report.totals),
        report.skipped_count,
    )
}

/// The columns of the run's table (the status only when the company has an approval section).
const RUN_HEADERS: [&str; 8] = [
    "customer",
    "vendor",
    "one-time vendor",
    "currency",
    "amount",
    "voucher",
    "vendor invoice",
    "status",
];

/// Up to this many skipped credits, the run's table lists them; above, it counts them by reason.
const SKIPPED_LISTED: u64 = 50;

/// The run's observer: spools each row as it arrives (as JSON for `--json`, as table cells
/// otherwise) and keeps only the skipped credits' counts per reason, so memory stays flat.
struct RunRows<'a> {
    json: bool,
    /// The table has a status column (the company has an approval section).
    status: bool,
    bar: Option<&'a indicatif::ProgressBar>,
    reimbursements: Spool,
    skipped: Spool,
    failed: Spool,
    by_reason: BTreeMap<String, u64>,
}

impl process::RunObserver for RunRows<'_> {
    fn progress(&mut self, done: u64, total: u64) {
        if let Some(bar) = self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn reimbursement(&mut self, r: &process::Reimbursement) {
        if self.json {
            return self.reimbursements.push(r);
        }
        let mut cells = vec![
            r.customer.clone(),
            r.vendor.clone(),
            if r.one_time_vendor {
                "created".into()
            } else {
                "".into()
            },
            r.currency.clone(),
            r.amount.to_string(),
            r.voucher.clone(),
            r.vendor_invoice.clone(),
        ];
        if self.status {
            cells.push(r.status.to_string());
        }
        self.reimbursements.push_cells(&cells);
    }

    fn skipped(&mut self, k: &process::Skipped) {
        if self.json {
            return self.skipped.push(k);
        }
        if let Some(n) = self.by_reason.get_mut(&k.reason) {
            *n += 1;
        } else {
            self.by_reason.insert(k.reason.clone(), 1);
        }
        // The table lists them only when there are few.
        if self.skipped.len() <= SKIPPED_LISTED {
            self.skipped.push_cells(&[
                k.customer.clone(),
                k.currency.clone(),
                k.balance.to_string(),
                k.reason.clone(),
            ]);
        }
    }

    fn failed(&mut self, f: &process::Failed) {
        if self.json {
            return self.failed.push(f);
        }
        self.failed.push(&(&f.customer, &f.error));
    }
}
