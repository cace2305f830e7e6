//! Company parameters: one YAML file per company, validated on load.
//!
//! All YAML handling of the parameters lives here (and in [`crate::fixtures`] for fixture ledgers)
//! so that `serde_yaml` could be swapped for a fork in one place. Decimal values are read from their
//! text ([`crate::money::exact`]), never through `f64`. Every error names the file, the line and
//! column where known, and the key path (`accounts.bank`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::money::{self, Currency, MAX_DECIMALS, Rounding};

/// An error in a YAML file (company parameters or fixture ledger).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct YamlError {
    /// The file the error is in.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The key path, e.g. `accounts.bank` (empty for the whole file).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}

/// Company identification.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CompanyInfo {
    /// Short company id, e.g. `CONTOSO`.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A currency's settings in the parameters.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CurrencySettings {
    /// Number of decimals (0 to 6).
    pub decimals: u32,
    /// Rounding rule; default half away from zero.
    #[serde(default)]
    pub rounding: Rounding,
}

/// General-ledger posting accounts.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PostingAccounts {
    /// Receivables summary account (customer sub-ledger total).
    pub receivables: String,
    /// Payables summary account (vendor sub-ledger total).
    pub payables: String,
    /// Bank account that pays vendor invoices.
    pub bank: String,
    /// Counter account for opening balances loaded from fixtures.
    pub opening_balance: String,
    /// Counter account of the transactions `reimburse import` posts (default: `opening_balance`).
    #[serde(default)]
    pub import: Option<String>,
}

impl PostingAccounts {
    /// All accounts with a short name for each (the import account when it has one of its own).
    pub fn all(&self) -> Vec<(&str, &str)> {
        let mut all = vec![
            (self.receivables.as_str(), "Receivables summary"),
            (self.payables.as_str(), "Payables summary"),
            (self.bank.as_str(), "Bank"),
            (self.opening_balance.as_str(), "Opening balances"),
        ];
        if let Some(import) = self.import.as_deref()
            && import != self.opening_balance
        {
            all.push((import, "Imported balances"));
        }
        all
    }

    /// The counter account of imported transactions.
    pub fn import_counter(&self) -> &str {
        self.import.as_deref().unwrap_or(&self.opening_balance)
    }
}

/// A number sequence: numbers are `prefix` followed by the counter padded to `width` digits.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SequenceSettings {
    /// Text before the number, e.g. `RMB-`.
    pub prefix: String,
    /// Minimum number of digits (1 to 18), zero-padded.
    pub width: u32,
}

/// Settings for vendors created automatically for customers without a vendor account.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OneTimeVendorSettings {
    /// Vendor group of one-time vendors.
    pub group: String,
    /// Number sequence of one-time vendor accounts.
    pub sequence: SequenceSettings,
    /// Link the new vendor back to the customer so the next run reuses it (default true).
    #[serde(default = "yes")]
    pub link_to_customer: bool,
    /// Default payment terms of new one-time vendors.
    #[serde(default)]
    pub payment_terms: Option<String>,
    /// Default method of payment of new one-time vendors.
    #[serde(default)]
    pub method_of_payment: Option<String>,
}

fn yes() -> bool {
    true
}

/// Voucher number sequences.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VoucherSequences {
    /// Reimbursement vouchers (vendor invoices posted by a run).
    pub reimbursement: SequenceSettings,
    /// Vendor invoice numbers.
    pub vendor_invoice: SequenceSettings,
    /// Payment vouchers.
    pub payment: SequenceSettings,
    /// Opening-balance vouchers written when a fixture is loaded.
    pub opening: SequenceSettings,
    /// Vouchers of imported transactions (default: the `opening` sequence).
    #[serde(default)]
    pub import: Option<SequenceSettings>,
}

impl VoucherSequences {
    /// Every sequence with its name in the database (`import` when it has one of its own).
    pub fn all(&self) -> Vec<(&'static str, &SequenceSettings)> {
        let mut all = vec![
            ("reimbursement", &self.reimbursement),
            ("vendor_invoice", &self.vendor_invoice),
            ("payment", &self.payment),
            ("opening", &self.opening),
        ];
        if let Some(import) = &self.import {
            all.push(("import", import));
        }
        all
    }

