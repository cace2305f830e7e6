//! Plain-text journal export: the general ledger, with the customer and vendor sub-ledgers as
//! accounts below their summary accounts, in the formats of the double-entry tools auditors use
//! (`ledger`/`hledger` journals and `beancount` files).
//!
//! [`write_journal`] streams the vouchers in date and number order through one SQL cursor (memory
//! stays flat whatever the size of the ledger; only the account names are held), inside one read
//! transaction, so the export is a consistent snapshot even while a run posts.
//!
//! # Account names
//! Every general-ledger account gets a name under one of the five roots both formats know, from its
//! role in the company parameters ([`AccountNames`]): receivables → `Assets:Receivables`, payables
//! → `Liabilities:Payables`, bank → `Assets:Bank`, opening balance → `Equity:Opening-Balances`.
//! Any other account is placed by the usual chart-of-accounts numbering (1 assets, 2 liabilities,
//! 3 equity, 4 income, 5–9 expenses, anything else equity) as `ROOT:GL-<number>`. A line on a
//! customer or vendor posts to a sub-account named after the customer or vendor account:
//! `Assets:Receivables:C-001`, `Liabilities:Payables:V-100`. Components follow beancount's rules
//! (the stricter of the two; both formats get the same names): ASCII letters, digits and `-`,
//! starting with an uppercase letter or a digit ([`component`]). Sanitizing can make two accounts
//! look alike (`C 1` and `C-1`); the export then fails with [`ExportError::NameCollision`] rather
//! than merge them.
//!
//! # Traceability
//! Each account is declared (`account` / `open`) with its general-ledger number (`gl-account`),
//! its customer or vendor and its name as metadata, so a tool can total by general-ledger account
//! (`hledger bal --pivot gl-account`). Each transaction carries its voucher number (the ledger
//! format's code, beancount's `voucher` metadata), the `run` that posted it and the
//! `reimbursement` it belongs to (the vendor invoice, or its payment).
//!
//! # Amounts
//! Exactly the stored integer minor units, written with the currency's decimals as recorded in
//! the database (`50.00 USD`, `500 JPY`, `1.250 KWD`): never rounded, never floating point.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::str::FromStr;

use chrono::NaiveDate;
use rusqlite::params;

use crate::ledger::{Ledger, LedgerError};
use crate::money::Currency;
use crate::parameters::PostingAccounts;
use crate::store::StoreError;

/// A journal format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The `ledger` / `hledger` journal format.
    Ledger,
    /// The `beancount` format (version 2 and 3 syntax).
    Beancount,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "ledger" | "hledger" => Ok(Format::Ledger),
            "beancount" => Ok(Format::Beancount),
            other => Err(format!(
                "unknown export format '{other}' (ledger, hledger or beancount)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Ledger => "ledger",
            Format::Beancount => "beancount",
        })
    }
}

/// An error of the export. Whatever was written before it is incomplete.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the books failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Writing the journal failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// The output file cannot be written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Two accounts would be exported under the same name.
    #[error(
        "accounts {first} and {second} would both be exported as '{name}' (names are sanitized for the journal format); rename one of them"
    )]
    NameCollision {
        /// The exported name.
        name: String,
        /// The first account (general-ledger account and customer or vendor).
        first: String,
        /// The second account.
        second: String,
    },
    /// A currency code that the format cannot write.
    #[error("currency '{code}' cannot be written in {format} format: {reason}")]
    Currency {
        /// The currency code.
        code: String,
        /// The format.
        format: Format,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The `from` date is after the `to` date.
    #[error("the export period is empty: --from {from} is after --to {to}")]
    EmptyPeriod {
        /// Start date.
        from: NaiveDate,
        /// End date.
        to: NaiveDate,
    },
}

