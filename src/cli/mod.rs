//! The command line: argument parsing (clap) and the one user-facing rendering of results and
//! errors. Every command calls the library's public API; nothing here touches the books directly.
//!
//! Output: tables for people, `--json` for programs (one JSON document; amounts are strings holding
//! exact decimals). Errors: one line `error: …` on standard error and exit code 1; usage errors
//! exit with 2 (clap).
//!
//! # Files
//! - `args.rs`: the clap types; `error.rs`: errors as the user sees them, exit codes;
//! - `format.rs`: JSON, tables, plurals shared by the commands; `spool.rs`, `csv_report.rs`:
//!   rows spooled to a temporary file and printed from it, CSV reports;
//! - `committed.rs`: a command that committed and then could not print; `output_guard.rs`: the
//!   files the commands write;
//! - one file per command (group): `init.rs`, `import.rs` (also `changes`), `reports.rs`
//!   (`balances`, `trial-balance`, `runs`), `run_outcomes.rs` (`runs --run N --skipped`), `run.rs`,
//!   `export.rs`, `page.rs` (`reimbursements`), `pay.rs`, `approval.rs` (`approve`, `hold`,
//!   `release`, `history`), `lifecycle.rs` (`reverse`, `reject`), `rule_tests.rs` (`test`),
//!   `generate.rs`, `api.rs`, `script.rs` (`script`, `repl`), `write_off.rs` (`write-off`,
//!   `write-offs`).
//!
//! The top of the layers: may depend on every module of the library; nothing depends on it but
//! the binary (and [`crate::Error`], which names [`NotReported`]).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Parser;

use crate::Error;
use crate::ledger::Ledger;
use crate::parameters::Company;
use crate::process;

mod api;
mod approval;
mod args;
mod committed;
mod csv_report;
mod error;
mod export;
mod format;
mod generate;
mod import;
mod init;
mod lifecycle;
mod output_guard;
mod page;
mod pay;
mod reports;
mod rule_tests;
mod run;
mod run_outcomes;
mod script;
mod spool;
mod write_off;

pub use args::{Cli, Command};
pub use committed::NotReported;
use format::{plural, progress_bar, right_align, table, totals_text, write_json};

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
    let result = execute(&cli, &mut out);
    error::exit_code(result, &mut out)
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

/// Executes a parsed command, writing results to `out`: one function per command. `api`,
/// `generate` and `test` run without a company file; the others load it first.
///
/// Longer than 70 lines on purpose: one `match` arm per command, each a call (the arms only
/// take the clap fields apart), is the clearest form of the dispatch.
pub fn execute(cli: &Cli, out: &mut dyn Write) -> Result<(), Error> {
    let company_file = cli
        .company
        .clone()
        .unwrap_or_else(|| PathBuf::from("company.yaml"));
    match &cli.command {
        Command::Api { markdown } => return api::api(&company_file, *markdown, out),
        Command::Generate {
            customers,
            seed,
            out: dir,
            force,
            csv,
        } => return generate::generate(*customers, *seed, dir, *force, *csv, out),
        Command::Test { paths, rules, json } => {
            return rule_tests::test_command(
                cli,
                &company_file,
                paths,
                rules.as_deref(),
                *json,
                out,
            );
        }
        _ => {}
    }
    let company = load_company(cli, &company_file)?;
    match &cli.command {
        Command::Init { fixture, force } => init::init(&company, fixture.as_deref(), *force, out),
        Command::Balances {
            customers,
            vendors,
            json,
        } => {
            let ledger = reading_ledger(&company)?;
            let both = !customers && !vendors;
            reports::balances(&ledger, both || *customers, both || *vendors, *json, out)
        }
        Command::TrialBalance { json } => {
            reports::trial_balance(&reading_ledger(&company)?, *json, out)
        }
        Command::Import(args) => import::import(&open_ledger(&company)?, args, out),
        Command::Changes(args) => import::changes(&reading_ledger(&company)?, args, out),
        Command::Run(args) => run::run_command(&company, args, out),
        Command::Export {
            format,
            from,
            to,
            output,
            force,
        } => {
            let target = output.as_deref().map(|path| (path, *force));
            export::export(&company, format, *from, *to, target, out)
        }
        Command::Reimbursements {
            filter,
            status,
            json,
            csv,
        } => {
            let ledger = reading_ledger(&company)?;
            let filter = filter.filter(status.clone());
            page::reimbursement_page(&ledger, &filter, *json, *csv, out)
        }
        Command::Pay {
            filter,
            date,
            dry_run,
            json,
            bank_file,
        } => {
            let request = pay::PayRequest {
                filter,
                date: *date,
                dry_run: *dry_run,
                json: *json,
                bank_file: bank_file.as_deref(),
            };
            pay::pay(&company, &request, out)
        }
        Command::BankFile { run, output, force } => {
            pay::bank_file(&company, *run, output, *force, out)
        }
        Command::Approve(args) => approval::approve(&open_ledger(&company)?, args, out),
        Command::Hold {
            reimbursements,
            reason,
            json,
        } => approval::hold(&open_ledger(&company)?, reimbursements, reason, *json, out),
        Command::Release {
            reimbursements,
            note,
            json,
        } => {
            let ledger = open_ledger(&company)?;
            approval::release(&ledger, reimbursements, note.as_deref(), *json, out)
        }
        Command::History {
            reimbursement,
            json,
        } => approval::history(&reading_ledger(&company)?, *reimbursement, *json, out),
        Command::WriteOff {
            date,
            dry_run,
            json,
            rules,
            reverse_run,
            reverse,
            reason,
        } => {
            let request = write_off::WriteOffRequest {
                date: *date,
                dry_run: *dry_run,
                json: *json,
                rules: rules.as_deref(),
                reverse_run: *reverse_run,
                reverse,
                reason: reason.as_deref(),
            };
            write_off::write_off(&company, &request, out)
        }
        Command::WriteOffs { json } => {
            write_off::write_offs(&reading_ledger(&company)?, *json, out)
        }
        Command::Reverse(args) => {
            lifecycle::reversal(&company, args, crate::ledger::DecisionKind::Reverse, out)
        }
        Command::Reject(args) => {
            lifecycle::reversal(&company, args, crate::ledger::DecisionKind::Reject, out)
        }
        Command::Runs {
            json,
            run,
            skipped,
            customer,
        } => {
            let ledger = reading_ledger(&company)?;
            let run = run.map(crate::ledger::RunId);
            match run {
                Some(run) if *skipped => {
                    run_outcomes::run_outcomes(&ledger, run, customer.as_deref(), *json, out)
                }
                _ => reports::runs(&ledger, run, *json, out),
            }
        }
        Command::Repl { date } => script::repl(&company, *date, out),
        Command::Script {
            file,
            dry_run,
            args,
            date,
        } => script::script(&company, file, *dry_run, args, *date, out),
        Command::Api { .. } | Command::Test { .. } | Command::Generate { .. } => {
            unreachable!("handled above")
        }
    }
}

/// The company of a command that needs one; without `--company` and no `company.yaml` here, the
/// error says how to give it.
fn load_company(cli: &Cli, company_file: &Path) -> Result<Company, Error> {
    Ok(Company::load(company_file).map_err(|mut e| {
        if cli.company.is_none() && !company_file.exists() {
            e.message
                .push_str(" (give the company with --company FILE or REIMBURSE_COMPANY)");
        }
        e
    })?)
}
