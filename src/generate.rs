//! Synthetic companies for benchmarks and load tests: `reimburse generate`.
//!
//! A generated company is a folder with `company.yaml`, `rules/reimburse.rhai` (the default rules)
//! and `company.db`: N customers with about three open transactions each and a realistic mix —
//! about half with a credit balance (some below the minimum), a third with a vendor account, 2% on
//! payment hold, 10% in EUR, a few with unpaid invoices beside their credits. The same seed gives
//! the same company.
//!
//! The database is written with bulk inserts (one opening voucher per customer) for speed; the data
//! respect every ledger invariant (vouchers balance, sub-ledgers match the summary accounts).

use std::path::{Path, PathBuf};

use rusqlite::params;

use crate::files::{self, Existing, OutputError, Protected, Replaceable, check_output};
use crate::ledger::Ledger;
use crate::parameters::Company;
use crate::store::{Store, StoreError};

/// The default rules, written into every generated company.
pub const DEFAULT_RULES: &str = include_str!("../rules/reimburse.rhai");

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of customers.
    pub customers: u64,
    /// Random seed (same seed, same company).
    pub seed: u64,
    /// The folder to write the company into (created if missing).
    pub dir: PathBuf,
    /// Replace the files of a company already there (regular files only; the database only
    /// when it is a company database).
    pub force: bool,
    /// Also write the company as import files: `customers.csv`, `vendors.csv` and
    /// `transactions.csv` in the folder (for `reimburse import` and its benchmark).
    pub csv: bool,
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateReport {
    /// The company YAML.
    pub company_file: PathBuf,
    /// Customers written.
    pub customers: u64,
    /// Vendors written.
    pub vendors: u64,
    /// Customer transactions written.
    pub transactions: u64,
}

/// An error while generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The folder or files cannot be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The database cannot be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The generated parameters are invalid (a bug).
    #[error(transparent)]
    Parameters(#[from] crate::parameters::YamlError),
    /// The ledger refused the setup.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// A file of the company may not be written (see [`OutputError`]).
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// A small deterministic pseudo-random generator (SplitMix64): reproducible across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const COMPANY_YAML: &str = r#"# A synthetic company made by `reimburse generate`.
company: { id: SYNTH, name: Synthetic Utilities Inc }
accounting_currency: USD
currencies: { USD: { decimals: 2 }, EUR: { decimals: 2 } }
exchange_rates: { EUR: 1.0850 }
minimum_reimbursement: 5.00
open_debits: net
accounts: { receivables: "1200", payables: "2000", bank: "1010", opening_balance: "3999" }
one_time_vendor:
  group: ONETIME
  sequence: { prefix: OTV-, width: 8 }
  link_to_customer: true
sequences:
  reimbursement: { prefix: RMB-, width: 8 }
  vendor_invoice: { prefix: VINV-, width: 8 }
  payment: { prefix: PAY-, width: 8 }
  opening: { prefix: OPN-, width: 8 }
database: company.db
rules: rules/reimburse.rhai
"#;

/// The database of a generated company (`database:` in [`COMPANY_YAML`]).
const DATABASE: &str = "company.db";

/// The import files `--csv` writes.
const CSV_FILES: [&str; 3] = ["customers.csv", "vendors.csv", "transactions.csv"];

/// Refuses to generate over files that exist, naming them, unless `force`; and, even with it,
/// over anything that is not a regular file, or a database that is not a company database.
fn check_targets(
    options: &GenerateOptions,
    company_file: &Path,
    rules_file: &Path,
) -> Result<(), GenerateError> {
    let db = options.dir.join(DATABASE);
    let mut targets = vec![company_file.to_path_buf(), rules_file.to_path_buf()];
    targets.extend(["-wal", "-shm"].map(|s| files::with_suffix(&db, s)));
    if options.csv {
        targets.extend(CSV_FILES.map(|name| options.dir.join(name)));
    }
    let none = Protected::default();
    let mut existing = Vec::new();
    if check_output(&db, &none, &Replaceable::CompanyDatabase)? == Existing::Replaceable {
        existing.push(db.clone());
    }
    for path in targets {
        if check_output(&path, &none, &Replaceable::AnyRegular)? == Existing::Replaceable {
            existing.push(path);
        }
    }
    if existing.is_empty() || options.force {
        return Ok(());
    }
    Err(OutputError::Exist { paths: existing }.into())
}

/// Writes a synthetic company: refused where one exists, unless `force`.
pub fn generate(options: &GenerateOptions) -> Result<GenerateReport, GenerateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Io { path, source }
    };
    let rules_dir = options.dir.join("rules");
    let company_file = options.dir.join("company.yaml");
    let rules_file = rules_dir.join("reimburse.rhai");
    check_targets(options, &company_file, &rules_file)?;
    std::fs::create_dir_all(&rules_dir).map_err(io(&rules_dir))?;
    std::fs::write(&company_file, COMPANY_YAML).map_err(io(&company_file))?;
    std::fs::write(&rules_file, DEFAULT_RULES).map_err(io(&rules_file))?;
    let company = Company::load(&company_file)?;
    let db = &company.database_path;
    debug_assert_eq!(
        db,
        &options.dir.join(DATABASE),
        "COMPANY_YAML names {DATABASE}"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(files::with_suffix(db, suffix));
    }
    let ledger = Ledger::new(Store::create(db)?, company.params.clone())?;
    let mut csv = if options.csv {
        Some(CsvFiles::create(&options.dir)?)
    } else {
        None
    };
    let store = ledger.store();
    store.begin()?;
    let result = fill(&ledger, options, csv.as_mut());
    if let Some(files) = csv {
        files.finish()?;
    }
    match result {
        Ok(report) => {
            store.commit()?;
            store
                .conn()
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(|e| StoreError::sqlite(store.path(), e))?;
            Ok(GenerateReport {
                company_file,
                ..report
            })
        }
        Err(e) => {
            store.rollback();
            Err(StoreError::sqlite(store.path(), e).into())
        }
    }
}

