//! The command line: argument parsing (clap) and the one user-facing rendering of results and
//! errors. Every command calls the library's public API; nothing here touches the books directly.
//!
//! Output: tables for people, `--json` for programs (one JSON document; amounts are strings holding
//! exact decimals). Errors: one line `error: …` on standard error and exit code 1; usage errors
//! exit with 2 (clap).

use crate::text::{printable, printable_lines, printable_row};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use rust_decimal::Decimal;
use serde_json::json;

use crate::Error;
use crate::fixtures::{self, Fixture};
use crate::ledger::{Ledger, Side};
use crate::parameters::Company;
use crate::process::{self, ReimbursementFilter, RunOptions, Selection};
use crate::scripting::{ApiDoc, Echo, Session};
use crate::testing;

mod committed;
mod csv_report;
mod import;
mod output_guard;
mod spool;
use committed::Committed;
pub use committed::NotReported;
use import::{ChangesArgs, ImportArgs};
use spool::Spool;

/// `reimburse`: customer reimbursement as editable rules over an exact ledger.
#[derive(Debug, Parser)]
#[command(name = "reimburse", version, about, propagate_version = true)]
pub struct Cli {
    /// The company parameter file (YAML) [default: company.yaml].
    #[arg(long, global = true, env = "REIMBURSE_COMPANY")]
    pub company: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the company database (empty, or loaded from a fixture ledger).
    Init {
        /// A fixture ledger (YAML) to load: customers, vendors, open transactions.
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Import customers, vendors and customer transactions (CSV, or YAML in the fixture
    /// format) into the company, as often as wanted: all or nothing, every bad row listed.
    ///
    /// A customer or vendor is found by its account, a transaction by its customer and document:
    /// a row already there with the same values changes nothing; a customer or vendor row that
    /// differs updates it (see `changes`); a posted transaction is never changed.
    Import(ImportArgs),
    /// The audit trail of master-data changes: customers and vendors created and changed, by
    /// whom, when, from where, with old and new values.
    Changes(ChangesArgs),
    /// Customer and vendor balances per currency.
    Balances {
        /// Only customers.
        #[arg(long)]
        customers: bool,
        /// Only vendors.
        #[arg(long)]
        vendors: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The trial balance of the general ledger (zero in every currency for sound books).
    TrialBalance {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the reimbursement: post vendor invoices for qualifying customer credits.
    ///
    /// Prints the reimbursements made (or proposed), the skipped credits (listed up to 50, else
    /// counted by reason; --json lists each) and the summary. Memory stays flat however many
    /// customers there are: rows are spooled to an unnamed temporary file (in TMPDIR) as the run
    /// makes them and printed only once it has succeeded (a failed run prints only the error).
    /// A table of more than 1000 rows is drawn line by line from the spool, with the same layout.
    Run(RunArgs),
    /// Write the general ledger, with the customer and vendor sub-ledgers, as a plain-text journal
    /// for hledger/ledger or beancount.
    Export {
        /// Journal format.
        #[arg(long, default_value = "ledger", value_parser = ["ledger", "hledger", "beancount"])]
        format: String,
        /// Only vouchers dated on or after this date.
        #[arg(long, value_parser = parse_date)]
        from: Option<NaiveDate>,
        /// Only vouchers dated on or before this date.
        #[arg(long, value_parser = parse_date)]
        to: Option<NaiveDate>,
        /// Write to this file (replaced only when the export is complete) instead of standard
        /// output. An existing file is replaced only when it is a previous export in the same
        /// format; never the company's database, parameters or rules, nor a file that is not a
        /// regular file.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// With -o: also replace an existing regular file that is not a previous export.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// The reimbursement page: list reimbursements.
    ///
    /// Read a page at a time from one snapshot and spooled to a temporary file, so memory stays
    /// flat; like `run`, a table of more than 1000 rows is drawn line by line with the same
    /// layout.
    Reimbursements {
        /// Which reimbursements.
        #[command(flatten)]
        filter: FilterArgs,
        /// Only `open` or `paid`.
        #[arg(long, value_parser = ["open", "paid"])]
        status: Option<String>,
        /// Print JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
    },
    /// Pay open reimbursement invoices (payables against the bank) and mark them paid.
    ///
    /// The payments are spooled to a temporary file as they are made and printed once the payment
    /// run has succeeded (memory stays flat; tables of more than 1000 rows as for `run`).
    Pay {
        /// Which reimbursements.
        #[command(flatten)]
        filter: FilterArgs,
        /// Payment date (default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// Show the payments without writing them.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The runs recorded in the database (audit trail).
    Runs {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Test the rules against fixture ledgers (each in a fresh temporary database).
    Test {
        /// Fixture files or folders [default: the `fixtures` folder beside the company file, else
        /// tests/fixtures].
        paths: Vec<PathBuf>,
        /// The rule file to test (default: `rules` in the company parameters).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate a synthetic company (YAML, rules and database) for benchmarks and load tests.
    Generate {
        /// Number of customers (at least 1).
        #[arg(long, value_parser = parse_customer_count)]
        customers: u64,
        /// Random seed: the same seed gives the same company.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The folder to write the company into.
        #[arg(long, default_value = "synthetic")]
        out: PathBuf,
        /// Replace the files of a company already there (company.yaml, the rules, the database,
        /// the CSV files): without it, generate refuses and names them.
        #[arg(long)]
        force: bool,
        /// Also write the company as import files (customers.csv, vendors.csv,
        /// transactions.csv) in the folder, for `reimburse import`.
        #[arg(long)]
        csv: bool,
    },
    /// List the functions and types that rule scripts can use.
    Api {
        /// Print Markdown (the reference in docs/api.md).
        #[arg(long)]
        markdown: bool,
    },
    /// An interactive Rhai session over the company database, with the whole API and the rule
    /// hooks; one transaction: nothing is written until `:commit`.
    Repl {
        /// Posting date of postings made in the session (default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Run a Rhai script against the company database, in one transaction (committed at the end
    /// unless --dry-run or an error).
    Script {
        /// The script file.
        file: PathBuf,
        /// Roll back at the end: nothing is written.
        #[arg(long)]
        dry_run: bool,
        /// An argument for the script, seen as `args().key` (repeatable).
        #[arg(long = "arg", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        args: Vec<(String, String)>,
        /// Posting date of postings made by the script (default today).
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
}

fn parse_account(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an empty item in the comma-separated list".into());
    }
    Ok(t.to_string())
}

/// A date argument: `YYYY-MM-DD`, and a real day of the calendar.
fn parse_date(text: &str) -> Result<NaiveDate, String> {
    crate::dates::parse(text.trim())
        .map_err(|e| format!("expected a date as YYYY-MM-DD, e.g. 2026-11-30 ({e})"))
}

fn parse_customer_count(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("a company needs at least 1 customer".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number of customers ({e})")),
    }
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, not '{text}'")),
    }
}

/// Arguments of `run`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selection").args(["customers", "groups", "where_"])))]
pub struct RunArgs {
    /// Only these customers (comma-separated accounts).
    #[arg(long, value_delimiter = ',', value_parser = parse_account)]
    pub customers: Vec<String>,
    /// Only customers in these groups (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = parse_account)]
    pub groups: Vec<String>,
    /// Only customers for which this Rhai expression is true, e.g. 'customer.group == "RETAIL"'.
    #[arg(long = "where", id = "where_")]
    pub where_: Option<String>,
    /// Posting date (default today).
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// The rule file (default: `rules` in the company parameters).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Show the proposal without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Skip a customer whose rules fail (its work undone) instead of stopping the run; the run
    /// then exits with code 3 if any customer failed.
    #[arg(long)]
    pub keep_going: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Filters shared by `reimbursements` and `pay`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this customer.
    #[arg(long)]
    pub customer: Option<String>,
    /// Only this vendor.
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only this run.
    #[arg(long)]
    pub run: Option<i64>,
    /// From this date.
    #[arg(long, value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// To this date.
    #[arg(long, value_parser = parse_date)]
    pub to: Option<NaiveDate>,
}

impl FilterArgs {
    fn filter(&self, status: Option<String>) -> ReimbursementFilter {
        ReimbursementFilter {
            status,
            customer: self.customer.clone(),
            vendor: self.vendor.clone(),
            run: self.run,
            from: self.from,
            to: self.to,
            ..Default::default()
        }
    }
}

/// Runs the command line; returns the process exit code. The command runs on a thread with the
/// large stack of script evaluation (`scripting::guard::SCRIPT_STACK`).
pub fn main<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    crate::scripting::guard::on_script_stack(move || command_line(args))
}

/// [`main`], on the calling thread.
fn command_line(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let mut out = std::io::stdout().lock();
    match execute(&cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`reimburse … | head`) is not an error of ours.
        Err(e) if committed::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Error::NotReported(e)) if e.is_broken_pipe() => ExitCode::SUCCESS,
        // The failures were printed with the results.
        Err(Error::TestsFailed(_)) => ExitCode::FAILURE,
        Err(e @ Error::CustomersFailed(_)) => {
            let _ = out.flush();
            eprintln!("error: {}", printable_lines(&e.to_string()));
            ExitCode::from(3)
        }
        Err(e) => {
            let _ = out.flush();
            eprintln!("error: {}", printable_lines(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn user() -> String {
    process::current_user()
}

fn open_ledger(company: &Company) -> Result<Ledger, Error> {
    Ok(Ledger::open(company)?)
}

/// The ledger for a command that only reads: also where the database's folder is read-only.
fn reading_ledger(company: &Company) -> Result<Ledger, Error> {
    Ok(Ledger::open_for_reading(company)?)
}

/// Executes a parsed command, writing results to `out`.
pub fn execute(cli: &Cli, out: &mut dyn Write) -> Result<(), Error> {
    let company_file = cli
        .company
        .clone()
        .unwrap_or_else(|| PathBuf::from("company.yaml"));
    match &cli.command {
        Command::Api { markdown } => return api(&company_file, *markdown, out),
        Command::Generate {
            customers,
            seed,
            out: dir,
            force,
            csv,
        } => {
            let report = crate::generate::generate(&crate::generate::GenerateOptions {
                customers: *customers,
                seed: *seed,
                dir: dir.clone(),
                force: *force,
                csv: *csv,
            })?;
            writeln!(
                out,
                "generated {} with {}, {}, {}",
                report.company_file.display(),
                plural(report.customers as usize, "customer"),
                plural(report.vendors as usize, "vendor"),
                plural(report.transactions as usize, "transaction")
            )?;
            return Ok(());
        }
        Command::Test { paths, rules, json } => {
            // Without a company file, fixtures run on the built-in sample parameters.
            let company = if cli.company.is_none() && !company_file.exists() {
                crate::sample_company()?
            } else {
                Company::load(&company_file)?
            };
            return test(&company, paths, rules.as_deref(), *json, out);
        }
        _ => {}
    }
    let company = Company::load(&company_file).map_err(|mut e| {
        if cli.company.is_none() && !company_file.exists() {
            e.message
                .push_str(" (give the company with --company FILE or REIMBURSE_COMPANY)");
        }
        e
    })?;
    match &cli.command {
        Command::Init { fixture, force } => init(&company, fixture.as_deref(), *force, out),
        Command::Balances {
            customers,
            vendors,
            json,
        } => {
            let ledger = reading_ledger(&company)?;
            let both = !customers && !vendors;
            balances(&ledger, both || *customers, both || *vendors, *json, out)
        }
        Command::TrialBalance { json } => trial_balance(&reading_ledger(&company)?, *json, out),
        Command::Import(args) => import::import(&open_ledger(&company)?, args, out),
        Command::Changes(args) => import::changes(&reading_ledger(&company)?, args, out),
        Command::Run(args) => run(&company, args, out),
        Command::Export {
            format,
            from,
            to,
            output,
            force,
        } => {
            let target = output.as_deref().map(|path| (path, *force));
            export(&company, format, *from, *to, target, out)
        }
        Command::Reimbursements {
            filter,
            status,
            json,
            csv,
        } => {
            let ledger = reading_ledger(&company)?;
            reimbursement_page(&ledger, &filter.filter(status.clone()), *json, *csv, out)
        }
        Command::Pay {
            filter,
            date,
            dry_run,
            json,
        } => {
            let ledger = open_ledger(&company)?;
            let mut payments = Spool::new();
            let report = process::pay_observed(
                &ledger,
                &filter.filter(None),
                date.unwrap_or_else(today),
                *dry_run,
                &user(),
                &mut |p| {
                    if *json {
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
            let committed = (!*dry_run).then_some(Committed::Pay(report.run));
            let printed = print_payments(&report, payments, *json, out);
            committed::reported(committed, out, printed)
        }
        Command::Runs { json } => {
            let ledger = reading_ledger(&company)?;
            let runs = process::runs(&ledger)?;
            if *json {
                return write_json(out, &json!({ "runs": runs }));
            }
            let mut t = table(&[
                "run",
                "kind",
                "started",
                "user",
                "date",
                "selection",
                "considered",
                "done",
                "skipped",
                "failed",
                "rules hash",
            ]);
            for r in runs {
                t.add_row(printable_row(vec![
                    r.id.to_string(),
                    r.kind,
                    r.started_at,
                    r.user,
                    r.posting_date,
                    r.selection,
                    r.considered.to_string(),
                    r.reimbursed.to_string(),
                    r.skipped.to_string(),
                    r.failed.to_string(),
                    r.rules_hash
                        .map(|h| h[..12].to_string())
                        .unwrap_or_default(),
                ]));
            }
            writeln!(out, "{t}")?;
            Ok(())
        }
        Command::Repl { date } => {
            let options = crate::repl::ReplOptions {
                date: date.unwrap_or_else(today),
                history: output_guard::history(&company, crate::repl::default_history()),
                user: user(),
            };
            crate::repl::run(&company, &options, out, &mut std::io::stderr())
        }
        Command::Script {
            file,
            dry_run,
            args,
            date,
        } => script(&company, file, *dry_run, args, *date, out),
        Command::Api { .. } | Command::Test { .. } | Command::Generate { .. } => {
            unreachable!("handled above")
        }
    }
}

fn script(
    company: &Company,
    file: &Path,
    dry_run: bool,
    args: &[(String, String)],
    date: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let options = crate::repl::ScriptOptions {
        file: file.to_path_buf(),
        dry_run,
        args: args.to_vec(),
        date: date.unwrap_or_else(today),
        user: user(),
    };
    let outcome = crate::repl::run_script(company, &options)?;
    if let Some(w) = &outcome.rules_warning {
        eprintln!(
            "warning: the rule hooks are not loaded: {}",
            printable_lines(&w.to_string())
        );
    }
    // The value before the note on standard error.
    let printed = match crate::repl::render(&outcome.value) {
        Some(text) => writeln!(out, "{}", printable_lines(&text)).and_then(|()| out.flush()),
        None => out.flush(),
    }
    .map_err(Error::from);
    let n = outcome.changes;
    let committed = (outcome.committed && n > 0).then_some(Committed::Script(outcome.run));
    let changes = if n == 1 {
        "1 row change".to_string()
    } else {
        format!("{n} row changes")
    };
    if !outcome.committed && n > 0 {
        eprintln!("dry run: {changes} rolled back, nothing written");
    } else if outcome.committed && n > 0 {
        eprintln!("committed {changes}");
    }
    committed::reported(committed, out, printed)
}

fn init(
    company: &Company,
    fixture: Option<&Path>,
    force: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let data: Option<Fixture> = match fixture {
        Some(f) => Some(fixtures::read_fixture(f)?),
        None => None,
    };
    let report = fixtures::init_company(company, fixture.zip(data.as_ref()), force)?;
    if !report.stale.is_empty() {
        let names: Vec<String> = report
            .stale
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "note: removed what an init that was killed left behind: {}",
            names.join(", ")
        );
    }
    let committed = Some(Committed::Init(report.database.clone()));
    let printed = print_init(company, fixture.is_some(), &report, out);
    committed::reported(committed, out, printed)
}

/// What `init` created and loaded.
fn print_init(
    company: &Company,
    fixture: bool,
    report: &fixtures::InitReport,
    out: &mut dyn Write,
) -> Result<(), Error> {
    writeln!(out, "created {}", report.database.display())?;
    if fixture {
        let l = &report.loaded;
        writeln!(
            out,
            "loaded {}, {}, {}, {}",
            plural(l.customers, "customer"),
            plural(l.vendors, "vendor"),
            plural(l.transactions, "transaction"),
            plural(l.settlements, "settlement")
        )?;
    }
    if report.ignored_overrides {
        writeln!(
            out,
            "note: the fixture's `parameters:` overrides were not stored; {} is the company's parameters (overrides apply when the fixture runs as a test)",
            company.file.display()
        )?;
    }
    Ok(())
}

fn balances(
    ledger: &Ledger,
    customers: bool,
    vendors: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let sides: Vec<Side> = [(customers, Side::Customer), (vendors, Side::Vendor)]
        .into_iter()
        .filter_map(|(on, s)| on.then_some(s))
        .collect();
    if json {
        let mut doc = serde_json::Map::new();
        for side in &sides {
            let rows: Vec<_> = ledger
                .all_balances(*side)?
                .into_iter()
                .map(|b| {
                    let mut row = json!({
                        "account": b.balance.account,
                        "name": b.name,
                        "currency": b.balance.currency,
                        "balance": b.balance.balance.to_string(),
                        "open_debit": b.balance.open_debit.to_string(),
                        "open_credit": b.balance.open_credit.to_string(),
                    });
                    // The bank account only where there is one: rows keep their shape.
                    if let Some(iban) = b.iban {
                        row["iban"] = json!(iban);
                    }
                    row
                })
                .collect();
            doc.insert(format!("{}s", side.name()), rows.into());
        }
        return write_json(out, &doc.into());
    }
    for side in sides {
        let rows = ledger.all_balances(side)?;
        writeln!(
            out,
            "{} balances",
            if side == Side::Customer {
                "Customer"
            } else {
                "Vendor"
            }
        )?;
        let mut t = table(&[
            "account",
            "name",
            "currency",
            "balance",
            "open debit",
            "open credit",
            "IBAN",
        ]);
        for b in rows {
            t.add_row(printable_row(vec![
                b.balance.account,
                b.name,
                b.balance.currency,
                b.balance.balance.to_string(),
                b.balance.open_debit.to_string(),
                b.balance.open_credit.to_string(),
                b.iban.map(|i| i.to_string()).unwrap_or_default(),
            ]));
        }
        right_align(&mut t, &[3, 4, 5]);
        writeln!(out, "{t}")?;
    }
    Ok(())
}

fn trial_balance(ledger: &Ledger, json: bool, out: &mut dyn Write) -> Result<(), Error> {
    let rows = ledger.trial_balance()?;
    let totals = ledger.trial_balance_totals()?;
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| json!({"account": r.account, "name": r.name, "currency": r.currency, "balance": r.balance.to_string()}))
            .collect();
        let totals: serde_json::Map<_, _> = totals
            .iter()
            .map(|(c, t)| (c.clone(), t.to_string().into()))
            .collect();
        return write_json(out, &json!({"accounts": rows, "totals": totals}));
    }
    let mut t = table(&["account", "name", "currency", "balance"]);
    for r in rows {
        t.add_row(printable_row(vec![
            r.account,
            r.name,
            r.currency,
            r.balance.to_string(),
        ]));
    }
    for (currency, total) in &totals {
        t.add_row(vec![
            "".into(),
            "Total".into(),
            currency.clone(),
            total.to_string(),
        ]);
    }
    right_align(&mut t, &[3]);
    writeln!(out, "{t}")?;
    Ok(())
}

fn export(
    company: &Company,
    format: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    output: Option<(&Path, bool)>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let format: crate::export::Format = format.parse().map_err(Error::Usage)?;
    let ledger = reading_ledger(company)?;
    let Some((path, force)) = output else {
        let mut w = std::io::BufWriter::new(out);
        crate::export::write_journal(&ledger, format, from, to, &mut w)?;
        return Ok(w.flush()?);
    };
    output_guard::export(company, path, format, force)?;
    let s = crate::export::write_journal_file(&ledger, format, from, to, path)?;
    let dates = match (s.first, s.last) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "exported {} ({}, {}{dates}) to {} ({format})",
        plural(s.vouchers, "voucher"),
        plural(s.lines, "line"),
        plural(s.accounts, "account"),
        path.display()
    )?;
    Ok(())
}

fn run(company: &Company, args: &RunArgs, out: &mut dyn Write) -> Result<(), Error> {
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
        spool::write_table(
            out,
            &RUN_HEADERS,
            &[4],
            &reimbursements,
            spool::table_buffer_rows(),
        )?;
    }
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
            &skipped,
            SKIPPED_LISTED,
        )?;
    }
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

/// The columns of the run's table.
const RUN_HEADERS: [&str; 7] = [
    "customer",
    "vendor",
    "one-time vendor",
    "currency",
    "amount",
    "voucher",
    "vendor invoice",
];

/// Up to this many skipped credits, the run's table lists them; above, it counts them by reason.
const SKIPPED_LISTED: u64 = 50;

/// The run's observer: spools each row as it arrives (as JSON for `--json`, as table cells
/// otherwise) and keeps only the skipped credits' counts per reason, so memory stays flat.
struct RunRows<'a> {
    json: bool,
    bar: Option<&'a indicatif::ProgressBar>,
    reimbursements: Spool,
    skipped: Spool,
    failed: Spool,
    by_reason: std::collections::BTreeMap<String, u64>,
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
        self.reimbursements.push_cells(&[
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
        ]);
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

/// The reimbursement page: read a page at a time into a spool, then printed (JSON, CSV or a table).
fn reimbursement_page(
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
    ];
    let mut rows = Spool::new();
    process::each_reimbursement(ledger, filter, &mut |r| {
        if json {
            return rows.push(r);
        }
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
            r.status.clone(),
            r.payment_voucher.clone().unwrap_or_default(),
            r.paid_date.map(|d| d.to_string()).unwrap_or_default(),
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

fn api(company_file: &Path, markdown: bool, out: &mut dyn Write) -> Result<(), Error> {
    // The API does not depend on a company: list it from an in-memory ledger with the company's
    // parameters when there are some, else with built-in sample parameters.
    let params = match Company::load(company_file) {
        Ok(c) => c.params,
        Err(_) => crate::sample_company()?.params,
    };
    let ledger = Ledger::new(crate::store::Store::in_memory()?, params)?;
    let docs = Session::new(ledger, today(), Echo::Collect).api();
    if markdown {
        api_markdown(&docs, out)
    } else {
        api_text(&docs, out)
    }
}

/// The types (with their properties) and the functions of the scripting API.
type ApiSections<'d> = (Vec<(&'d ApiDoc, Vec<&'d ApiDoc>)>, Vec<&'d ApiDoc>);

fn api_sections(docs: &[ApiDoc]) -> ApiSections<'_> {
    let types: Vec<(&ApiDoc, Vec<&ApiDoc>)> = docs
        .iter()
        .filter(|d| d.signature.starts_with("type "))
        .map(|t| {
            let prefix = format!("{}.", t.name);
            let props = docs
                .iter()
                .filter(|d| d.name.starts_with(&prefix))
                .collect();
            (t, props)
        })
        .collect();
    let functions = docs
        .iter()
        .filter(|d| !d.signature.starts_with("type ") && !d.name.contains('.'))
        .collect();
    (types, functions)
}

fn api_text(docs: &[ApiDoc], out: &mut dyn Write) -> Result<(), Error> {
    let (types, functions) = api_sections(docs);
    writeln!(out, "TYPES\n")?;
    for (t, props) in types {
        writeln!(out, "{}\n    {}", t.name, t.doc.replace('\n', "\n    "))?;
        for p in props {
            let (_, prop) = p.name.split_once('.').unwrap_or(("", &p.name));
            let returns = p.signature.rsplit(" -> ").next().unwrap_or("");
            writeln!(out, "    .{prop} -> {returns}\n        {}", p.doc)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "FUNCTIONS\n")?;
    for f in functions {
        writeln!(
            out,
            "{}\n    {}",
            f.signature,
            f.doc.replace('\n', "\n    ")
        )?;
    }
    Ok(())
}

fn api_markdown(docs: &[ApiDoc], out: &mut dyn Write) -> Result<(), Error> {
    let (types, functions) = api_sections(docs);
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    writeln!(
        out,
        "# Scripting API\n\n\
         <!-- Generated by `reimburse api --markdown > docs/api.md`: do not edit by hand (a test fails when this file is stale). -->\n\n\
         Rule files, `reimburse script` and `reimburse repl` see the same functions and types \
         ({} functions, {} types). Amounts are exact decimals (`12.50`, never floats), dates are \
         `YYYY-MM-DD` text, and `()` means \"none\". Values are read-only: change the books with \
         the functions. In the REPL, `:api WORD` shows the entries whose name contains WORD.\n",
        functions.len(),
        types.len()
    )?;
    writeln!(out, "## Types\n")?;
    for (t, props) in types {
        writeln!(out, "### `{}`\n\n{}\n", t.name, t.doc)?;
        if !props.is_empty() {
            writeln!(
                out,
                "| property | type | description |\n| --- | --- | --- |"
            )?;
            for p in props {
                let (_, prop) = p.name.split_once('.').unwrap_or(("", &p.name));
                let returns = p.signature.rsplit(" -> ").next().unwrap_or("");
                writeln!(out, "| `{prop}` | {} | {} |", cell(returns), cell(&p.doc))?;
            }
            writeln!(out)?;
        }
    }
    writeln!(out, "## Functions\n")?;
    for (i, f) in functions.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "### `{}`\n\n{}", f.signature, f.doc.trim_end())?;
    }
    Ok(())
}

fn test(
    company: &Company,
    paths: &[PathBuf],
    rules: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let paths = if paths.is_empty() {
        vec![default_fixtures(company)?]
    } else {
        paths.to_vec()
    };
    let files = fixture_files(&paths)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no fixtures (*.yaml) found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let rules = rules
        .map(Path::to_path_buf)
        .unwrap_or_else(|| company.rules_path.clone());
    let start = std::time::Instant::now();
    let mut failed = 0;
    let mut results = Vec::new();
    for file in &files {
        let result = match file {
            Ok(file) => testing::run_fixture(company, &rules, file),
            Err(missing) => testing::missing_fixture(missing),
        };
        if !result.passed {
            failed += 1;
        }
        if !json {
            writeln!(out, "{}", printable_lines(&result.to_string()))?;
        }
        results.push(result);
    }
    let passed = results.len() - failed;
    if json {
        write_json(
            out,
            &json!({"rules": rules, "passed": passed, "failed": failed, "fixtures": results}),
        )?;
    } else {
        writeln!(
            out,
            "\n{passed} passed, {failed} failed ({} in {:.0} ms, rules {})",
            plural(results.len(), "fixture"),
            start.elapsed().as_secs_f64() * 1000.0,
            rules.display()
        )?;
    }
    if failed > 0 {
        return Err(Error::TestsFailed(failed));
    }
    Ok(())
}

/// The fixture files under `paths`, in order: `Ok(file)` to run, `Err(path)` for a path that
/// does not exist (it fails on its own, reported with the results; the others still run).
fn fixture_files(paths: &[PathBuf]) -> Result<Vec<Result<PathBuf, PathBuf>>, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.exists() {
            let found = testing::find_fixtures(std::slice::from_ref(path))
                .map_err(|e| Error::Usage(e.to_string()))?;
            files.extend(found.into_iter().map(Ok));
        } else {
            files.push(Err(path.clone()));
        }
    }
    Ok(files)
}

/// The fixtures `reimburse test` runs when given no path: the `fixtures` folder beside the
/// company file, else `tests/fixtures` under the current folder (a clone of this repository).
fn default_fixtures(company: &Company) -> Result<PathBuf, Error> {
    let beside = company
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("fixtures");
    let here = PathBuf::from("tests/fixtures");
    for candidate in [&beside, &here] {
        if candidate.is_dir() {
            return Ok(candidate.clone());
        }
    }
    Err(Error::Usage(format!(
        "no fixtures to run: neither {} (beside the company file) nor {} (here) is a folder; \
         give fixture files or folders: reimburse test PATH...",
        beside.display(),
        here.display()
    )))
}

fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A table with these headers; every row added must go through [`printable_row`] (control
/// characters of names and keys shown escaped).
fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(headers.to_vec());
    t
}

fn right_align(t: &mut Table, columns: &[usize]) {
    for c in columns {
        if let Some(col) = t.column_mut(*c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn totals_text(totals: &std::collections::BTreeMap<String, Decimal>) -> String {
    if totals.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = totals.iter().map(|(c, t)| format!("{t} {c}")).collect();
    format!(" ({})", parts.join(", "))
}

fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} customers {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