    /// The name of the sequence that numbers imported transactions' vouchers.
    pub fn import_sequence(&self) -> &'static str {
        if self.import.is_some() {
            "import"
        } else {
            "opening"
        }
    }
}

/// How open debits (unpaid invoices beside the credits) count for reimbursement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenDebits {
    /// Open debits are settled against the credits first; the remaining credit is reimbursed.
    #[default]
    Net,
    /// A customer with any open debit is not reimbursed.
    Skip,
    /// Every open credit is reimbursed in full; the open debits stay open.
    Ignore,
}

impl OpenDebits {
    /// The parameter's text (`net`, `skip`, `ignore`).
    pub fn as_str(self) -> &'static str {
        match self {
            OpenDebits::Net => "net",
            OpenDebits::Skip => "skip",
            OpenDebits::Ignore => "ignore",
        }
    }
}

/// The most `limits.max_call_levels` and `limits.max_expr_depth` may be.
pub const MAX_NESTING: usize = 100;

/// Limits of the rule scripts' sandbox. Every limit is explicit so that debug and release builds
/// behave the same.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptLimits {
    /// Operations one hook call (or one script) may execute.
    pub max_operations: u64,
    /// Nesting of function calls.
    pub max_call_levels: usize,
    /// Nesting of expressions.
    pub max_expr_depth: usize,
    /// Length of a string, in bytes.
    pub max_string_size: usize,
    /// Length of an array.
    pub max_array_size: usize,
    /// Entries of an object map.
    pub max_map_size: usize,
    /// Modules a script may import.
    pub max_modules: usize,
    /// Memory a script may allocate (net, while it runs), in MiB; enforced when the program
    /// installs [`crate::scripting::ScriptMemory`] as its global allocator (the binary does).
    pub max_memory_mb: usize,
    /// Wall-clock seconds one evaluation (a hook call, a script, a REPL entry, `--where` for one
    /// customer) may take.
    pub max_seconds: u64,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 64 * 1024,
            max_array_size: 100_000,
            max_map_size: 10_000,
            max_modules: 16,
            max_memory_mb: 256,
            max_seconds: 60,
        }
    }
}

/// The company parameters, as written in the company YAML.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// Company id and name.
    pub company: CompanyInfo,
    /// The accounting currency; the minimum reimbursement is in it.
    pub accounting_currency: String,
    /// Currencies the company uses, by code.
    pub currencies: BTreeMap<String, CurrencySettings>,
    /// Exchange rates to the accounting currency: 1 unit of the currency = rate units of the
    /// accounting currency. Required for every currency but the accounting currency.
    #[serde(default, deserialize_with = "rates")]
    pub exchange_rates: BTreeMap<String, Decimal>,
    /// Credits below this amount (accounting currency) are not reimbursed; zero or more.
    #[serde(deserialize_with = "money::exact::deserialize")]
    pub minimum_reimbursement: Decimal,
    /// How open debits count (`net`, `skip`, `ignore`); default `net`.
    #[serde(default)]
    pub open_debits: OpenDebits,
    /// General-ledger posting accounts.
    pub accounts: PostingAccounts,
    /// One-time vendor settings.
    pub one_time_vendor: OneTimeVendorSettings,
    /// Voucher number sequences.
    pub sequences: VoucherSequences,
    /// The company database, relative to the YAML file.
    pub database: PathBuf,
    /// The rule file, relative to the YAML file.
    pub rules: PathBuf,
    /// Sandbox limits of rule scripts (defaults apply when absent).
    #[serde(default)]
    pub limits: ScriptLimits,
}

fn rates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
    let raw = BTreeMap::<String, money::exact::ExactDecimal>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// Overrides of company parameters, as a fixture's `parameters:` section gives them: the same
