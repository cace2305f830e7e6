//! The command line's arguments: the clap types ([`Cli`], [`Command`], [`RunArgs`],
//! [`FilterArgs`]) and the parsers of their values. Their doc comments are the `--help` text.
//!
//! Must not depend on the commands' implementations.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use super::import::{ChangesArgs, ImportArgs};
use super::lifecycle::ReversalArgs;
use crate::ledger::RunId;
use crate::process::ReimbursementFilter;

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
        /// Only `open` (unpaid, payable), `pending` (or `pending approval`: awaiting approval),
        /// `held` (unpaid, held by a user or by the check before paying), `paid` or `reversed`.
        #[arg(long, value_parser = ["open", "pending", "pending approval", "held", "paid", "reversed"])]
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
        /// Also write the EUR payments as an ISO 20022 pain.001.001.09 bank file here (only if
        /// the payment commits); EUR payments to a vendor without an IBAN are then not made.
        #[arg(long, value_name = "FILE")]
        bank_file: Option<PathBuf>,
    },
    /// Write the bank file of a payment run made with `pay --bank-file` again (the same
    /// transfers; only the creation time differs).
    BankFile {
        /// The payment run.
        #[arg(long)]
        run: i64,
        /// Where to write it.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Replace a file that is not a previous bank file.
        #[arg(long)]
        force: bool,
    },
    /// Write off small, dormant customer credits: those the rules' `write_off` hook chooses
    /// (by default below `write_off.below`, untouched for `write_off.after_days` days).
    ///
    /// One transaction, recorded as a run of kind `write-off`: a voucher per credit debits the
    /// customer (receivables) and credits `write_off.account`, and the credit is settled.
    WriteOff {
        /// Posting date (default today); the credits' age is counted to it.
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// Show what would be written off (or reversed) without writing it.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Rule file to use instead of the company's.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Reverse the write-offs of this write-off run instead (needs --reason); `reimburse
        /// reverse --run N` does the same.
        #[arg(
            long,
            value_name = "RUN",
            hide = true,
            requires = "reason",
            conflicts_with_all = ["rules", "reverse"]
        )]
        reverse_run: Option<i64>,
        /// Reverse these write-offs instead (needs --reason).
        #[arg(
            long,
            value_name = "ID",
            num_args = 1..,
            value_delimiter = ',',
            hide = true,
            requires = "reason",
            conflicts_with = "rules"
        )]
        reverse: Vec<i64>,
        /// Why the write-offs are reversed (recorded with the decision).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// The credits written off, with their status (`written-off` or `reversed`).
    WriteOffs {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reverse reimbursements not paid: a voucher per reimbursement that mirrors it (payables
    /// debited, receivables credited), its vendor invoice settled by it, the customer's credit
    /// open again (the next run reimburses it again). All or nothing: a paid one (reversing a
    /// payment is a bank matter), one reversed already, one dated after --date or whose invoice
    /// is partly settled refuses the whole, every refusal listed. One-time vendors stay.
    Reverse(ReversalArgs),
    /// Reject reimbursements pending approval (an approver, with the `approval:` section): each
    /// is reversed as by `reverse`, with the decision `reject`.
    Reject(ReversalArgs),
    /// Approve reimbursements pending approval: those the current user may approve (a listed
    /// approver, within their limit in the accounting currency, not the user of the run that
    /// posted them: four eyes); each one refused says which rule stopped it.
    ///
    /// Exit code 0 when at least one was approved or none was refused; 1 when every selected one
    /// was refused.
    Approve(ApproveArgs),
    /// Hold unpaid reimbursements (`pay` leaves them, with the reason). All or nothing: an
    /// unknown, paid, reversed or already held one refuses the whole command (exit code 1).
    Hold {
        /// The reimbursements (ids, repeatable or comma-separated).
        #[arg(long = "reimbursement", value_name = "ID", required = true, num_args = 1.., value_delimiter = ',')]
        reimbursements: Vec<i64>,
        /// Why they are held.
        #[arg(long)]
        reason: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Release held reimbursements (`pay` pays them again). All or nothing: an unknown, paid,
    /// reversed or not held one refuses the whole command (exit code 1).
    Release {
        /// The reimbursements (ids, repeatable or comma-separated).
        #[arg(long = "reimbursement", value_name = "ID", required = true, num_args = 1.., value_delimiter = ',')]
        reimbursements: Vec<i64>,
        /// A note recorded with the release.
        #[arg(long)]
        note: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What happened to a reimbursement, in order: posted by its run, each decision (who, when,
    /// what, why), paid.
    History {
        /// The reimbursement (id).
        #[arg(long = "reimbursement", value_name = "ID")]
        reimbursement: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The runs recorded in the database (audit trail); with `--run N --skipped`, what run N
    /// decided for each credit it did not reimburse, and why.
    Runs {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only this run.
        #[arg(long)]
        run: Option<i64>,
        /// The credits the run did not reimburse: each skip with the credit's amount and the
        /// reason, and each customer that failed under `--keep-going`, with the error.
        #[arg(long, requires = "run")]
        skipped: bool,
        /// With `--skipped`: only this customer's.
        #[arg(long, requires = "skipped")]
        customer: Option<String>,
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
pub(super) fn parse_date(text: &str) -> Result<NaiveDate, String> {
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
    pub(super) fn filter(&self, status: Option<String>) -> ReimbursementFilter {
        ReimbursementFilter {
            status,
            customer: self.customer.clone(),
            vendor: self.vendor.clone(),
            run: self.run.map(RunId),
            from: self.from,
            to: self.to,
            ..Default::default()
        }
    }
}

/// Arguments of `approve`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("chosen").args(["reimbursements", "run"]).required(true)))]
pub struct ApproveArgs {
    /// These reimbursements (ids, repeatable or comma-separated).
    #[arg(long = "reimbursement", value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub reimbursements: Vec<i64>,
    /// The reimbursements of this run that are pending approval.
    #[arg(long, value_name = "N")]
    pub run: Option<i64>,
    /// A note recorded with each approval.
    #[arg(long)]
    pub note: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