/// The import files of a generated company.
struct CsvFiles {
    dir: PathBuf,
    customers: csv::Writer<std::fs::File>,
    vendors: csv::Writer<std::fs::File>,
    transactions: csv::Writer<std::fs::File>,
}

impl CsvFiles {
    fn create(dir: &Path) -> Result<CsvFiles, GenerateError> {
        let open = |name: &str, header: &[&str]| -> Result<_, GenerateError> {
            debug_assert!(
                CSV_FILES.contains(&name),
                "{name} is checked before writing"
            );
            let path = dir.join(name);
            let mut w = csv::Writer::from_path(&path).map_err(|e| csv_error(&path, e))?;
            w.write_record(header).map_err(|e| csv_error(&path, e))?;
            Ok(w)
        };
        Ok(CsvFiles {
            dir: dir.to_path_buf(),
            customers: open(
                "customers.csv",
                &[
                    "account",
                    "name",
                    "address",
                    "currency",
                    "group",
                    "vendor_account",
                    "payment_hold",
                ],
            )?,
            vendors: open("vendors.csv", &["account", "name", "currency"])?,
            transactions: open(
                "transactions.csv",
                &["customer", "date", "type", "document", "amount", "currency"],
            )?,
        })
    }

    fn finish(mut self) -> Result<(), GenerateError> {
        let dir = self.dir.clone();
        for w in [
            &mut self.customers,
            &mut self.vendors,
            &mut self.transactions,
        ] {
            w.flush().map_err(|source| GenerateError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

fn csv_error(path: &Path, e: csv::Error) -> GenerateError {
    GenerateError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// A CSV write error as the SQLite error `fill` returns (it aborts the generation).
fn csv_failed(e: csv::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn fill(
    ledger: &Ledger,
    options: &GenerateOptions,
    mut csv: Option<&mut CsvFiles>,
) -> rusqlite::Result<GenerateReport> {
    let conn = ledger.store().conn();
    let mut rng = Rng::new(options.seed);
    let mut add_vendor = conn.prepare(
        "INSERT INTO vendors(account, name, vendor_group, currency) VALUES (?1, ?2, 'DEFAULT', ?3)",
    )?;
    let mut add_customer = conn.prepare(
        "INSERT INTO customers(account, name, address, currency, customer_group, vendor_account,
             payment_hold) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut add_voucher =
        conn.prepare("INSERT INTO vouchers(number, date, description) VALUES (?1, ?2, ?3)")?;
    let mut add_line = conn.prepare(
        "INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor, customer)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut add_txn = conn.prepare(
        "INSERT INTO customer_transactions(account, voucher_id, date, document, type, currency,
             amount_minor, open_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    let width = options.customers.max(1).to_string().len().max(7);
    let mut report = GenerateReport {
        company_file: PathBuf::new(),
        customers: 0,
        vendors: 0,
        transactions: 0,
    };
    let (receivables, opening) = (
        ledger.params().accounts.receivables.clone(),
        ledger.params().accounts.opening_balance.clone(),
    );
    for i in 1..=options.customers {
        let account = format!("C{i:0width$}");
        let currency = if rng.chance(10) { "EUR" } else { "USD" };
        let group = if rng.chance(30) {
            "WHOLESALE"
        } else {
            "RETAIL"
        };
        let vendor = if rng.chance(33) {
            let v = format!("V{i:0width$}");
            add_vendor.execute(params![v, format!("Vendor of {account}"), currency])?;
            if let Some(files) = csv.as_deref_mut() {
                let name = format!("Vendor of {account}");
                files
                    .vendors
                    .write_record([v.as_str(), name.as_str(), currency])
                    .map_err(csv_failed)?;
            }
            report.vendors += 1;
            Some(v)
        } else {
            None
        };
        let hold = rng.chance(2);
        let (name, address) = (format!("Customer {i}"), format!("{i} Main Street"));
        add_customer.execute(params![
            account, name, address, currency, group, vendor, hold
        ])?;
        if let Some(files) = csv.as_deref_mut() {
            let fields = [
                account.as_str(),
                name.as_str(),
                address.as_str(),
                currency,
                group,
                vendor.as_deref().unwrap_or(""),
                if hold { "true" } else { "false" },
            ];
            files.customers.write_record(fields).map_err(csv_failed)?;
        }
        report.customers += 1;
        // About three transactions: an invoice, its payment, and a third (credit note, payment or
        // invoice). Half of the customers overpay.
        let invoice = 1_000 + rng.below(20_000) as i64;
        let mut amounts = vec![("invoice", invoice)];
        let overpays = rng.chance(50);
        if overpays {
            let extra = if rng.chance(10) {
                1 + rng.below(400) as i64 // below the minimum of 5.00
            } else {
                600 + rng.below(15_000) as i64
            };
            amounts.push(("payment", -(invoice + extra)));
        } else {
            amounts.push((
                "payment",
                -(invoice / 2 + rng.below(invoice as u64 / 2) as i64),
            ));
        }
        match rng.below(3) {
            0 => amounts.push(("credit_note", -(100 + rng.below(2_000) as i64))),
            1 => amounts.push(("invoice", 500 + rng.below(5_000) as i64)),
            _ => {}
        }
        let voucher_id = add_voucher.insert(params![
            format!("OPN-{i:08}"),
            "2026-10-01",
            format!("Opening balance {account}")
        ])?;
        let mut total = 0i64;
        for (n, (kind, amount)) in amounts.iter().enumerate() {
            add_line.execute(params![voucher_id, receivables, currency, amount, account])?;
            let (date, document) = (
                format!("2026-10-{:02}", 1 + n),
                format!("{}-{i}-{n}", &kind[..3].to_uppercase()),
            );
            add_txn.execute(params![
                account, voucher_id, date, document, kind, currency, amount
            ])?;
            if let Some(files) = csv.as_deref_mut() {
                // Minor units of a currency of two decimals, as an amount.
                let text = rust_decimal::Decimal::new(*amount, 2).to_string();
                let fields = [account.as_str(), &date, kind, &document, &text, currency];
                files
                    .transactions
                    .write_record(fields)
                    .map_err(csv_failed)?;
            }
            total += amount;
            report.transactions += 1;
        }
        add_line.execute(params![
            voucher_id,
            opening,
            currency,
            -total,
            None::<String>
        ])?;
    }
    conn.execute(
        "UPDATE number_sequences SET next = ?1 WHERE name = 'opening'",
        [options.customers as i64 + 1],
    )?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Side;

    #[test]
    fn same_seed_same_company_and_sound_books() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            generate(&GenerateOptions {
                customers: 300,
                seed: 7,
                dir: dir.to_path_buf(),
                force: false,
                csv: false,
            })
            .unwrap();
        }
        let open =
            |dir: &Path| Ledger::open(&Company::load(&dir.join("company.yaml")).unwrap()).unwrap();
        let (la, lb) = (open(a.path()), open(b.path()));
        assert_eq!(
            la.all_balances(Side::Customer).unwrap(),
            lb.all_balances(Side::Customer).unwrap()
        );
        for total in la.trial_balance_totals().unwrap().values() {
            assert!(total.is_zero());
        }
        let credits = la
            .all_balances(Side::Customer)
            .unwrap()
            .into_iter()
            .filter(|b| b.balance.balance.is_sign_negative() && !b.balance.balance.is_zero())
            .count();
        assert!((100..200).contains(&credits), "{credits} credits of 300");
    }
}
