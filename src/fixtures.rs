//! Fixture ledgers: YAML files that describe a company's starting data (customers, vendors, open
//! transactions, settlements), loaded into a new database; and `init`, which creates a company
//! database, optionally from a fixture.
//!
//! Every transaction is posted through [`Ledger::post_voucher`] against the opening-balance account,
//! so the trial balance is zero from the start. Loading is all or nothing: a fixture that names an
//! unknown customer, currency or type, or an amount with too many decimals, is refused with the
//! file, the entry and the reason, and nothing is written.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::bank::{BankError, Bic, Iban};
use crate::files::{self, Existing, OutputError, Protected, Replaceable, Role};
use crate::ledger::{Customer, Ledger, LedgerError, LineDraft, Side, Target, Vendor, VoucherDraft};
use crate::money;
use crate::parameters::{Company, ParameterOverrides, YamlError, parse_yaml};
use crate::store::{Store, StoreError};
use crate::testing::{Expect, RunStep, Step};

/// A customer in a fixture.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FixtureCustomer {
    /// Account number.
    #[serde(deserialize_with = "crate::text::required")]
    pub account: String,
    /// Name.
    #[serde(deserialize_with = "crate::text::required")]
    pub name: String,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// Currency (default: the accounting currency).
    #[serde(default)]
    pub currency: Option<String>,
    /// Customer group (default `DEFAULT`).
    #[serde(default)]
    pub group: Option<String>,
    /// Vendor account that receives the customer's credit.
    #[serde(default)]
    pub vendor_account: Option<String>,
    /// On hold for payments.
    #[serde(default)]
    pub payment_hold: bool,
    /// Tax id.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Bank account (IBAN, checked).
    #[serde(default)]
    pub iban: Option<String>,
    /// The bank's BIC (checked).
    #[serde(default)]
    pub bic: Option<String>,
}

/// A vendor in a fixture.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FixtureVendor {
    /// Account number.
    #[serde(deserialize_with = "crate::text::required")]
    pub account: String,
    /// Name.
    #[serde(deserialize_with = "crate::text::required")]
    pub name: String,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// Currency (default: the accounting currency).
    #[serde(default)]
    pub currency: Option<String>,
    /// Vendor group (default `DEFAULT`).
    #[serde(default)]
    pub group: Option<String>,
    /// Blocked for postings.
    #[serde(default)]
    pub blocked: bool,
    /// A one-time vendor.
    #[serde(default)]
    pub one_time: bool,
    /// The customer it was created for.
    #[serde(default)]
    pub created_for: Option<String>,
    /// Payment terms.
    #[serde(default)]
    pub payment_terms: Option<String>,
    /// Method of payment.
    #[serde(default)]
    pub method_of_payment: Option<String>,
    /// Tax id.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Bank account (IBAN, checked).
    #[serde(default)]
    pub iban: Option<String>,
    /// The bank's BIC (checked).
    #[serde(default)]
    pub bic: Option<String>,
}

/// An open transaction in a fixture, on a customer or on a vendor.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FixtureTransaction {
    /// The customer account (for `transactions`).
    #[serde(default)]
    pub customer: Option<String>,
    /// The vendor account (for `vendor_transactions`).
    #[serde(default)]
    pub vendor: Option<String>,
    /// Date.
    #[serde(deserialize_with = "crate::dates::deserialize")]
    pub date: NaiveDate,
    /// Type: invoice, payment, credit_note, refund, interest, fee or adjustment.
    #[serde(rename = "type", deserialize_with = "crate::text::required")]
    pub kind: String,
    /// Document number.
    #[serde(deserialize_with = "crate::text::required")]
    pub document: String,
    /// Signed amount: invoice +, payment and credit note − (for customers).
    #[serde(deserialize_with = "money::exact::deserialize")]
    pub amount: Decimal,
    /// Currency (default: the account's currency).
    #[serde(default)]
    pub currency: Option<String>,
    /// The document of an open transaction of the same customer and currency that this one
    /// settles (read by `reimburse import`; a fixture lists its settlements under `settlements:`).
    #[serde(default)]
    pub applies_to: Option<String>,
}