impl From<ExportError> for crate::Error {
    /// Write errors stay I/O errors (so a closed pipe is not reported) and ledger errors stay
    /// ledger errors.
    fn from(e: ExportError) -> crate::Error {
        match e {
            ExportError::Io(e) => crate::Error::Io(e),
            ExportError::Ledger(e) => crate::Error::Ledger(e),
            other => crate::Error::Export(other),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    /// Vouchers (transactions) written.
    pub vouchers: usize,
    /// Voucher lines (postings) written.
    pub lines: usize,
    /// Accounts declared.
    pub accounts: usize,
    /// Date of the first voucher written.
    pub first: Option<NaiveDate>,
    /// Date of the last voucher written.
    pub last: Option<NaiveDate>,
}

/// A sub-ledger party of a voucher line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// A customer account.
    Customer(String),
    /// A vendor account.
    Vendor(String),
}

/// The key of an exported account: a general-ledger account, with the customer or vendor when the
/// line belongs to a sub-ledger.
pub type AccountKey = (String, Option<Party>);

fn describe(key: &AccountKey) -> String {
    match &key.1 {
        None => format!("general-ledger account '{}'", key.0),
        Some(Party::Customer(c)) => format!("customer '{c}' (on '{}')", key.0),
        Some(Party::Vendor(v)) => format!("vendor '{v}' (on '{}')", key.0),
    }
}

/// Sanitizes `text` into one account-name component valid in both formats: ASCII letters, digits
/// and `-`, starting with an uppercase letter or a digit. Other characters become `-`; a leading
/// lowercase letter is capitalized; a component that would start with anything else (or be empty)
/// gets an `X` in front.
pub fn component(text: &str) -> String {
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    match out.chars().next() {
        Some(c) if c.is_ascii_uppercase() || c.is_ascii_digit() => {}
        Some(c) if c.is_ascii_lowercase() => {
            out.replace_range(..1, &c.to_ascii_uppercase().to_string());
        }
        _ => out.insert(0, 'X'),
    }
    out
}

/// Maps general-ledger accounts (and their customer and vendor sub-accounts) to journal account
/// names, from the posting accounts of the company parameters.
#[derive(Debug, Clone)]
pub struct AccountNames {
    roles: HashMap<String, &'static str>,
}

impl AccountNames {
    /// The naming for a company's posting accounts.
    pub fn new(accounts: &PostingAccounts) -> AccountNames {
        let mut roles = HashMap::new();
        // The first role wins if one account has two.
        for (account, name) in [
            (&accounts.receivables, "Assets:Receivables"),
            (&accounts.payables, "Liabilities:Payables"),
            (&accounts.bank, "Assets:Bank"),
            (&accounts.opening_balance, "Equity:Opening-Balances"),
            (
                &accounts.import_counter().to_string(),
                "Equity:Imported-Balances",
            ),
        ] {
            roles.entry(account.clone()).or_insert(name);
        }
        AccountNames { roles }
    }

    /// The name of a general-ledger account.
    pub fn gl(&self, account: &str) -> String {
        if let Some(name) = self.roles.get(account) {
            return name.to_string();
        }
        let root = match account.trim().chars().next() {
            Some('1') => "Assets",
            Some('2') => "Liabilities",
            Some('3') => "Equity",
            Some('4') => "Income",
            Some('5'..='9') => "Expenses",
            _ => "Equity",
        };
        format!("{root}:GL-{}", component(account).trim_start_matches('X'))
    }

    /// The name of an account: the general-ledger account, or its customer or vendor sub-account.
    pub fn name(&self, key: &AccountKey) -> String {
        let base = self.gl(&key.0);
        match &key.1 {
            None => base,
            Some(Party::Customer(p)) | Some(Party::Vendor(p)) => format!("{base}:{}", component(p)),
        }
    }
}

/// Checks a currency code for the format and returns how the format writes it.
fn commodity(code: &str, format: Format) -> Result<String, ExportError> {
    let err = |reason| ExportError::Currency {
        code: code.to_string(),
        format,
        reason,
    };
    match format {
        Format::Beancount => {
            // [A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]
            let chars: Vec<char> = code.chars().collect();
            let upper_or_digit = |c: &char| c.is_ascii_uppercase() || c.is_ascii_digit();
            let ok = (2..=24).contains(&chars.len())
                && chars.first().is_some_and(char::is_ascii_uppercase)
                && chars.last().is_some_and(upper_or_digit)
                && chars
                    .iter()
                    .all(|c| upper_or_digit(c) || "'._-".contains(*c));
            if ok {
                Ok(code.to_string())
            } else {
                Err(err(
                    "beancount commodities are 2 to 24 characters: uppercase letters, digits and ' . _ -, starting with a letter and ending with a letter or digit",
                ))
            }
        }
        Format::Ledger => {
            if code.is_empty() || code.contains(['"', '\n', '\r']) {
                Err(err("empty, or contains a quote or a line break"))
            } else if code.chars().all(|c| c.is_alphabetic()) {
                Ok(code.to_string())
            } else {
                Ok(format!("\"{code}\""))
            }
        }
    }
}

/// Free text on one line (descriptions, names in comments).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A beancount string literal.
fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        one_line(text).replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// An amount of `minor` units of `currency`, exact, with the currency's decimals.
pub fn amount_text(currency: &Currency, minor: i64) -> String {
    currency.from_minor(minor).to_string()
}

struct Line {
    key: AccountKey,
    currency: String,
    minor: i64,
}

struct Voucher {
    number: String,
    date: String,
    description: String,
    run: Option<i64>,
    run_kind: Option<String>,
    reimbursements: Option<String>,
    lines: Vec<Line>,
}

/// A stable 64-bit hash of an account name.
fn name_hash(name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

/// The account other than `key`, used in the period, whose journal name is `name` (the slow
/// path of a name seen twice).
fn account_named(
    conn: &rusqlite::Connection,
    names: &AccountNames,
    from: &str,
    to: &str,
    name: &str,
    key: &AccountKey,
) -> rusqlite::Result<Option<AccountKey>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT l.account, l.customer, l.vendor
         FROM voucher_lines l JOIN vouchers v ON v.id = l.voucher_id
         WHERE v.date >= ?1 AND v.date <= ?2
         ORDER BY l.account, l.customer, l.vendor",
    )?;
    let mut rows = stmt.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        let gl: String = r.get(0)?;
        let party = match (
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ) {
            (Some(c), _) => Some(Party::Customer(c)),
            (None, Some(v)) => Some(Party::Vendor(v)),
            (None, None) => None,
        };
        for candidate in [(gl.clone(), None), (gl, party)] {
            if candidate != *key && names.name(&candidate) == name {
                return Ok(Some(candidate));
            }
        }
    }
    Ok(None)
}