/// top-level keys as the company YAML, each optional; a key given replaces the company's value.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ParameterOverrides {
    /// See [`Parameters::company`].
    pub company: Option<CompanyInfo>,
    /// See [`Parameters::accounting_currency`].
    pub accounting_currency: Option<String>,
    /// See [`Parameters::currencies`].
    pub currencies: Option<BTreeMap<String, CurrencySettings>>,
    /// See [`Parameters::exchange_rates`].
    #[serde(default, deserialize_with = "optional_rates")]
    pub exchange_rates: Option<BTreeMap<String, Decimal>>,
    /// See [`Parameters::minimum_reimbursement`].
    #[serde(default, deserialize_with = "money::exact::deserialize_option")]
    pub minimum_reimbursement: Option<Decimal>,
    /// See [`Parameters::open_debits`].
    pub open_debits: Option<OpenDebits>,
    /// See [`Parameters::accounts`].
    pub accounts: Option<PostingAccounts>,
    /// See [`Parameters::one_time_vendor`].
    pub one_time_vendor: Option<OneTimeVendorSettings>,
    /// See [`Parameters::sequences`].
    pub sequences: Option<VoucherSequences>,
    /// See [`Parameters::limits`].
    pub limits: Option<ScriptLimits>,
}

fn optional_rates<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Decimal>>, D::Error> {
    rates(d).map(Some)
}

impl ParameterOverrides {
    /// True when no key is overridden.
    pub fn is_empty(&self) -> bool {
        *self == ParameterOverrides::default()
    }

    /// Applies the overrides to `params` (which must then be validated again).
    pub fn apply(&self, params: &mut Parameters) {
        let o = self.clone();
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = o.$field { params.$field = v; } )* };
        }
        take!(
            company,
            accounting_currency,
            currencies,
            exchange_rates,
            minimum_reimbursement,
            open_debits,
            accounts,
            one_time_vendor,
            sequences,
            limits
        );
    }
}

/// A company: its validated parameters and where they came from.
#[derive(Debug, Clone)]
pub struct Company {
    /// The validated parameters.
    pub params: Parameters,
    /// The YAML file they were read from.
    pub file: PathBuf,
    /// The database path, resolved against the YAML file's folder.
    pub database_path: PathBuf,
    /// The rule file path, resolved against the YAML file's folder.
    pub rules_path: PathBuf,
    /// SHA-256 of the parameters (hex), recorded with each run.
    pub hash: String,
}

impl Company {
    /// Reads and validates a company YAML file.
    pub fn load(file: &Path) -> Result<Company, YamlError> {
        let text = std::fs::read_to_string(file).map_err(|e| YamlError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            path: String::new(),
            message: format!("cannot read the company parameters: {e}"),
        })?;
        Company::from_yaml(file, &text)
    }

    /// Parses and validates company parameters from YAML text; `file` names it in errors and
    /// anchors the relative database and rules paths.
    pub fn from_yaml(file: &Path, text: &str) -> Result<Company, YamlError> {
        let params: Parameters = parse_yaml(file, text)?;
        Company::from_parameters(file, params, Some(text))
    }

    /// Validates parameters (e.g. after overrides) and resolves their paths against `file`.
    pub fn from_parameters(
        file: &Path,
        params: Parameters,
        text: Option<&str>,
    ) -> Result<Company, YamlError> {
        if let Err((path, message)) = validate(&params) {
            let (line, column) = text.and_then(|t| locate(t, &path)).unzip();
            return Err(YamlError {
                file: file.to_path_buf(),
                line,
                column,
                path,
                message,
            });
        }
        let base = file.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        Ok(Company {
            database_path: base.join(&params.database),
            rules_path: base.join(&params.rules),
            hash: hash_parameters(&params),
            file: file.to_path_buf(),
            params,
        })
    }

    /// The currency with this code, if the company uses it.
    pub fn currency(&self, code: &str) -> Option<Currency> {
        self.params.currency(code)
    }
}

impl Parameters {
    /// The currency with this code, if the company uses it.
    pub fn currency(&self, code: &str) -> Option<Currency> {
        self.currencies.get(code).map(|s| Currency {
            code: code.to_string(),
            decimals: s.decimals,
            rounding: s.rounding,
        })
    }

    /// The accounting currency.
    pub fn accounting(&self) -> Currency {
        self.currency(&self.accounting_currency)
            .unwrap_or_else(|| Currency::new(&self.accounting_currency, 2))
    }

