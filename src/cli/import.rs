//! `reimburse import` and `reimburse changes`: the command line of the import and of the audit
//! trail of master-data changes.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::committed::{self, Committed};
use super::{plural, table, today, user};
use crate::Error;
use crate::import::{self, ImportFiles, ImportOptions, ImportReport, Progress};
use crate::ledger::{ChangeFilter, Ledger, MasterDataChange, RunId, Side};

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Customers (CSV, or YAML in the fixture format).
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Vendors (CSV, or YAML in the fixture format).
    #[arg(long)]
    pub vendors: Option<PathBuf>,
    /// Customer transactions (CSV, or YAML in the fixture format).
    #[arg(long)]
    pub transactions: Option<PathBuf>,
    /// Check everything and report what the import would do, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `changes`.
#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// Only this customer.
    #[arg(long, conflicts_with = "vendor")]
    pub customer: Option<String>,
    /// Only this vendor.
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only the changes of this run (an import, a run, a committed script).
    #[arg(long)]
    pub run: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `import`.
pub fn import(ledger: &Ledger, args: &ImportArgs, out: &mut dyn Write) -> Result<(), Error> {
    let options = ImportOptions {
        files: ImportFiles {
            customers: args.customers.clone(),
            vendors: args.vendors.clone(),
            transactions: args.transactions.clone(),
        },
        dry_run: args.dry_run,
        user: user(),
        date: today(),
    };
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let result = import::import(ledger, &options, &mut |p: Progress| {
        if let Some(bar) = &bar {
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // With --json the problems of a refused import are a JSON document too (and the error).
    if let (true, Err(import::ImportError::Rejected { problems })) = (args.json, &result) {
        serde_json::to_writer_pretty(&mut *out, &json!({ "refused": true, "problems": problems }))?;
        writeln!(out)?;
    }
    let report = result?;
    let committed = report
        .run
        .filter(|_| !report.dry_run)
        .map(Committed::Import);
    let printed = if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)
            .map_err(Error::from)
            .and_then(|()| Ok(writeln!(out)?))
    } else {
        print_report(&report, out)
    };
    committed::reported(committed, out, printed)
}

fn print_report(report: &ImportReport, out: &mut dyn Write) -> Result<(), Error> {
    let mut t = table(&["", "new", "changed", "unchanged"]);
    for (name, c) in [
        ("customers", report.customers),
        ("vendors", report.vendors),
        ("transactions", report.transactions),
    ] {
        t.add_row(vec![
            name.to_string(),
            c.new.to_string(),
            c.changed.to_string(),
            c.unchanged.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    for w in &report.warnings {
        writeln!(
            out,
            "warning: {}",
            crate::text::printable_lines(&w.to_string())
        )?;
    }
    let settled = if report.settlements > 0 {
        format!(", {}", plural(report.settlements as usize, "settlement"))
    } else {
        String::new()
    };
    let summary = match (report.dry_run, report.run) {
        (true, _) => format!("dry run: nothing was written{settled}"),
        (false, Some(run)) => format!("import recorded as run {run}{settled}"),
        (false, None) => "nothing changed: the database is as it was".to_string(),
    };
    writeln!(out, "{summary}")?;
    Ok(())
}

/// Runs `changes`.
pub fn changes(ledger: &Ledger, args: &ChangesArgs, out: &mut dyn Write) -> Result<(), Error> {
    let filter = ChangeFilter {
        party: match (&args.customer, &args.vendor) {
            (Some(_), _) => Some(Side::Customer),
            (_, Some(_)) => Some(Side::Vendor),
            _ => None,
        },
        account: args.customer.clone().or(args.vendor.clone()),
        run: args.run.map(RunId),
    };
    let rows = ledger.master_data_changes(&filter)?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &json!({ "changes": rows }))?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no master-data changes recorded")?;
        return Ok(());
    }
    let mut t = table(&[
        "when", "who", "source", "run", "party", "account", "field", "old", "new",
    ]);
    for r in &rows {
        t.add_row(crate::text::printable_row(change_row(r)));
    }
    writeln!(out, "{t}")?;
    Ok(())
}

fn change_row(r: &MasterDataChange) -> Vec<String> {
    let source = match r.line {
        Some(line) => format!("{}:{line}", r.source),
        None => r.source.clone(),
    };
    let field = match r.change {
        crate::ledger::ChangeKind::Created => "(created)".to_string(),
        crate::ledger::ChangeKind::Changed => r.field.clone().unwrap_or_default(),
    };
    vec![
        r.changed_at.clone(),
        r.user.clone(),
        source,
        r.run.map(|n| n.to_string()).unwrap_or_default(),
        r.party.name().to_string(),
        r.account.clone(),
        field,
        r.old_value.clone().unwrap_or_default(),
        r.new_value.clone().unwrap_or_default(),
    ]
}
