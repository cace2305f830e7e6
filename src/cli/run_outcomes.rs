//! `reimburse runs --run N --skipped`: what a past run decided for each credit it did not
//! reimburse (skips with their reasons, failures under `--keep-going`), read a page at a time
//! into a spool, then printed as JSON or a table.
//!
//! Must not depend on the other commands.

use std::io::Write;

use serde_json::json;

use super::plural;
use super::spool::{self, Spool};
use crate::Error;
use crate::ledger::{Ledger, RunId};
use crate::process;

/// `runs --run N --skipped [--customer C]`: run `run`'s outcomes, in the order it decided them.
pub(super) fn run_outcomes(
    ledger: &Ledger,
    run: RunId,
    customer: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let headers = ["customer", "currency", "amount", "outcome", "reason"];
    let mut rows = Spool::new();
    process::each_run_outcome(ledger, run, customer, &mut |o| {
        if json {
            return rows.push(o);
        }
        rows.push_cells(&[
            o.customer.clone(),
            o.currency.clone().unwrap_or_default(),
            o.amount.map(|a| a.to_string()).unwrap_or_default(),
            o.outcome.to_string(),
            o.reason.clone(),
        ])
    })?;
    let rows = rows.finish()?;
    if json {
        let header = json!({ "run": run, "outcomes": [] });
        return spool::write_json(out, &header, &[("outcomes", &rows)]);
    }
    writeln!(out, "Run {run}: the credits it did not reimburse")?;
    spool::write_table(out, &headers, &[2], &rows, spool::table_buffer_rows())?;
    writeln!(out, "{}", plural(rows.len() as usize, "credit"))?;
    Ok(())
}
