//! `reimburse pay`: pay open reimbursement invoices; the payments are spooled as they are made
//! and printed once the payment run succeeded (JSON, or a table and the summary line).
//!
//! Must not depend on the other commands.

use std::io::Write;

use chrono::NaiveDate;

use super::args::FilterArgs;
use super::committed::{self, Committed};
use super::spool::{self, Spool};
use super::{open_ledger, plural, today, totals_text, user};
use crate::Error;
use crate::parameters::Company;
use crate::process;

/// `pay`: pays the reimbursements `filter` selects on `date` (default today), or shows what it
/// would pay (`dry_run`).
pub(super) fn pay(
    company: &Company,
    filter: &FilterArgs,
    date: Option<NaiveDate>,
    dry_run: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let ledger = open_ledger(company)?;
    let mut payments = Spool::new();
    let report = process::pay_observed(
        &ledger,
        &filter.filter(None),
        date.unwrap_or_else(today),
        dry_run,
        &user(),
        &mut |p| {
            if json {
                payments.push(p)
            } else {
                payments.push_cells(&[
                    p.reimbursement.to_string(),
                    p.customer.clone(),
                    p.vendor.clone(),
                    p.vendor_invoice.clone(),
                    p.currency.clone(),
                    p.amount.to_string(),
                    p.settled_by_debit.to_string(),
                    p.voucher.clone(),
                ])
            }
        },
    )?;
    let committed = (!dry_run).then_some(Committed::Pay(report.run));
    let printed = print_payments(&report, payments, json, out);
    committed::reported(committed, out, printed)
}

/// Prints a payment run's report from its spool: JSON, or the table and the summary line.
fn print_payments(
    report: &process::PayReport,
    payments: Spool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let payments = payments.finish()?;
    if json {
        return spool::write_json(out, report, &[("payments", &payments)]);
    }
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
        ],
        &[5, 6],
        &payments,
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