    /// Converts `amount` in `currency` to the accounting currency, unrounded.
    pub fn to_accounting(
        &self,
        amount: Decimal,
        currency: &str,
    ) -> Result<Decimal, ConversionError> {
        if currency == self.accounting_currency {
            return Ok(amount);
        }
        let rate = self
            .exchange_rates
            .get(currency)
            .ok_or_else(|| ConversionError::NoRate(currency.to_string()))?;
        amount
            .checked_mul(*rate)
            .ok_or_else(|| ConversionError::Overflow {
                amount,
                currency: currency.to_string(),
                rate: *rate,
                accounting: self.accounting_currency.clone(),
            })
    }
}

/// Why an amount could not be converted to the accounting currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    /// The parameters have no exchange rate for the currency.
    #[error("no exchange rate for '{0}'")]
    NoRate(String),
    /// The converted amount does not fit a decimal.
    #[error("{amount} {currency} at the rate {rate} is too large to convert to {accounting}")]
    Overflow {
        /// The amount.
        amount: Decimal,
        /// Its currency.
        currency: String,
        /// The exchange rate.
        rate: Decimal,
        /// The accounting currency.
        accounting: String,
    },
}

/// Parses YAML into `T`, with errors that carry the file, line, column and key path.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<T, YamlError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let mut path = err.path().to_string();
        let inner = err.into_inner();
        let location = inner.location();
        let mut message = inner.to_string();
        // serde_yaml appends " at line L column C"; we show the position in front instead.
        if let Some(pos) = message.find(" at line ") {
            message.truncate(pos);
        }
        // A syntax error has no key of its own: `accounts.?` means "somewhere in accounts".
        while path == "?" || path == "." || path.ends_with(".?") {
            path.truncate(path.len().saturating_sub(2));
        }
        // serde_yaml starts nested errors with its own path (`sequences.payment: unknown
        // field …`); the key path is shown in front already.
        if let Some((prefix, rest)) = message.split_once(": ")
            && !prefix.is_empty()
            && path.starts_with(prefix)
            && !prefix.contains(' ')
        {
            message = rest.to_string();
        }
        // libyaml's words for a tab where indentation is expected do not say "tab".
        if let Some(l) = &location
            && message.ends_with("cannot start any token")
            && text
                .lines()
                .nth(l.line() - 1)
                .and_then(|t| t.chars().nth(l.column() - 1))
                == Some('\t')
        {
            message.push_str(" (a tab: indent with spaces)");
        }
        let mut line = location.as_ref().map(|l| l.line());
        let mut column = location.as_ref().map(|l| l.column());
        // serde_yaml places a duplicate key at the start of its mapping: point at the repeat.
        if let Some(key) = message
            .strip_prefix("duplicate field `")
            .or_else(|| message.strip_prefix("duplicate entry with key \""))
            .and_then(|k| k.split(['`', '"']).next())
            && let Some((l, c)) = second_key(text, key, line.unwrap_or(1))
        {
            (line, column) = (Some(l), Some(c));
        }
        // libyaml's words for a line indented deeper or shallower than its neighbours.
        if message == "did not find expected key" {
            message.push_str(
                " (is this line, or the one above it, indented otherwise than its neighbours?)",
            );
        }
        // A key indented wrongly leaves its mapping without it: point at that key instead.
        if let Some(key) = message
            .strip_prefix("missing field `")
            .and_then(|k| k.split('`').next())
            && let (Some(l), Some(c)) = (line, column)
            && let Some((at, indent, note)) = misplaced_key(text, key, l, c)
        {
            (line, column) = (Some(at), Some(indent + 1));
            message.push_str(&note);
        }
        YamlError {
            file: file.to_path_buf(),
            line,
            column,
            path,
            message,
        }
    })
}