/// A settlement between two fixture transactions of one account, by document number.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FixtureSettlement {
    /// The customer account (or give `vendor`).
    #[serde(default)]
    pub customer: Option<String>,
    /// The vendor account (or give `customer`).
    #[serde(default)]
    pub vendor: Option<String>,
    /// Document of the debit transaction.
    pub debit: String,
    /// Document of the credit transaction.
    pub credit: String,
    /// Amount to settle (default: as much as both have open).
    #[serde(default, deserialize_with = "money::exact::deserialize_option")]
    pub amount: Option<Decimal>,
    /// Date (default: the later of the two transactions' dates).
    #[serde(default, deserialize_with = "crate::dates::deserialize_option")]
    pub date: Option<NaiveDate>,
}

/// A fixture file: the ledger loaded into the database and, for `reimburse test`, what a run
/// should do (`run:` and `expect:`, or several `steps:`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What the fixture shows (free text, for people).
    #[serde(default)]
    pub description: Option<String>,
    /// How to run (one step; default: all customers, today).
    #[serde(default)]
    pub run: Option<RunStep>,
    /// What must hold after the run.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Several steps in order (instead of `run:` and `expect:`).
    #[serde(default)]
    pub steps: Option<Vec<Step>>,
    /// Overrides of the company parameters (applied when the fixture runs as a test).
    #[serde(default)]
    pub parameters: ParameterOverrides,
    /// Customers.
    #[serde(default)]
    pub customers: Vec<FixtureCustomer>,
    /// Vendors.
    #[serde(default)]
    pub vendors: Vec<FixtureVendor>,
    /// Open customer transactions.
    #[serde(default)]
    pub transactions: Vec<FixtureTransaction>,
    /// Open vendor transactions.
    #[serde(default)]
    pub vendor_transactions: Vec<FixtureTransaction>,
    /// Settlements already made between the transactions above.
    #[serde(default)]
    pub settlements: Vec<FixtureSettlement>,
}

impl Fixture {
    /// The steps to run as a test: `steps:`, or one run step from `run:` and `expect:`.
    pub fn steps(&self) -> Vec<Step> {
        match &self.steps {
            Some(steps) => steps.clone(),
            None => vec![Step {
                run: Some(self.run.clone().unwrap_or_default()),
                pay: None,
                expect: self.expect.clone().unwrap_or_default(),
            }],
        }
    }
}