/// The lower and upper bound of the period as SQL text (inclusive), checked.
fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(String, String), ExportError> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ExportError::EmptyPeriod { from, to });
    }
    Ok((
        from.map(|d| d.to_string()).unwrap_or_default(),
        to.map(|d| d.to_string())
            .unwrap_or_else(|| "9999-12-31".into()),
    ))
}

/// Writes the general ledger (and the customer and vendor sub-ledgers as sub-accounts) as a
/// plain-text journal in `format`: every voucher dated within `from`..=`to` (both optional,
/// inclusive), in date and number order, with its lines; the accounts and currencies they use are
/// declared first. Returns what was written.
pub fn write_journal(
    ledger: &Ledger,
    format: Format,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<ExportSummary, ExportError> {
    let (from_text, to_text) = period(from, to)?;
    let store = ledger.store();
    let conn = store.conn();
    let sql = |e| ExportError::Ledger(LedgerError::Store(StoreError::sqlite(store.path(), e)));
    // One read transaction: the declarations and the vouchers come from the same snapshot.
    let snapshot = if conn.is_autocommit() {
        Some(conn.unchecked_transaction().map_err(sql)?)
    } else {
        None
    };

    let mut currencies: BTreeMap<String, (Currency, String)> = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT code, decimals FROM currencies ORDER BY code")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let code: String = r.get(0).map_err(sql)?;
            let decimals: u32 = r.get(1).map_err(sql)?;
            let symbol = commodity(&code, format)?;
            currencies.insert(code.clone(), (Currency::new(&code, decimals), symbol));
        }
    }

    write_header(ledger, format, from, to, out)?;
    // The general-ledger accounts used in the period (a handful), with their first use.
    let mut gl_accounts: HashMap<String, (String, String)> = HashMap::new();
    let mut first_date: Option<String> = None;
    {
        let mut stmt = conn
            .prepare(
                "SELECT l.account, a.name, MIN(v.date)
                 FROM voucher_lines l
                 JOIN vouchers v ON v.id = l.voucher_id
                 JOIN gl_accounts a ON a.account = l.account
                 WHERE v.date >= ?1 AND v.date <= ?2
                 GROUP BY l.account",
            )
            .map_err(sql)?;
        let mut rows = stmt.query(params![from_text, to_text]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let date: String = r.get(2).map_err(sql)?;
            if first_date.as_ref().is_none_or(|d| date < *d) {
                first_date = Some(date.clone());
            }
            gl_accounts.insert(r.get(0).map_err(sql)?, (r.get(1).map_err(sql)?, date));
        }
    }
    match format {
        Format::Ledger => {
            for (currency, symbol) in currencies.values() {
                writeln!(out, "commodity {symbol}")?;
                writeln!(out, "    format 1000{} {symbol}", decimals_text(currency))?;
            }
            writeln!(out)?;
            for tag in ["run", "run-kind", "reimbursement"] {
                writeln!(out, "tag {tag}")?;
            }
            writeln!(out)?;
        }
        Format::Beancount => {
            if let Some(date) = &first_date {
                for (_, symbol) in currencies.values() {
                    writeln!(out, "{date} commodity {symbol}")?;
                }
                writeln!(out)?;
            }
        }
    }

    // Every account used in the period, declared as it streams by, each general-ledger account
    // followed by its customer or vendor sub-accounts. Only a hash of each name is kept (8 bytes
    // an account), to catch two accounts that sanitize to the same name and to check each
    // posting's account.
    let names = AccountNames::new(&ledger.params().accounts);
    let mut declared: HashSet<u64> = HashSet::new();
    let mut count = 0;
    let mut width = 0;
    {
        let mut stmt = conn
            .prepare(
                "SELECT l.account, l.customer, c.name, l.vendor, w.name, MIN(v.date)
                 FROM voucher_lines l
                 JOIN vouchers v ON v.id = l.voucher_id
                 LEFT JOIN customers c ON c.account = l.customer
                 LEFT JOIN vendors w ON w.account = l.vendor
                 WHERE v.date >= ?1 AND v.date <= ?2
                 GROUP BY l.account, l.customer, l.vendor
                 ORDER BY l.account, l.customer, l.vendor",
            )
            .map_err(sql)?;
        let mut rows = stmt.query(params![from_text, to_text]).map_err(sql)?;
        let mut declare =
            |key: AccountKey, name: Option<&str>, date: &str| -> Result<(), ExportError> {
                let account = names.name(&key);
                if !declared.insert(name_hash(&account)) {
                    // Seen before, or a hash collision: look for the other account.
                    let other = account_named(conn, &names, &from_text, &to_text, &account, &key)
                        .map_err(sql)?;
                    if let Some(other) = other {
                        return Err(ExportError::NameCollision {
                            name: account,
                            first: describe(&other),
                            second: describe(&key),
                        });
                    }
                }
                let tags = account_tags(&key, name);
                match format {
                    Format::Ledger => {
                        writeln!(out, "account {account}")?;
                        for (tag, value) in tags {
                            writeln!(out, "    ; {tag}: {}", one_line(value))?;
                        }
                    }
                    Format::Beancount => {
                        writeln!(out, "{date} open {account}")?;
                        for (tag, value) in tags {
                            writeln!(out, "  {tag}: {}", quoted(value))?;
                        }
                    }
                }
                width = width.max(account.len());
                count += 1;
                Ok(())
            };
        let mut current_gl: Option<String> = None;
        while let Some(r) = rows.next().map_err(sql)? {
            let gl: String = r.get(0).map_err(sql)?;
            if current_gl.as_ref() != Some(&gl) {
                // The summary account first, as the parent of its sub-accounts.
                let (gl_name, gl_date) = gl_accounts.get(&gl).ok_or_else(|| {
                    LedgerError::Invalid(format!(
                        "general-ledger account '{gl}' changed during the export"
                    ))
                })?;
                declare((gl.clone(), None), Some(gl_name), gl_date)?;
                current_gl = Some(gl.clone());
            }
            let customer: Option<String> = r.get(1).map_err(sql)?;
            let vendor: Option<String> = r.get(3).map_err(sql)?;
            let (party, name): (Party, Option<String>) = match (customer, vendor) {
                (Some(c), _) => (Party::Customer(c), r.get(2).map_err(sql)?),
                (None, Some(v)) => (Party::Vendor(v), r.get(4).map_err(sql)?),
                (None, None) => continue,
            };
            let date: String = r.get(5).map_err(sql)?;
            declare((gl, Some(party)), name.as_deref(), &date)?;
        }
    }
    let mut summary = ExportSummary {
        accounts: count,
        ..ExportSummary::default()
    };

    // The vouchers: one cursor over their lines in date, number and line order.
    let mut stmt = conn
        .prepare(
            "SELECT v.id, v.number, v.date, v.description, v.run_id, runs.kind, r.ids,
                    l.account, l.customer, l.vendor, l.currency, l.amount_minor
             FROM vouchers v
             JOIN voucher_lines l ON l.voucher_id = v.id
             LEFT JOIN runs ON runs.id = v.run_id
             LEFT JOIN (
                 SELECT voucher, group_concat(id, ',') AS ids FROM (
                     SELECT id, voucher_id AS voucher FROM reimbursements
                     UNION ALL
                     SELECT id, payment_voucher_id FROM reimbursements
                     WHERE payment_voucher_id IS NOT NULL
                     ORDER BY 1
                 ) GROUP BY voucher
             ) r ON r.voucher = v.id
             WHERE v.date >= ?1 AND v.date <= ?2
             ORDER BY v.date, v.number, l.id",
        )
        .map_err(sql)?;
    let mut rows = stmt.query(params![from_text, to_text]).map_err(sql)?;
    let mut current: Option<(i64, Voucher)> = None;
    let mut write = |voucher: &Voucher, summary: &mut ExportSummary| -> Result<(), ExportError> {
        write_voucher(format, voucher, &names, &declared, &currencies, width, out)?;
        summary.vouchers += 1;
        summary.lines += voucher.lines.len();
        let date = voucher.date.parse().ok();
        if summary.first.is_none() {
            summary.first = date;
        }
        summary.last = date;
        Ok(())
    };
    while let Some(r) = rows.next().map_err(sql)? {
        let id: i64 = r.get(0).map_err(sql)?;
        if current
            .as_ref()
            .is_none_or(|(current_id, _)| *current_id != id)
        {
            if let Some((_, voucher)) = current.take() {
                write(&voucher, &mut summary)?;
            }
            current = Some((
                id,
                Voucher {
                    number: r.get(1).map_err(sql)?,
                    date: r.get(2).map_err(sql)?,
                    description: r.get(3).map_err(sql)?,
                    run: r.get(4).map_err(sql)?,
                    run_kind: r.get(5).map_err(sql)?,
                    reimbursements: r.get(6).map_err(sql)?,
                    lines: Vec::new(),
                },
            ));
        }
        let customer: Option<String> = r.get(8).map_err(sql)?;
        let vendor: Option<String> = r.get(9).map_err(sql)?;
        let party = match (customer, vendor) {
            (Some(c), _) => Some(Party::Customer(c)),
            (None, Some(v)) => Some(Party::Vendor(v)),
            (None, None) => None,
        };
        if let Some((_, voucher)) = current.as_mut() {
            voucher.lines.push(Line {
                key: (r.get(7).map_err(sql)?, party),
                currency: r.get(10).map_err(sql)?,
                minor: r.get(11).map_err(sql)?,
            });
        }
    }
    if let Some((_, voucher)) = current.take() {
        write(&voucher, &mut summary)?;
    }
    drop(rows);
    drop(stmt);
    if let Some(tx) = snapshot {
        tx.rollback().map_err(sql)?;
    }
    out.flush()?;
    Ok(summary)
}