/// A `key:` line that belongs to the mapping at `line`:`column` (which lacks `key`) but is
/// indented otherwise than its keys, looked for from that line to the end of the mapping's
/// block: its line, its indentation and a note saying so (best effort, for a "missing field" caused by
/// indentation). When no key begins at `column` (the mapping is the value of the key on that
/// line), its keys belong deeper than that line.
fn misplaced_key(
    text: &str,
    key: &str,
    line: usize,
    column: usize,
) -> Option<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let parent = indent_of(lines.get(line.checked_sub(1)?)?);
    let expected = (column.checked_sub(1)? == parent).then_some(parent);
    let start = if expected.is_some() { line - 1 } else { line };
    for (i, l) in lines.iter().enumerate().skip(start) {
        let (trimmed, indent) = (l.trim_start(), indent_of(l));
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let is_key = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'));
        let note = match expected {
            Some(e) if is_key && indent != e => format!(
                " (this `{key}:` is indented by {indent} space(s), the mapping's other keys by \
                 {e}: indent it like them)"
            ),
            None if is_key && indent <= parent => format!(
                " (this `{key}:` is indented by {indent} space(s), no deeper than the key on \
                 line {line} that it belongs to: indent it under that key)"
            ),
            // A shallower line that is not the key ends the mapping's block.
            _ if indent < expected.unwrap_or(parent + 1) => return None,
            _ => continue,
        };
        return Some((i + 1, indent, note));
    }
    None
}

/// The line and column of the second `key:` at one indentation from line `from` on (best
/// effort, for duplicate keys).
fn second_key(text: &str, key: &str, from: usize) -> Option<(usize, usize)> {
    let mut first_indent = None;
    for (i, line) in text.lines().enumerate().skip(from.saturating_sub(1)) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.trim_start_matches(['"', '\'']);
        if bare.starts_with(key)
            && bare[key.len()..]
                .trim_start_matches(['"', '\''])
                .starts_with(':')
        {
            match first_indent {
                None => first_indent = Some(indent),
                Some(f) if f == indent => return Some((i + 1, indent + 1)),
                Some(_) => {}
            }
        }
    }
    None
}

fn validate(p: &Parameters) -> Result<(), (String, String)> {
    let err = |path: &str, message: String| Err((path.to_string(), message));
    if p.company.id.trim().is_empty() {
        return err("company.id", "must not be empty".into());
    }
    if p.currencies.is_empty() {
        return err("currencies", "at least one currency is required".into());
    }
    for (code, settings) in &p.currencies {
        if code.trim().is_empty() || code.contains(char::is_whitespace) {
            return err("currencies", format!("'{code}' is not a currency code"));
        }
        if settings.decimals > MAX_DECIMALS {
            return err(
                &format!("currencies.{code}.decimals"),
                format!("{} is more than {MAX_DECIMALS}", settings.decimals),
            );
        }
    }
    let Some(accounting) = p.currency(&p.accounting_currency) else {
        return err(
            "accounting_currency",
            format!(
                "unknown currency '{}' (not in currencies: {})",
                p.accounting_currency,
                p.currencies.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    };
    for (code, rate) in &p.exchange_rates {
        let path = format!("exchange_rates.{code}");
        if !p.currencies.contains_key(code) {
            return err(&path, format!("unknown currency '{code}'"));
        }
        if *rate <= Decimal::ZERO {
            return err(&path, format!("rate {rate} must be positive"));
        }
        if *code == p.accounting_currency && *rate != Decimal::ONE {
            return err(&path, "the accounting currency's rate must be 1".into());
        }
    }
    for code in p.currencies.keys() {
        if *code != p.accounting_currency && !p.exchange_rates.contains_key(code) {
            return err(
                "exchange_rates",
                format!("missing the rate of {code} to {}", p.accounting_currency),
            );
        }
    }
    if p.minimum_reimbursement < Decimal::ZERO {
        return err(
            "minimum_reimbursement",
            format!("{} must not be negative", p.minimum_reimbursement),
        );
    }
    if let Err(e) = accounting.check(p.minimum_reimbursement) {
        return err("minimum_reimbursement", e.to_string());
    }
    let accounts = p.accounts.all();
    for (i, (account, _)) in accounts.iter().enumerate() {
        let names = [
            "receivables",
            "payables",
            "bank",
            "opening_balance",
            "import",
        ];
        if account.trim().is_empty() {
            return err(
                &format!("accounts.{}", names[i]),
                "must not be empty".into(),
            );
        }
        if accounts[..i].iter().any(|(other, _)| other == account) {
            return err(
                &format!("accounts.{}", names[i]),
                format!("account '{account}' is used twice"),
            );
        }
    }
    let mut sequences: Vec<(String, &SequenceSettings)> = p
        .sequences
        .all()
        .iter()
        .map(|(n, s)| (format!("sequences.{n}"), *s))
        .collect();
    sequences.push((
        "one_time_vendor.sequence".into(),
        &p.one_time_vendor.sequence,
    ));
    for (path, seq) in &sequences {
        if seq.width == 0 || seq.width > 18 {
            return err(
                &format!("{path}.width"),
                format!("{} is not between 1 and 18", seq.width),
            );
        }
    }
    // Voucher and invoice numbers must never repeat across sequences: `RMB-` beside `RMB-` (or
    // `R` beside `R0`, whose numbers `R0000001` and `R0` + `000001` meet) could give two
    // documents one number. Vendor accounts (the one-time vendor sequence) are apart.
    let documents = &sequences[..sequences.len() - 1];
    for (i, (path, seq)) in documents.iter().enumerate() {
        for (other_path, other) in &documents[..i] {
            if numbers_may_meet(&seq.prefix, &other.prefix) {
                return err(
                    &format!("{path}.prefix"),
                    format!(
                        "'{}' can give the same numbers as {other_path} ('{}'): give each sequence a prefix of its own",
                        seq.prefix, other.prefix
                    ),
                );
            }
        }
    }
    if p.one_time_vendor.group.trim().is_empty() {
        return err("one_time_vendor.group", "must not be empty".into());
    }
    let l = &p.limits;
    // Rhai reads 0 as "unlimited" for the operations, the modules and the string, array and map
    // sizes; a memory or time limit of 0 would stop every script.
    if l.max_operations == 0
        || l.max_call_levels == 0
        || l.max_expr_depth == 0
        || l.max_string_size == 0
        || l.max_array_size == 0
        || l.max_map_size == 0
        || l.max_memory_mb == 0
        || l.max_modules == 0
        || l.max_seconds == 0
    {
        return err("limits", "limits must be greater than zero".into());
    }
    // Each level of calls or expressions takes stack, tens of kB in a debug build: deeper, a
    // script could overflow the stack (8 MiB, on the main and the read-ahead thread alike) and
    // abort the program instead of stopping with an error.
    for (key, value) in [
        ("max_call_levels", l.max_call_levels),
        ("max_expr_depth", l.max_expr_depth),
    ] {
        if value > MAX_NESTING {
            return err(
                &format!("limits.{key}"),
                format!(
                    "{value} is more than {MAX_NESTING} (deeper nesting could overflow the stack)"
                ),
            );
        }
    }
    Ok(())
}

/// Whether two number sequences could number two documents alike: one prefix is the other
/// followed by nothing but digits (the counters are digits).
fn numbers_may_meet(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short)
        .is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit()))
}

