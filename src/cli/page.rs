//! `reimburse reimbursements`: the reimbursement page, read a page at a time from one snapshot
//! into a spool, then printed as JSON, CSV or a table.
//!
//! Must not depend on the other commands.

use std::io::Write;

use serde_json::json;

use super::spool::{self, Spool};
use super::{csv_report, plural};
use crate::Error;
use crate::ledger::{Decision, Ledger};
use crate::process::{self, ReimbursementFilter};

/// The reimbursement page: read a page at a time into a spool, then printed (JSON, CSV or a table).
pub(super) fn reimbursement_page(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    json: bool,
    csv: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let headers = [
        "id",
        "run",
        "date",
        "customer",
        "vendor",
        "one_time_vendor",
        "currency",
        "amount",
        "voucher",
        "vendor_invoice",
        "status",
        "payment_voucher",
        "paid_date",
        "hold_reason",
        "last_decision",
        "decided_by",
        "decided_at",
    ];
    let mut rows = Spool::new();
    process::each_reimbursement(ledger, filter, &mut |r| {
        if json {
            return rows.push(r);
        }
        let decision =
            |cell: fn(&Decision) -> String| r.last_decision.as_ref().map(cell).unwrap_or_default();
        rows.push_cells(&[
            r.id.to_string(),
            r.run.to_string(),
            r.date.to_string(),
            r.customer.clone(),
            r.vendor.clone(),
            r.one_time_vendor.to_string(),
            r.currency.clone(),
            r.amount.to_string(),
            r.voucher.clone(),
            r.vendor_invoice.clone(),
            r.status.to_string(),
            r.payment_voucher.clone().unwrap_or_default(),
            r.paid_date.map(|d| d.to_string()).unwrap_or_default(),
            r.hold_reason.clone().unwrap_or_default(),
            decision(|d| d.decision.to_string()),
            decision(|d| d.user.clone()),
            decision(|d| d.at.clone()),
        ])
    })?;
    let rows = rows.finish()?;
    if json {
        let header = json!({ "reimbursements": [] });
        return spool::write_json(out, &header, &[("reimbursements", &rows)]);
    }
    if csv {
        // id, run and amount are numbers; every other cell is neutralised.
        let mut w = std::io::BufWriter::new(out);
        let cells = rows.rows::<Vec<String>>()?;
        csv_report::write_report(&mut w, &headers, &[0, 1, 7], cells)?;
        w.flush()?;
        return Ok(());
    }
    spool::write_table(out, &headers, &[7], &rows, spool::table_buffer_rows())?;
    writeln!(out, "{}", plural(rows.len() as usize, "reimbursement"))?;
    Ok(())
}