/// [`write_journal`] into the file at `path`: written beside it under a temporary name, then
/// renamed, so the file is either the complete export or left as it was.
pub fn write_journal_file(
    ledger: &Ledger,
    format: Format,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    path: &std::path::Path,
) -> Result<ExportSummary, ExportError> {
    let file_err = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| file_err(std::io::ErrorKind::InvalidInput.into()))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(name);
    partial_name.push(format!(".{}.partial", std::process::id()));
    let partial = path.with_file_name(partial_name);
    let result = (|| {
        // A new file, never one already there under this name (a killed export's is removed
        // first; a symbolic link there is removed, not followed).
        let _ = std::fs::remove_file(&partial);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(file_err)?;
        let mut w = std::io::BufWriter::new(file);
        let summary = match write_journal(ledger, format, from, to, &mut w) {
            Err(ExportError::Io(e)) => return Err(file_err(e)),
            other => other?,
        };
        let file = w.into_inner().map_err(|e| file_err(e.into_error()))?;
        file.sync_all().map_err(file_err)?;
        std::fs::rename(&partial, path).map_err(file_err)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn decimals_text(currency: &Currency) -> String {
    if currency.decimals == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(currency.decimals as usize))
    }
}

/// The metadata of an account: its general-ledger account, customer or vendor, and name.
fn account_tags<'a>(key: &'a AccountKey, name: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut tags = vec![("gl-account", key.0.as_str())];
    match &key.1 {
        None => {}
        Some(Party::Customer(c)) => tags.push(("customer", c)),
        Some(Party::Vendor(v)) => tags.push(("vendor", v)),
    }
    if let Some(name) = name {
        tags.push(("name", name));
    }
    tags
}

