//! `reimburse pay`: pay open reimbursement invoices; the payments (and the invoices not paid) are
//! spooled as they are made and printed once the payment run succeeded (JSON, or tables and the
//! summary lines). With `--bank-file`, the EUR transfers are written as a pain.001 file.
//! `reimburse bank-file` writes a payment run's file again.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::args::FilterArgs;
use super::committed::{self, Committed};
use super::spool::{self, Spool, Spooled};
use super::{open_ledger, output_guard, plural, reading_ledger, today, totals_text, user};
use crate::Error;
use crate::ledger::RunId;
use crate::parameters::Company;
use crate::process::{self, PayEvent, PayOptions};

/// What `pay` was asked.
pub(super) struct PayRequest<'a> {
    pub filter: &'a FilterArgs,
    pub date: Option<NaiveDate>,
    pub dry_run: bool,
    pub json: bool,
    pub bank_file: Option<&'a Path>,
}

/// `pay`: pays the reimbursements the filter selects on the date (default today), or shows what
/// it would pay (`dry_run`).
pub(super) fn pay(
    company: &Company,
    request: &PayRequest<'_>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if let Some(path) = request.bank_file {
        output_guard::new_bank_file(company, path)?;
    }
    let ledger = open_ledger(company)?;
    let mut options = PayOptions::new(
        request.filter.filter(None),
        request.date.unwrap_or_else(today),
        &user(),
    );
    options.dry_run = request.dry_run;
    options.bank_file = request.bank_file.map(PathBuf::from);
    let (mut payments, mut not_paid) = (Spool::new(), Spool::new());
    let json = request.json;
    let report = process::pay_observed(&ledger, &options, &mut |event| match event {
        PayEvent::Paid(p) if json => payments.push(p),
        PayEvent::Paid(p) => payments.push_cells(&[
            p.reimbursement.to_string(),
            p.customer.clone(),
            p.vendor.clone(),
            p.vendor_invoice.clone(),
            p.currency.clone(),
            p.amount.to_string(),
            p.settled_by_debit.to_string(),
            p.voucher.clone(),
            p.not_in_bank_file
                .map(|n| n.as_str())
                .unwrap_or_default()
                .into(),
        ]),
        PayEvent::NotPaid(n) if json => not_paid.push(n),
        PayEvent::NotPaid(n) => not_paid.push_cells(&[
            n.reimbursement.to_string(),
            n.customer.clone(),
            n.vendor.clone(),
            n.vendor_invoice.clone(),
            n.currency.clone(),
            n.amount.to_string(),
            match &n.detail {
                Some(detail) => format!("{}: {detail}", n.reason.as_str()),
                None => n.reason.as_str().into(),
            },
        ]),
    })?;
    let committed = (!request.dry_run).then_some(Committed::Pay(report.run));
    let printed = print_payments(&report, (payments, not_paid), request, out);
    committed::reported(committed, out, printed)
}

/// Prints a payment run's report from its spools: JSON, or the tables and the summary lines.
fn print_payments(
    report: &process::PayReport,
    (payments, not_paid): (Spool, Spool),
    request: &PayRequest<'_>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (payments, not_paid) = (payments.finish()?, not_paid.finish()?);
    if request.json {
        let lists = [("payments", &payments), ("not_paid", &not_paid)];
        return spool::write_json(out, report, &lists);
    }
    print_paid(report, &payments, out)?;
    print_not_paid(&not_paid, out)?;
    if let Some(file) = report.bank_file.as_ref().filter(|f| f.written) {
        let verb = if report.dry_run {
            "would write"
        } else {
            "wrote"
        };
        writeln!(
            out,
            "bank file: {verb} {} ({}, {} {}, message {})",
            file.path.display(),
            plural(file.transactions as usize, "transfer"),
            file.currency,
            file.control_sum,
            file.message_id
        )?;
    } else if let Some(path) = request.bank_file {
        writeln!(
            out,
            "bank file: none written to {} (no EUR payment to transfer)",
            path.display()
        )?;
    }
    Ok(())
}

/// The table of payments made and the summary line.
fn print_paid(
    report: &process::PayReport,
    payments: &Spooled,
    out: &mut dyn Write,
) -> Result<(), Error> {
    spool::write_table(
        out,
        &[
            "reimbursement",
            "customer",
            "vendor",
            "invoice",
            "currency",
            "amount",
            "settled by debit",
            "payment voucher",
            "bank file",
        ],
        &[5, 6],
        payments,
        spool::table_buffer_rows(),
    )?;
    let verb = if report.dry_run {
        "would pay (dry run, nothing written)"
    } else {
        "paid"
    };
    writeln!(
        out,
        "{} {verb}{}",
        plural(payments.len() as usize, "invoice"),
        totals_text(&report.totals)
    )?;
    if !report.settled_by_debit.is_empty() {
        writeln!(
            out,
            "settled first by the vendors' open debits (payments recorded but not settled){}",
            totals_text(&report.settled_by_debit)
        )?;
    }
    Ok(())
}

/// The table of invoices not paid, with the reasons, when there are any.
fn print_not_paid(not_paid: &Spooled, out: &mut dyn Write) -> Result<(), Error> {
    if not_paid.len() == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "not paid ({}):",
        plural(not_paid.len() as usize, "invoice")
    )?;
    spool::write_table(
        out,
        &[
            "reimbursement",
            "customer",
            "vendor",
            "invoice",
            "currency",
            "amount",
            "reason",
        ],
        &[5],
        not_paid,
        spool::table_buffer_rows(),
    )?;
    Ok(())
}

/// `bank-file --run N -o FILE`: writes payment run `run`'s bank file again.
pub(super) fn bank_file(
    company: &Company,
    run: i64,
    path: &Path,
    force: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let ledger = reading_ledger(company)?;
    let run = RunId(run);
    if let Some(record) = ledger.bank_file(run)? {
        output_guard::bank_file_again(company, path, &record.message_id, force)?;
    }
    let file = process::write_bank_file(&ledger, run, path)?;
    writeln!(
        out,
        "wrote {} ({} of payment run {}, {} {}, message {})",
        file.path.display(),
        plural(file.transactions as usize, "transfer"),
        file.run,
        file.currency,
        file.control_sum,
        file.message_id
    )?;
    Ok(())
}