/// An error loading a fixture: the file, the entry and the reason.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The YAML is malformed or has unknown, missing or mistyped keys.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// An entry is refused.
    #[error("{}: {entry}: {reason}", file.display())]
    Entry {
        /// The fixture file.
        file: PathBuf,
        /// Which entry, e.g. `transactions[2] (customer C-009)`.
        entry: String,
        /// Why.
        reason: String,
    },
    /// The database could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file `database:` names may not be written (see [`OutputError`]).
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl FixtureError {
    fn entry(file: &Path, entry: impl fmt::Display, reason: impl fmt::Display) -> FixtureError {
        FixtureError::Entry {
            file: file.to_path_buf(),
            entry: entry.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Parses the ledger part of a fixture from YAML text (other top-level keys are refused unless
/// `T` accepts them; see [`crate::fixtures::parse`]).
pub fn parse<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, FixtureError> {
    Ok(parse_yaml(file, text)?)
}

/// Parses a fixture, refusing `steps:` beside `run:`/`expect:`.
pub fn parse_fixture(file: &Path, text: &str) -> Result<Fixture, FixtureError> {
    let fixture: Fixture = parse(file, text)?;
    if fixture.steps.is_some() && (fixture.run.is_some() || fixture.expect.is_some()) {
        return Err(FixtureError::entry(
            file,
            "steps",
            "give either `steps:` or `run:`/`expect:`, not both",
        ));
    }
    Ok(fixture)
}

/// Reads a fixture file.
pub fn read_fixture(file: &Path) -> Result<Fixture, FixtureError> {
    let text = read(file)?;
    parse_fixture(file, &text)
}

/// Reads a fixture file's text.
pub fn read(file: &Path) -> Result<String, FixtureError> {
    std::fs::read_to_string(file).map_err(|e| {
        FixtureError::Yaml(YamlError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            path: String::new(),
            message: format!("cannot read the fixture: {e}"),
        })
    })
}

/// What a fixture load wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Customers added.
    pub customers: usize,
    /// Vendors added.
    pub vendors: usize,
    /// Transactions posted.
    pub transactions: usize,
    /// Settlements made.
    pub settlements: usize,
}

/// Loads fixture data into the ledger, all or nothing (inside one transaction that this function
/// opens, or inside the caller's when one is open).
pub fn load(ledger: &Ledger, file: &Path, data: &Fixture) -> Result<LoadReport, FixtureError> {
    let own = !ledger.store().in_transaction();
    if own {
        ledger.store().begin()?;
    }
    let origin = ledger.origin();
    ledger.set_origin(crate::ledger::ChangeOrigin {
        source: format!("fixture {}", file.display()),
        ..origin.clone()
    });
    let loaded = load_inner(ledger, file, data);
    ledger.set_origin(origin);
    match loaded {
        Ok(report) => {
            if own {
                ledger.store().commit()?;
            }
            Ok(report)
        }
        Err(e) => {
            if own {
                ledger.store().rollback();
            }
            Err(e)
        }
    }
}

/// Checks an optional IBAN or BIC of a fixture entry.
fn bank_detail<T>(
    file: &Path,
    entry: &str,
    text: Option<&str>,
    parse: fn(&str) -> Result<T, BankError>,
) -> Result<Option<T>, FixtureError> {
    text.map(parse)
        .transpose()
        .map_err(|e| FixtureError::entry(file, entry, e))
}

/// Whether a customer transaction of this type must be positive (`Some(true)`, a debit) or
/// negative (`Some(false)`, a credit); `None` for a type either way or one the fixtures do not
/// know (an import accepts other words).
pub(crate) fn customer_sign(kind: &str) -> Option<bool> {
    TYPES
        .iter()
        .find(|(name, _)| *name == kind)
        .and_then(|(_, sign)| *sign)
}

const TYPES: &[(&str, Option<bool>)] = &[
    ("invoice", Some(true)),
    ("payment", Some(false)),
    ("credit_note", Some(false)),
    ("refund", Some(true)),
    ("interest", Some(true)),
    ("fee", Some(true)),
    ("adjustment", None),
];

fn load_inner(ledger: &Ledger, file: &Path, data: &Fixture) -> Result<LoadReport, FixtureError> {
    let params = ledger.params();
    let accounting = params.accounting_currency.clone();
    let known_currency = |entry: &str, c: &Option<String>| -> Result<String, FixtureError> {
        let code = c.clone().unwrap_or_else(|| accounting.clone());
        if params.currency(&code).is_none() {
            return Err(FixtureError::entry(
                file,
                entry,
                format!("unknown currency '{code}'"),
            ));
        }
        Ok(code)
    };
    let ledger_err = |entry: &str, e: LedgerError| FixtureError::entry(file, entry, e);
    let mut report = LoadReport::default();

    for (i, v) in data.vendors.iter().enumerate() {
        let entry = format!("vendors[{i}] ({})", v.account);
        if v.account.trim().is_empty() || v.name.trim().is_empty() {
            return Err(FixtureError::entry(
                file,
                &entry,
                "account and name are required",
            ));
        }
        if ledger
            .vendor(&v.account)
            .map_err(|e| ledger_err(&entry, e))?
            .is_some()
        {
            return Err(FixtureError::entry(file, &entry, "vendor listed twice"));
        }
        let vendor = Vendor {
            account: v.account.clone(),
            name: v.name.clone(),
            address: v.address.clone(),
            group: v.group.clone().unwrap_or_else(|| "DEFAULT".into()),
            currency: known_currency(&entry, &v.currency)?,
            one_time: v.one_time,
            created_for: v.created_for.clone(),
            blocked: v.blocked,
            payment_terms: v.payment_terms.clone(),
            method_of_payment: v.method_of_payment.clone(),
            tax_id: v.tax_id.clone(),
            iban: bank_detail(file, &entry, v.iban.as_deref(), Iban::parse)?,
            bic: bank_detail(file, &entry, v.bic.as_deref(), Bic::parse)?,
        };
        ledger
            .insert_vendor(&vendor)
            .map_err(|e| ledger_err(&entry, e))?;
        report.vendors += 1;
    }
    for (i, c) in data.customers.iter().enumerate() {
        let entry = format!("customers[{i}] ({})", c.account);
        let customer = Customer {
            account: c.account.clone(),
            name: c.name.clone(),
            address: c.address.clone(),
            currency: known_currency(&entry, &c.currency)?,
            group: c.group.clone().unwrap_or_else(|| "DEFAULT".into()),
            // A vendor account that is not in the vendor table is kept: the rules decide.
            vendor_account: c.vendor_account.clone(),
            payment_hold: c.payment_hold,
            tax_id: c.tax_id.clone(),
            iban: bank_detail(file, &entry, c.iban.as_deref(), Iban::parse)?,
            bic: bank_detail(file, &entry, c.bic.as_deref(), Bic::parse)?,
        };
        ledger
            .create_customer(&customer)
            .map_err(|e| ledger_err(&entry, e))?;
        report.customers += 1;
    }
    for (i, v) in data.vendors.iter().enumerate() {
        if let Some(c) = &v.created_for
            && ledger
                .customer(c)
                .map_err(|e| ledger_err("vendors", e))?
                .is_none()
        {
            return Err(FixtureError::entry(
                file,
                format!("vendors[{i}] ({})", v.account),
                format!("created_for names unknown customer '{c}'"),
            ));
        }
    }

    // Documents by (side, account, document) → transaction ids, for settlements.
    let mut documents: HashMap<(Side, String, String), Vec<i64>> = HashMap::new();
    let lists = [
        (Side::Customer, "transactions", &data.transactions),
        (
            Side::Vendor,
            "vendor_transactions",
            &data.vendor_transactions,
        ),
    ];
    for (side, list_name, list) in lists {
        for (i, t) in list.iter().enumerate() {
            let (party, other) = match side {
                Side::Customer => (&t.customer, &t.vendor),
                Side::Vendor => (&t.vendor, &t.customer),
            };
            let entry = match party {
                Some(p) => format!("{list_name}[{i}] ({} {p})", side.name()),
                None => format!("{list_name}[{i}]"),
            };
            let Some(party) = party else {
                return Err(FixtureError::entry(
                    file,
                    &entry,
                    format!("missing field `{}`", side.name()),
                ));
            };
            if other.is_some() {
                return Err(FixtureError::entry(
                    file,
                    &entry,
                    format!(
                        "a {} transaction cannot name a {}",
                        side.name(),
                        match side {
                            Side::Customer => "vendor",
                            Side::Vendor => "customer",
                        }
                    ),
                ));
            }
            let account_currency = match side {
                Side::Customer => ledger
                    .customer(party)
                    .map_err(|e| ledger_err(&entry, e))?
                    .map(|c| c.currency),
                Side::Vendor => ledger
                    .vendor(party)
                    .map_err(|e| ledger_err(&entry, e))?
                    .map(|v| v.currency),
            };
            let Some(account_currency) = account_currency else {
                return Err(FixtureError::entry(
                    file,
                    &entry,
                    format!("unknown {} '{party}'", side.name()),
                ));
            };
            let Some((_, sign)) = TYPES.iter().find(|(name, _)| *name == t.kind) else {
                return Err(FixtureError::entry(
                    file,
                    &entry,
                    format!(
                        "unknown type '{}' (expected one of: {})",
                        t.kind,
                        TYPES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            if t.amount.is_zero() {
                return Err(FixtureError::entry(file, &entry, "amount must not be zero"));
            }
            if t.applies_to.is_some() {
                return Err(FixtureError::entry(
                    file,
                    &entry,
                    "applies_to is read by `reimburse import`; a fixture lists its settlements \
                     under `settlements:`",
                ));
            }
            // Customer side: invoice +, payment −. Vendor side is the mirror image.
            if let Some(positive) = sign {
                let positive = if side == Side::Customer {
                    *positive
                } else {
                    !positive
                };
                if t.amount.is_sign_positive() != positive {
                    return Err(FixtureError::entry(
                        file,
                        &entry,
                        format!(
                            "{} {} on a {} must be {} (debit +, credit −), not {}",
                            if t.kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                                "an"
                            } else {
                                "a"
                            },
                            t.kind,
                            side.name(),
                            if positive { "positive" } else { "negative" },
                            t.amount
                        ),
                    ));
                }
            }
            let currency = t.currency.clone().unwrap_or(account_currency);
            let c = params.currency(&currency).ok_or_else(|| {
                FixtureError::entry(file, &entry, format!("unknown currency '{currency}'"))
            })?;
            c.check(t.amount)
                .map_err(|e| FixtureError::entry(file, &entry, e))?;
            let target = match side {
                Side::Customer => Target::Customer(party.clone()),
                Side::Vendor => Target::Vendor(party.clone()),
            };
            let posted = ledger
                .post_voucher(&VoucherDraft {
                    sequence: "opening".into(),
                    date: t.date,
                    description: format!("Opening {} {} {}", t.kind, party, t.document),
                    lines: vec![
                        LineDraft {
                            target,
                            currency: currency.clone(),
                            amount: t.amount,
                            document: Some(t.document.clone()),
                            kind: Some(t.kind.clone()),
                        },
                        LineDraft {
                            target: Target::Account(params.accounts.opening_balance.clone()),
                            currency,
                            amount: -t.amount,
                            document: None,
                            kind: None,
                        },
                    ],
                })
                .map_err(|e| ledger_err(&entry, e))?;
            let id = match side {
                Side::Customer => posted.customer_transactions[0],
                Side::Vendor => posted.vendor_transactions[0],
            };
            documents
                .entry((side, party.clone(), t.document.clone()))
                .or_default()
                .push(id);
            report.transactions += 1;
        }
    }

    for (i, s) in data.settlements.iter().enumerate() {
        let (side, party) = match (&s.customer, &s.vendor) {
            (Some(c), None) => (Side::Customer, c),
            (None, Some(v)) => (Side::Vendor, v),
            _ => {
                return Err(FixtureError::entry(
                    file,
                    format!("settlements[{i}]"),
                    "give exactly one of `customer` and `vendor`",
                ));
            }
        };
        let entry = format!("settlements[{i}] ({} {party})", side.name());
        let find = |doc: &str| -> Result<i64, FixtureError> {
            match documents
                .get(&(side, party.clone(), doc.to_string()))
                .map(Vec::as_slice)
            {
                Some([id]) => Ok(*id),
                Some(_) => Err(FixtureError::entry(
                    file,
                    &entry,
                    format!("document '{doc}' is used by several transactions of {party}"),
                )),
                None => Err(FixtureError::entry(
                    file,
                    &entry,
                    format!(
                        "no transaction with document '{doc}' on {} {party}",
                        side.name()
                    ),
                )),
            }
        };
        let debit = find(&s.debit)?;
        let credit = find(&s.credit)?;
        let date = match s.date {
            Some(d) => d,
            None => {
                let a = ledger
                    .transaction(side, debit)
                    .map_err(|e| ledger_err(&entry, e))?;
                let b = ledger
                    .transaction(side, credit)
                    .map_err(|e| ledger_err(&entry, e))?;
                a.date.max(b.date)
            }
        };
        ledger
            .settle(side, debit, credit, s.amount, date)
            .map_err(|e| ledger_err(&entry, e))?;
        report.settlements += 1;
    }
    ledger.take_journal();
    Ok(report)
}

/// Creates a company's database: empty, or loaded from a fixture. The database is written to a
/// temporary file beside the target and moved into place only when complete, so a failed `init`
/// leaves nothing behind (and `--force` replaces the old database only on success).
/// A fixture's `parameters:` overrides are not stored (the company YAML is the one source of truth
/// for a real company); the report says when there were some.
pub fn init_company(
    company: &Company,
    fixture: Option<(&Path, &Fixture)>,
    force: bool,
) -> Result<InitReport, FixtureError> {
    let target = &company.database_path;
    let mut protected = Protected::company_inputs(company);
    if let Some((file, _)) = fixture {
        protected = protected.with(file, Role::Input);
    }
    let existing = files::check_output(target, &protected, &Replaceable::CompanyDatabase)?;
    if existing == Existing::Replaceable && !force {
        return Err(StoreError::Exists(target.clone()).into());
    }
    if existing == Existing::Replaceable {
        refuse_if_in_use(target)?;
    }
    if let Some(dir) = target.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let stale = files::remove_stale_init_files(target);
    let temp = files::init_temp_path(target, std::process::id());
    remove_database_files(&temp);
    // Name the database and its folder, not the temporary file, when the folder is not writable.
    if let Err(e) = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
    {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        return Err(StoreError::Io {
            path: target.clone(),
            source: std::io::Error::new(
                e.kind(),
                format!(
                    "cannot create the database: cannot write in {}: {e}",
                    dir.display()
                ),
            ),
        }
        .into());
    }
    remove_database_files(&temp);
    let result = (|| {
        let store = Store::create(&temp)?;
        let ledger = Ledger::new(store, company.params.clone())
            .map_err(|e| FixtureError::entry(&company.file, "parameters", e))?;
        let loaded = match fixture {
            Some((file, data)) => load(&ledger, file, data)?,
            None => LoadReport::default(),
        };
        drop(ledger);
        Ok(loaded)
    })();
    match result {
        Ok(loaded) => {
            if force {
                remove_database_files(target);
            }
            std::fs::rename(&temp, target).map_err(|source| StoreError::Io {
                path: target.clone(),
                source,
            })?;
            Ok(InitReport {
                database: target.clone(),
                stale,
                loaded,
                ignored_overrides: fixture.is_some_and(|(_, d)| !d.parameters.is_empty()),
            })
        }
        Err(e) => {
            remove_database_files(&temp);
            Err(e)
        }
    }
}

/// `init --force` must not replace a database under a process that is writing to it (a run, a
/// REPL session): take the write lock once (waiting up to the busy timeout) and release it. A
/// file SQLite cannot open or lock otherwise (not a database) is replaced as asked.
fn refuse_if_in_use(path: &Path) -> Result<(), StoreError> {
    use rusqlite::{Connection, ErrorCode, OpenFlags};
    let Ok(conn) = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return Ok(());
    };
    conn.busy_timeout(crate::store::BUSY_TIMEOUT)
        .map_err(|e| StoreError::sqlite(path, e))?;
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ) =>
        {
            Err(StoreError::Busy(path.to_path_buf()))
        }
        _ => Ok(()),
    }
}

fn remove_database_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The database created.
    pub database: PathBuf,
    /// The temporary files of a killed `init` of this database that were removed.
    pub stale: Vec<PathBuf>,
    /// What the fixture loaded.
    pub loaded: LoadReport,
    /// True when the fixture had `parameters:` overrides, which `init` does not store.
    pub ignored_overrides: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tests::sample_company;

    fn ledger() -> Ledger {
        Ledger::new(Store::in_memory().unwrap(), sample_company().params).unwrap()
    }

    const GOOD: &str = r#"
parameters:
  minimum_reimbursement: 25.00
customers:
  - { account: C-001, name: Northwind Traders, currency: USD, vendor_account: V-100, payment_hold: false }
  - { account: C-002, name: Euro GmbH, currency: EUR, group: WHOLESALE }
vendors:
  - { account: V-100, name: Northwind Traders, currency: USD }
transactions:
  - { customer: C-001, date: 2026-10-01, type: invoice, document: INV-1, amount: 100.00 }
  - { customer: C-001, date: 2026-10-05, type: payment, document: PAY-7, amount: -150.00 }
  - { customer: C-002, date: 2026-10-05, type: credit_note, document: CN-1, amount: -20.10 }
settlements:
  - { customer: C-001, debit: INV-1, credit: PAY-7 }
"#;

    fn file() -> &'static Path {
        Path::new("f.yaml")
    }

    #[test]
    fn loads_and_trial_balance_is_zero() {
        let l = ledger();
        let data: Fixture = parse(file(), GOOD).unwrap();
        let r = load(&l, file(), &data).unwrap();
        assert_eq!(
            r,
            LoadReport {
                customers: 2,
                vendors: 1,
                transactions: 3,
                settlements: 1
            }
        );
        for total in l.trial_balance_totals().unwrap().values() {
            assert!(total.is_zero());
        }
        let b = l.balances(Side::Customer, "C-001").unwrap();
        assert_eq!(b[0].balance.to_string(), "-50.00");
        assert_eq!(b[0].open_debit.to_string(), "0.00");
        assert_eq!(b[0].open_credit.to_string(), "-50.00");
        let b = l.balances(Side::Customer, "C-002").unwrap();
        assert_eq!(
            (b[0].currency.as_str(), b[0].balance.to_string()),
            ("EUR", "-20.10".into())
        );
    }

    fn refused(text: &str) -> String {
        let l = ledger();
        let err = parse::<Fixture>(file(), text)
            .and_then(|data| load(&l, file(), &data).map(|_| ()))
            .unwrap_err()
            .to_string();
        let customers: i64 = l
            .store()
            .conn()
            .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(customers, 0, "nothing may be written: {err}");
        err
    }

    #[test]
    fn bad_entries_are_refused_with_file_entry_and_reason() {
        let e = refused(&GOOD.replace("customer: C-002, date", "customer: C-009, date"));
        assert_eq!(
            e,
            "f.yaml: transactions[2] (customer C-009): unknown customer 'C-009'"
        );
        let e = refused(&GOOD.replace("type: credit_note", "type: gift"));
        assert!(
            e.starts_with("f.yaml: transactions[2] (customer C-002): unknown type 'gift'"),
            "{e}"
        );
        let e = refused(&GOOD.replace("-20.10", "-20.105"));
        assert!(
            e.contains("transactions[2]") && e.contains("more decimals"),
            "{e}"
        );
        let e = refused(&GOOD.replace("currency: EUR, group", "currency: GBP, group"));
        assert_eq!(e, "f.yaml: customers[1] (C-002): unknown currency 'GBP'");
        let e = refused(&GOOD.replace("amount: -150.00", "amount: 150.00"));
        assert!(
            e.contains("a payment on a customer must be negative"),
            "{e}"
        );
        let e = refused(&GOOD.replace("credit: PAY-7", "credit: PAY-8"));
        assert!(e.contains("no transaction with document 'PAY-8'"), "{e}");
        let e = refused(&GOOD.replace("customers:", "customerz:"));
        assert!(e.contains("unknown field `customerz`"), "{e}");
        assert!(e.starts_with("f.yaml:"), "{e}");
    }
}