/// Finds the line and column of a key path (`a.b.c`) in YAML text, by indentation. Best effort:
/// used to point validation errors (which serde does not locate) at the right line.
fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let mut found = None;
    let mut min_indent = 0usize;
    let mut start = 0usize;
    let lines: Vec<&str> = text.lines().collect();
    for segment in path.split('.') {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let indent = line.len() - line.trim_start().len();
            let trimmed = line.trim_start().trim_start_matches("- ");
            if i > start && indent < min_indent && !line.trim().is_empty() && found.is_some() {
                break;
            }
            let key = trimmed.trim_start_matches(['"', '\'']);
            if key.starts_with(segment)
                && key[segment.len()..]
                    .trim_start_matches(['"', '\''])
                    .starts_with(':')
            {
                hit = Some((i, indent));
                break;
            }
        }
        // A key written in flow style (`USD: { decimals: 7 }`) is not found on its own line:
        // point at the deepest key found.
        let Some((i, indent)) = hit else {
            return found;
        };
        found = Some((i + 1, indent + 1));
        min_indent = indent + 1;
        start = i + 1;
    }
    found
}

fn hash_parameters(p: &Parameters) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{p:?}").as_bytes());
    hex(&hasher.finalize())
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"
company: { id: TEST, name: Test Company }
accounting_currency: USD
currencies:
  USD: { decimals: 2 }
  EUR: { decimals: 2, rounding: half_even }
exchange_rates:
  EUR: 1.0850
minimum_reimbursement: 25.00
accounts:
  receivables: "1200"
  payables: "2000"
  bank: "1000"
  opening_balance: "3999"