/// Whether `head`, the beginning of a file, is a journal that `reimburse export --format
/// format` wrote (its second line, as [`write_header`] writes it): such a file may be replaced by
/// a new export without `--force`.
pub fn is_export(head: &str, format: Format) -> bool {
    let mut lines = head.lines();
    let (Some(first), Some(second)) = (lines.next(), lines.next()) else {
        return false;
    };
    first.starts_with("; ")
        && second.starts_with("; Written by reimburse ")
        && second.ends_with(&format!("(`reimburse export --format {format}`)."))
}

fn write_header(
    ledger: &Ledger,
    format: Format,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let params = ledger.params();
    let period = match (from, to) {
        (None, None) => "all vouchers".to_string(),
        (Some(f), None) => format!("vouchers from {f}"),
        (None, Some(t)) => format!("vouchers to {t}"),
        (Some(f), Some(t)) => format!("vouchers from {f} to {t}"),
    };
    // `;` starts a comment line in both formats.
    writeln!(
        out,
        "; {} ({}): general ledger with customer and vendor sub-ledgers, {period}.",
        one_line(&params.company.name),
        one_line(&params.company.id)
    )?;
    writeln!(
        out,
        "; Written by reimburse {} (`reimburse export --format {format}`).",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out)?;
    if format == Format::Beancount {
        writeln!(out, "option \"title\" {}", quoted(&params.company.name))?;
        if let Ok(symbol) = commodity(&params.accounting_currency, format) {
            writeln!(out, "option \"operating_currency\" \"{symbol}\"")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_voucher(
    format: Format,
    v: &Voucher,
    names: &AccountNames,
    declared: &HashSet<u64>,
    currencies: &BTreeMap<String, (Currency, String)>,
    width: usize,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    writeln!(out)?;
    match format {
        Format::Ledger => {
            // `;` would start a comment and `)` would end the code.
            writeln!(
                out,
                "{} ({}) {}",
                v.date,
                one_line(&v.number).replace(')', "]"),
                one_line(&v.description).replace(';', ",")
            )?;
            if let Some(run) = v.run {
                writeln!(out, "    ; run: {run}")?;
                if let Some(kind) = &v.run_kind {
                    writeln!(out, "    ; run-kind: {}", one_line(kind))?;
                }
            }
            if let Some(ids) = &v.reimbursements {
                writeln!(out, "    ; reimbursement: {ids}")?;
            }
        }
        Format::Beancount => {
            writeln!(out, "{} * {}", v.date, quoted(&v.description))?;
            writeln!(out, "  voucher: {}", quoted(&v.number))?;
            if let Some(run) = v.run {
                writeln!(out, "  run: {run}")?;
                if let Some(kind) = &v.run_kind {
                    writeln!(out, "  run-kind: {}", quoted(kind))?;
                }
            }
            match v.reimbursements.as_deref() {
                Some(id) if !id.contains(',') => writeln!(out, "  reimbursement: {id}")?,
                Some(ids) => writeln!(out, "  reimbursement: {}", quoted(ids))?,
                None => {}
            }
        }
    }
    let indent = if format == Format::Ledger {
        "    "
    } else {
        "  "
    };
    for line in &v.lines {
        let account = names.name(&line.key);
        if !declared.contains(&name_hash(&account)) {
            return Err(LedgerError::Invalid(format!(
                "voucher {}: {} changed during the export",
                v.number,
                describe(&line.key)
            ))
            .into());
        }
        let (currency, symbol) =
            currencies
                .get(&line.currency)
                .ok_or_else(|| LedgerError::NotFound {
                    what: "currency",
                    key: line.currency.clone(),
                })?;
        let amount = amount_text(currency, line.minor);
        // Two spaces at least between the account and the amount; amounts right-aligned.
        writeln!(out, "{indent}{account:<width$}  {amount:>16} {symbol}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{LineDraft, Target, VoucherDraft};
    use crate::store::Store;

    fn names() -> AccountNames {
        AccountNames::new(&PostingAccounts {
            receivables: "1200".into(),
            payables: "2000".into(),
            bank: "1010".into(),
            opening_balance: "3999".into(),
            import: None,
        })
    }

    #[test]
    fn components_are_valid_for_both_formats() {
        assert_eq!(component("C-001"), "C-001");
        assert_eq!(component("1200"), "1200");
        assert_eq!(component("c 001"), "C-001");
        assert_eq!(component("C_001/é"), "C-001--");
        assert_eq!(component("_x"), "X-x");
        assert_eq!(component(""), "X");
        assert_eq!(component("-1"), "X-1");
        assert_eq!(component("Ünïcode"), "X-n-code");
        for text in ["a", "C:1", "x y", "  ", "9", "ÅB", "--", "(1)"] {
            let c = component(text);
            let mut chars = c.chars();
            let first = chars.next().unwrap();
            assert!(
                first.is_ascii_uppercase() || first.is_ascii_digit(),
                "{text:?} -> {c:?}"
            );
            assert!(
                chars.all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{text:?} -> {c:?}"
            );
        }
    }

    #[test]
    fn accounts_are_named_by_role_then_by_number() {
        let n = names();
        assert_eq!(n.gl("1200"), "Assets:Receivables");
        assert_eq!(n.gl("2000"), "Liabilities:Payables");
        assert_eq!(n.gl("1010"), "Assets:Bank");
        assert_eq!(n.gl("3999"), "Equity:Opening-Balances");
        assert_eq!(n.gl("1500"), "Assets:GL-1500");
        assert_eq!(n.gl("2100"), "Liabilities:GL-2100");
        assert_eq!(n.gl("4000"), "Income:GL-4000");
        assert_eq!(n.gl("6100"), "Expenses:GL-6100");
        assert_eq!(n.gl("misc"), "Equity:GL-Misc");
        assert_eq!(
            n.name(&("1200".into(), Some(Party::Customer("C-001".into())))),
            "Assets:Receivables:C-001"
        );
        assert_eq!(
            n.name(&("2000".into(), Some(Party::Vendor("otv 7".into())))),
            "Liabilities:Payables:Otv-7"
        );
    }

    #[test]
    fn currency_codes_are_checked_per_format() {
        assert_eq!(commodity("USD", Format::Beancount).unwrap(), "USD");
        assert_eq!(commodity("X1", Format::Beancount).unwrap(), "X1");
        assert!(commodity("usd", Format::Beancount).is_err());
        assert!(commodity("U", Format::Beancount).is_err());
        assert!(commodity("1US", Format::Beancount).is_err());
        assert_eq!(commodity("USD", Format::Ledger).unwrap(), "USD");
        assert_eq!(commodity("X1", Format::Ledger).unwrap(), "\"X1\"");
        assert!(commodity("A\"B", Format::Ledger).is_err());
    }

    #[test]
    fn amounts_are_exact_in_their_currencies_decimals() {
        let jpy = Currency::new("JPY", 0);
        let kwd = Currency::new("KWD", 3);
        let usd = Currency::new("USD", 2);
        assert_eq!(amount_text(&jpy, 500), "500");
        assert_eq!(amount_text(&jpy, -1), "-1");
        assert_eq!(amount_text(&kwd, 1250), "1.250");
        assert_eq!(amount_text(&kwd, -1), "-0.001");
        assert_eq!(amount_text(&usd, 5), "0.05");
        assert_eq!(amount_text(&usd, -5000), "-50.00");
        assert_eq!(
            amount_text(&usd, i64::MAX),
            "92233720368547758.07",
            "no floating point"
        );
        assert_eq!(decimals_text(&jpy), "");
        assert_eq!(decimals_text(&kwd), ".000");
    }

    const PARAMS: &str = r#"
company: { id: T, name: "Test; \"Co\"" }
accounting_currency: USD
currencies: { USD: { decimals: 2 }, JPY: { decimals: 0 }, KWD: { decimals: 3 } }
exchange_rates: { JPY: 0.0067, KWD: 3.25 }
minimum_reimbursement: 25.00
accounts: { receivables: "1200", payables: "2000", bank: "1000", opening_balance: "3999" }
one_time_vendor: { group: ONETIME, sequence: { prefix: OTV-, width: 4 } }
sequences:
  reimbursement: { prefix: RMB-, width: 6 }
  vendor_invoice: { prefix: VI-, width: 6 }
  payment: { prefix: PAY-, width: 6 }
  opening: { prefix: OPN-, width: 6 }
database: test.db
rules: reimburse.rhai
"#;

    fn ledger(customers: &[&str]) -> Ledger {
        let company =
            crate::parameters::Company::from_yaml(std::path::Path::new("c.yaml"), PARAMS).unwrap();
        let l = Ledger::new(Store::in_memory().unwrap(), company.params).unwrap();
        for c in customers {
            l.create_customer(&crate::ledger::tests::customer(
                c,
                &format!("Customer {c}, Inc"),
            ))
            .unwrap();
        }
        l
    }

    fn post(l: &Ledger, date: &str, customer: &str, currency: &str, amount: &str) {
        let d = crate::money::parse_decimal(amount).unwrap();
        l.post_voucher(&VoucherDraft {
            sequence: "opening".into(),
            date: date.parse().unwrap(),
            description: "Opening; \"quoted\" line".into(),
            lines: vec![
                LineDraft {
                    target: Target::Customer(customer.into()),
                    currency: currency.into(),
                    amount: d,
                    document: None,
                    kind: None,
                },
                LineDraft {
                    target: Target::Account("3999".into()),
                    currency: currency.into(),
                    amount: -d,
                    document: None,
                    kind: None,
                },
            ],
        })
        .unwrap();
        // The ledger refuses a line break in a description; one written by an older version
        // must still come out on one line.
        l.store()
            .conn()
            .execute(
                "UPDATE vouchers SET description = 'Opening; \"quoted\"' || char(10) || 'line'",
                [],
            )
            .unwrap();
    }

    fn export(l: &Ledger, format: Format, from: Option<&str>, to: Option<&str>) -> String {
        let mut out = Vec::new();
        write_journal(
            l,
            format,
            from.map(|d| d.parse().unwrap()),
            to.map(|d| d.parse().unwrap()),
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The posting lines (indented by `indent`, not metadata), with their spaces collapsed; checks
    /// that at least two spaces separate the account from the amount.
    fn postings(text: &str, indent: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(indent))
            .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
            .map(|l| {
                let (account, amount) = l.split_once("  ").expect("two spaces before the amount");
                assert!(!account.contains(' '), "{l}");
                format!(
                    "{account} {}",
                    amount.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect()
    }

    #[test]
    fn exports_exact_amounts_in_both_formats() {
        let l = ledger(&["C-1"]);
        post(&l, "2026-10-02", "C-1", "JPY", "-500");
        post(&l, "2026-10-01", "C-1", "KWD", "1.250");
        post(&l, "2026-10-03", "C-1", "USD", "0.05");
        let text = export(&l, Format::Ledger, None, None);
        assert!(
            text.contains("commodity JPY\n    format 1000 JPY\n"),
            "{text}"
        );
        assert!(text.contains("    format 1000.000 KWD\n"), "{text}");
        assert!(
            text.contains("account Assets:Receivables:C-1\n    ; gl-account: 1200\n    ; customer: C-1\n    ; name: Customer C-1, Inc\n"),
            "{text}"
        );
        // In date order, whatever the posting order; `;` and line breaks are kept out.
        let kwd = text
            .find("2026-10-01 (OPN-000002) Opening, \"quoted\" line\n")
            .unwrap();
        let jpy = text.find("2026-10-02 (OPN-000001)").unwrap();
        assert!(kwd < jpy, "{text}");
        let lines = postings(&text, "    ");
        for posting in [
            "Assets:Receivables:C-1 -500 JPY",
            "Equity:Opening-Balances 500 JPY",
            "Assets:Receivables:C-1 1.250 KWD",
            "Equity:Opening-Balances -1.250 KWD",
            "Assets:Receivables:C-1 0.05 USD",
            "Equity:Opening-Balances -0.05 USD",
        ] {
            assert!(lines.contains(&posting.to_string()), "{posting}: {lines:?}");
        }

        let bean = export(&l, Format::Beancount, None, None);
        assert!(
            bean.contains("option \"title\" \"Test; \\\"Co\\\"\"\n"),
            "{bean}"
        );
        assert!(
            bean.contains("option \"operating_currency\" \"USD\"\n"),
            "{bean}"
        );
        assert!(bean.contains("2026-10-01 commodity JPY\n"), "{bean}");
        assert!(
            bean.contains("2026-10-01 open Assets:Receivables:C-1\n  gl-account: \"1200\"\n  customer: \"C-1\"\n"),
            "{bean}"
        );
        assert!(
            bean.contains("2026-10-01 * \"Opening; \\\"quoted\\\" line\"\n  voucher: \"OPN-000002\"\n  Assets:Receivables:C-1 "),
            "{bean}"
        );
        let lines = postings(&bean, "  ");
        assert!(
            lines.contains(&"Assets:Receivables:C-1 -500 JPY".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"Equity:Opening-Balances -1.250 KWD".to_string()),
            "{lines:?}"
        );
        assert_eq!(lines.len(), 6, "{lines:?}");
    }

    #[test]
    fn exports_only_the_period() {
        let l = ledger(&["C-1", "C-2"]);
        post(&l, "2026-10-01", "C-1", "USD", "1.00");
        post(&l, "2026-10-15", "C-2", "USD", "2.00");
        post(&l, "2026-10-31", "C-1", "USD", "3.00");
        let text = export(
            &l,
            Format::Beancount,
            Some("2026-10-02"),
            Some("2026-10-31"),
        );
        assert!(!text.contains("2026-10-01"), "{text}");
        assert!(
            text.contains("2026-10-15 open Assets:Receivables:C-2\n"),
            "{text}"
        );
        assert!(
            text.contains("2026-10-31 open Assets:Receivables:C-1\n"),
            "{text}"
        );
        assert_eq!(text.matches(" * ").count(), 2, "{text}");
        let empty = export(&l, Format::Ledger, Some("2027-01-01"), None);
        assert!(!empty.contains("account "), "{empty}");
        let err = write_journal(
            &l,
            Format::Ledger,
            "2026-10-02".parse().ok(),
            "2026-10-01".parse().ok(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("period is empty"), "{err}");
    }

    #[test]
    fn colliding_names_fail_clearly() {
        let l = ledger(&["C 1", "C-1"]);
        post(&l, "2026-10-01", "C 1", "USD", "1.00");
        post(&l, "2026-10-01", "C-1", "USD", "2.00");
        let err = write_journal(&l, Format::Ledger, None, None, &mut Vec::new()).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, ExportError::NameCollision { name, .. } if name == "Assets:Receivables:C-1"),
            "{text}"
        );
        assert!(
            text.contains("customer 'C 1'") && text.contains("customer 'C-1'"),
            "{text}"
        );
    }
}