one_time_vendor:
  group: ONETIME
  sequence: { prefix: OTV-, width: 5 }
sequences:
  reimbursement: { prefix: RMB-, width: 6 }
  vendor_invoice: { prefix: VI-, width: 6 }
  payment: { prefix: PAY-, width: 6 }
  opening: { prefix: OPN-, width: 6 }
database: test.db
rules: rules/reimburse.rhai
"#;

    fn load(text: &str) -> Result<Company, YamlError> {
        Company::from_yaml(Path::new("dir/company.yaml"), text)
    }

    #[test]
    fn sample_loads_exactly() {
        let c = load(SAMPLE).unwrap();
        assert_eq!(c.params.minimum_reimbursement.to_string(), "25.00");
        assert_eq!(c.params.exchange_rates["EUR"].to_string(), "1.0850");
        assert_eq!(c.params.accounts.receivables, "1200");
        assert_eq!(c.params.open_debits, OpenDebits::Net);
        assert!(c.params.one_time_vendor.link_to_customer);
        assert_eq!(c.database_path, Path::new("dir/test.db"));
        assert_eq!(c.rules_path, Path::new("dir/rules/reimburse.rhai"));
        assert_eq!(c.currency("EUR").unwrap().rounding, Rounding::HalfEven);
        let str_min = SAMPLE.replace("25.00", "\"0.10\"");
        let c = load(&str_min).unwrap();
        assert_eq!(c.params.minimum_reimbursement.to_string(), "0.10");
    }

    #[test]
    fn unknown_key_names_file_line_and_path() {
        let text = SAMPLE.replace("  bank: \"1000\"", "  bank: \"1000\"\n  bnak: \"1001\"");
        let e = load(&text).unwrap_err();
        assert_eq!(e.path, "accounts.bnak");
        assert!(e.message.contains("unknown field `bnak`"), "{e}");
        assert_eq!(e.line, Some(14));
        assert!(e.to_string().starts_with("dir/company.yaml:14:"), "{e}");
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn a_key_indented_wrongly_is_reported_at_its_line() {
        for (indent, column) in ["", " "].into_iter().zip([1, 2]) {
            let text = format!(
                "company:\n  id: TEST\n{indent}name: Test Company\n{}",
                SAMPLE.replace("company: { id: TEST, name: Test Company }\n", "")
            );
            let e = load(&text).unwrap_err();
            assert_eq!((e.line, e.column), (Some(3), Some(column)), "{e}");
            assert_eq!(e.path, "company");
            assert!(
                e.message
                    .starts_with("missing field `name` (this `name:` is indented by"),
                "{e}"
            );
        }
        // A key of a mapping written on the next lines, not indented under its parent key.
        let text = SAMPLE.replace(
            "one_time_vendor:\n  group: ONETIME\n",
            "one_time_vendor:\ngroup: ONETIME\n",
        );
        let e = load(&text).unwrap_err();
        assert_eq!(e.path, "one_time_vendor", "{e}");
        assert_eq!(e.line, Some(line_of(&text, "group: ONETIME")), "{e}");
        assert!(
            e.message
                .starts_with("missing field `group` (this `group:` is indented by 0"),
            "{e}"
        );
        // A key indented deeper than its neighbours.
        let text = SAMPLE.replace("  payables:", "    payables:");
        let e = load(&text).unwrap_err();
        assert!(
            e.message
                .starts_with("did not find expected key (is this line"),
            "{e}"
        );
        // A key that is really missing is reported where its mapping begins, as before.
        let text = format!(
            "company:\n  id: TEST\n{}",
            SAMPLE.replace("company: { id: TEST, name: Test Company }\n", "")
        );
        let e = load(&text).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(2), "missing field `name`")
        );
    }

    #[test]
    fn missing_key_is_an_error() {
        let text = SAMPLE.replace("  payables: \"2000\"\n", "");
        let e = load(&text).unwrap_err();
        assert!(e.message.contains("missing field `payables`"), "{e}");
        assert_eq!(e.path, "accounts");
    }

    #[test]
    fn wrong_type_is_an_error_with_path() {
        let text = SAMPLE.replace("width: 6 }\n  vendor", "width: six }\n  vendor");
        let e = load(&text).unwrap_err();
        assert_eq!(e.path, "sequences.reimbursement.width");
        assert!(e.line.is_some());
        let text = SAMPLE.replace("25.00", "lots");
        let e = load(&text).unwrap_err();
        assert_eq!(e.path, "minimum_reimbursement");
        assert!(e.message.contains("decimal number"), "{e}");
    }

    #[test]
    fn negative_minimum_is_refused_with_its_line() {
        let e = load(&SAMPLE.replace("25.00", "-1.00")).unwrap_err();
        assert_eq!(e.path, "minimum_reimbursement");
        assert!(e.message.contains("must not be negative"));
        assert_eq!(e.line, Some(9));
        let e = load(&SAMPLE.replace("25.00", "25.001")).unwrap_err();
        assert!(e.message.contains("more decimals"), "{e}");
    }

    #[test]
    fn unknown_currencies_are_refused() {
        let e = load(&SAMPLE.replace("accounting_currency: USD", "accounting_currency: GBP"))
            .unwrap_err();
        assert_eq!(e.path, "accounting_currency");
        assert!(e.message.contains("unknown currency 'GBP'"));
        let e = load(&SAMPLE.replace("  EUR: 1.0850", "  EUR: 1.0850\n  CHF: 1.1")).unwrap_err();
        assert_eq!(e.path, "exchange_rates.CHF");
        let e = load(&SAMPLE.replace("  EUR: 1.0850", "")).unwrap_err();
        assert!(e.message.contains("missing the rate of EUR"), "{e}");
    }

    #[test]
    fn sequences_that_could_share_numbers_are_refused() {
        let e =
            load(&SAMPLE.replace("{ prefix: PAY-, width", "{ prefix: RMB-, width")).unwrap_err();
        assert_eq!(e.path, "sequences.payment.prefix");
        assert_eq!(
            e.message,
            "'RMB-' can give the same numbers as sequences.reimbursement ('RMB-'): give each sequence a prefix of its own"
        );
        assert_eq!(e.line, Some(21));
        // `R` and `R0`: R0000001 is both R + 0000001 and R0 + 000001.
        let text = SAMPLE
            .replace("{ prefix: VI-, width", "{ prefix: R, width")
            .replace("{ prefix: OPN-, width", "{ prefix: R0, width");
        assert_eq!(load(&text).unwrap_err().path, "sequences.opening.prefix");
        // A prefix that goes on with a letter cannot meet, nor can the vendor accounts.
        let text = SAMPLE
            .replace("{ prefix: VI-, width", "{ prefix: RMB-V, width")
            .replace("{ prefix: OTV-, width", "{ prefix: RMB-, width");
        assert!(load(&text).is_ok());
    }

    #[test]
    fn overrides_replace_keys() {
        let mut c = load(SAMPLE).unwrap();
        let o: ParameterOverrides =
            serde_yaml::from_str("minimum_reimbursement: 0.10\nopen_debits: skip").unwrap();
        o.apply(&mut c.params);
        assert_eq!(c.params.minimum_reimbursement.to_string(), "0.10");
        assert_eq!(c.params.open_debits, OpenDebits::Skip);
        assert!(serde_yaml::from_str::<ParameterOverrides>("database: x.db").is_err());
    }

    #[test]
    fn conversion_to_accounting_currency() {
        let c = load(SAMPLE).unwrap();
        let d = |s: &str| money::parse_decimal(s).unwrap();
        assert_eq!(
            c.params.to_accounting(d("-100.00"), "EUR").ok(),
            Some(d("-108.500000"))
        );
        assert_eq!(c.params.to_accounting(d("5"), "USD"), Ok(d("5")));
        assert_eq!(
            c.params.to_accounting(d("5"), "XXX"),
            Err(ConversionError::NoRate("XXX".into()))
        );
        // An amount too large to convert is an overflow, not a missing rate.
        let e = c.params.to_accounting(Decimal::MAX, "EUR").unwrap_err();
        assert!(matches!(e, ConversionError::Overflow { .. }), "{e}");
        assert!(
            e.to_string().contains("is too large to convert to USD"),
            "{e}"
        );
    }
}
