//! The rows of an import, typed: a [`Record`]'s cells read and checked column by column (every
//! problem of a row found, not only the first), into a [`CustomerRow`], [`VendorRow`] or
//! [`TransactionRow`]. What needs the database (does the customer exist, is the document new,
//! does the amount fit the customer's currency) is checked when the row is applied.

use std::hash::{Hash, Hasher};
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::problems::Problem;
use super::source::{Cell, Header, Record};
use crate::bank::{BankError, Bic, Iban};
use crate::ledger::{Customer, Vendor};
use crate::parameters::Parameters;

/// The longest texts accepted: the books' own limits ([`crate::text`]), which the ledger checks
/// for every other path too.
pub use crate::text::{MAX_KEY_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS};

/// An optional column of a row, as it changes what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field<T> {
    /// The file has no such column: the stored value stays.
    Keep,
    /// The cell is empty: the value is absent (an optional field is cleared, a defaulted one
    /// takes its default).
    Clear,
    /// The cell's value.
    Set(T),
}

impl<T: Clone> Field<T> {
    /// The value after this field: `current` kept, cleared, or replaced.
    pub fn apply(&self, current: Option<T>) -> Option<T> {
        match self {
            Field::Keep => current,
            Field::Clear => None,
            Field::Set(v) => Some(v.clone()),
        }
    }
}

/// A customer row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerRow {
    /// Account (the identity).
    pub account: String,
    /// Name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Group (absent: `DEFAULT`).
    pub group: Field<String>,
    /// Vendor account.
    pub vendor_account: Field<String>,
    /// On hold for payments (absent: no).
    pub payment_hold: Field<bool>,
    /// Address.
    pub address: Field<String>,
    /// Tax id.
    pub tax_id: Field<String>,
    /// IBAN.
    pub iban: Field<Iban>,
    /// BIC.
    pub bic: Field<Bic>,
}

impl CustomerRow {
    /// The customer as the row describes it, over what is stored (`None`: a new customer).
    pub fn customer(&self, stored: Option<&Customer>) -> Customer {
        let stored = stored.cloned();
        let s = stored.as_ref();
        Customer {
            account: self.account.clone(),
            name: self.name.clone(),
            currency: self.currency.clone(),
            group: self
                .group
                .apply(s.map(|c| c.group.clone()))
                .unwrap_or_else(|| "DEFAULT".into()),
            vendor_account: self
                .vendor_account
                .apply(s.and_then(|c| c.vendor_account.clone())),
            payment_hold: self
                .payment_hold
                .apply(s.map(|c| c.payment_hold))
                .unwrap_or(false),
            address: self.address.apply(s.and_then(|c| c.address.clone())),
            tax_id: self.tax_id.apply(s.and_then(|c| c.tax_id.clone())),
            iban: self.iban.apply(s.and_then(|c| c.iban.clone())),
            bic: self.bic.apply(s.and_then(|c| c.bic.clone())),
        }
    }
}

/// A vendor row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VendorRow {
    /// Account (the identity).
    pub account: String,
    /// Name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Group (absent: `DEFAULT`).
    pub group: Field<String>,
    /// Blocked for postings (absent: no).
    pub blocked: Field<bool>,
    /// Address.
    pub address: Field<String>,
    /// Tax id.
    pub tax_id: Field<String>,
    /// IBAN.
    pub iban: Field<Iban>,
    /// BIC.
    pub bic: Field<Bic>,
    /// Payment terms.
    pub payment_terms: Field<String>,
    /// Method of payment.
    pub method_of_payment: Field<String>,
}

impl VendorRow {
    /// The vendor as the row describes it, over what is stored (`None`: a new vendor).
    pub fn vendor(&self, stored: Option<&Vendor>) -> Vendor {
        let s = stored;
        Vendor {
            account: self.account.clone(),
            name: self.name.clone(),
            currency: self.currency.clone(),
            group: self
                .group
                .apply(s.map(|v| v.group.clone()))
                .unwrap_or_else(|| "DEFAULT".into()),
            blocked: self.blocked.apply(s.map(|v| v.blocked)).unwrap_or(false),
            address: self.address.apply(s.and_then(|v| v.address.clone())),
            tax_id: self.tax_id.apply(s.and_then(|v| v.tax_id.clone())),
            iban: self.iban.apply(s.and_then(|v| v.iban.clone())),
            bic: self.bic.apply(s.and_then(|v| v.bic.clone())),
            payment_terms: self
                .payment_terms
                .apply(s.and_then(|v| v.payment_terms.clone())),
            method_of_payment: self
                .method_of_payment
                .apply(s.and_then(|v| v.method_of_payment.clone())),
            one_time: s.is_some_and(|v| v.one_time),
            created_for: s.and_then(|v| v.created_for.clone()),
        }
    }
}

/// A customer transaction row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionRow {
    /// The customer account.
    pub customer: String,
    /// Date.
    pub date: NaiveDate,
    /// Type, in lower case (invoice, payment, credit_note, or another word).
    pub kind: String,
    /// Document number (the identity within the customer).
    pub document: String,
    /// Signed amount (debit +, credit −), not zero; its decimals are checked against the
    /// currency when the row is applied.
    pub amount: Decimal,
    /// Currency (absent: the customer's).
    pub currency: Option<String>,
    /// The document of an open transaction this one settles.
    pub applies_to: Option<String>,
}

/// A hash of a row's values, to tell a repeated row from one that differs.
pub fn fingerprint(row: &impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    row.hash(&mut hasher);
    hasher.finish()
}

/// Reads the cells of one record, noting every problem.
pub struct Cells<'a> {
    file: &'a Path,
    header: &'a Header,
    record: &'a Record,
    params: &'a Parameters,
    /// The problems found so far.
    pub problems: Vec<Problem>,
}

impl<'a> Cells<'a> {
    /// The cells of `record` in `file`.
    pub fn new(
        file: &'a Path,
        header: &'a Header,
        record: &'a Record,
        params: &'a Parameters,
    ) -> Self {
        Cells {
            file,
            header,
            record,
            params,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, column: &str, message: impl std::fmt::Display) {
        self.problems.push(Problem::new(
            self.file,
            &self.record.place,
            Some(column),
            message,
        ));
    }

    /// The text of a cell, checked for its length (`None`: no column or empty).
    fn text(&mut self, column: &str, max: usize) -> Field<String> {
        match self.header.cell(self.record, column) {
            Cell::NoColumn => Field::Keep,
            Cell::Empty => Field::Clear,
            Cell::Text(t) if t.chars().count() > max => {
                self.problem(column, format!("longer than {max} characters"));
                Field::Clear
            }
            Cell::Text(t) if t.chars().any(char::is_control) => {
                self.problem(
                    column,
                    "control characters (a line break, a tab, …) are not allowed",
                );
                Field::Clear
            }
            Cell::Text(t) => Field::Set(t.to_string()),
        }
    }

    /// A required cell's text (empty text, with a problem, when it is missing).
    pub fn required(&mut self, column: &str, max: usize) -> String {
        match self.text(column, max) {
            Field::Set(t) => t,
            _ => {
                if !self
                    .problems
                    .iter()
                    .any(|p| p.column.as_deref() == Some(column))
                {
                    self.problem(column, "required, but empty");
                }
                String::new()
            }
        }
    }

    /// An optional text cell.
    pub fn optional(&mut self, column: &str, max: usize) -> Field<String> {
        self.text(column, max)
    }

    /// A cell parsed by `parse`.
    fn parsed<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Field<T> {
        match self.text(column, MAX_TEXT_CHARS) {
            Field::Keep => Field::Keep,
            Field::Clear => Field::Clear,
            Field::Set(t) => match parse(&t) {
                Ok(v) => Field::Set(v),
                Err(message) => {
                    self.problem(column, message);
                    Field::Clear
                }
            },
        }
    }

    /// A yes/no cell: `true`/`false`, `yes`/`no`, `1`/`0` (any case).
    pub fn flag(&mut self, column: &str) -> Field<bool> {
        self.parsed(column, |t| match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(format!("'{t}' is not true/false, yes/no or 1/0")),
        })
    }

    /// An IBAN cell.
    pub fn iban(&mut self, column: &str) -> Field<Iban> {
        self.parsed(column, |t| {
            Iban::parse(t).map_err(|e: BankError| e.to_string())
        })
    }

    /// A BIC cell.
    pub fn bic(&mut self, column: &str) -> Field<Bic> {
        self.parsed(column, |t| {
            Bic::parse(t).map_err(|e: BankError| e.to_string())
        })
    }

    /// A currency code of the company (required or optional).
    pub fn currency(&mut self, column: &str, required: bool) -> Option<String> {
        let code = if required {
            Some(self.required(column, MAX_KEY_CHARS)).filter(|c| !c.is_empty())
        } else {
            match self.optional(column, MAX_KEY_CHARS) {
                Field::Set(c) => Some(c),
                _ => None,
            }
        }?;
        if self.params.currency(&code).is_none() {
            let known: Vec<&str> = self.params.currencies.keys().map(String::as_str).collect();
            self.problem(
                column,
                format!(
                    "unknown currency '{code}' (the company's: {})",
                    known.join(", ")
                ),
            );
            return None;
        }
        Some(code)
    }

    /// A required date, `YYYY-MM-DD`, that exists, in [`crate::dates::YEARS`] ([`crate::dates::parse`]).
    pub fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let text = self.required(column, MAX_KEY_CHARS);
        if text.is_empty() {
            return None;
        }
        crate::dates::parse(&text)
            .map_err(|e| self.problem(column, e))
            .ok()
    }

    /// A required, non-zero amount: an optional sign, digits, `.` and decimals.
    pub fn amount(&mut self, column: &str) -> Option<Decimal> {
        let text = self.required(column, MAX_KEY_CHARS);
        if text.is_empty() {
            return None;
        }
        match parse_amount(&text) {
            Ok(a) if a.is_zero() => {
                self.problem(column, "must not be zero");
                None
            }
            Ok(a) => Some(a),
            Err(message) => {
                self.problem(column, message);
                None
            }
        }
    }

    /// A transaction type: one word of letters, digits and `_`, kept in lower case.
    pub fn kind(&mut self, column: &str) -> String {
        let text = self.required(column, MAX_KEY_CHARS);
        if !text.is_empty() && !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.problem(
                column,
                format!("'{text}' is not one word (letters, digits and _, like credit_note)"),
            );
        }
        text.to_ascii_lowercase()
    }
}

/// Parses an amount written with `.` as the decimal point and no thousands separators.
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && fraction.is_empty());
    if !plain {
        let hint = if text.contains(',') {
            " (write the decimal point as `.`, with no thousands separator)"
        } else {
            ""
        };
        return Err(format!("'{text}' is not an amount{hint}"));
    }
    Decimal::from_str_exact(text)
        .map_err(|_| format!("'{text}' has more digits than an amount can hold"))
}

/// Reads a customer row.
pub fn customer_row(cells: &mut Cells) -> Option<CustomerRow> {
    let row = CustomerRow {
        account: cells.required("account", MAX_KEY_CHARS),
        name: cells.required("name", MAX_NAME_CHARS),
        currency: cells.currency("currency", true).unwrap_or_default(),
        group: cells.optional("group", MAX_KEY_CHARS),
        vendor_account: cells.optional("vendor_account", MAX_KEY_CHARS),
        payment_hold: cells.flag("payment_hold"),
        address: cells.optional("address", MAX_TEXT_CHARS),
        tax_id: cells.optional("tax_id", MAX_KEY_CHARS),
        iban: cells.iban("iban"),
        bic: cells.bic("bic"),
    };
    cells.problems.is_empty().then_some(row)
}

/// Reads a vendor row.
pub fn vendor_row(cells: &mut Cells) -> Option<VendorRow> {
    let row = VendorRow {
        account: cells.required("account", MAX_KEY_CHARS),
        name: cells.required("name", MAX_NAME_CHARS),
        currency: cells.currency("currency", true).unwrap_or_default(),
        group: cells.optional("group", MAX_KEY_CHARS),
        blocked: cells.flag("blocked"),
        address: cells.optional("address", MAX_TEXT_CHARS),
        tax_id: cells.optional("tax_id", MAX_KEY_CHARS),
        iban: cells.iban("iban"),
        bic: cells.bic("bic"),
        payment_terms: cells.optional("payment_terms", MAX_KEY_CHARS),
        method_of_payment: cells.optional("method_of_payment", MAX_KEY_CHARS),
    };
    cells.problems.is_empty().then_some(row)
}

/// Reads a transaction row.
pub fn transaction_row(cells: &mut Cells) -> Option<TransactionRow> {
    let customer = cells.required("customer", MAX_KEY_CHARS);
    let date = cells.date("date");
    let kind = cells.kind("type");
    let document = cells.required("document", MAX_KEY_CHARS);
    let amount = cells.amount("amount");
    let currency = cells.currency("currency", false);
    let applies_to = match cells.optional("applies_to", MAX_KEY_CHARS) {
        Field::Set(d) => Some(d),
        _ => None,
    };
    if applies_to.is_some() && applies_to == Some(document.clone()) {
        cells.problem("applies_to", "a transaction cannot settle itself");
    }
    if !cells.problems.is_empty() {
        return None;
    }
    Some(TransactionRow {
        customer,
        date: date?,
        kind,
        document,
        amount: amount?,
        currency,
        applies_to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_a_point_and_nothing_else() {
        assert_eq!(parse_amount("-12.30").unwrap().to_string(), "-12.30");
        assert_eq!(parse_amount("+5").unwrap().to_string(), "5");
        for bad in ["1,50", "1.", ".5", "1e3", "12 000", "abc", "--1", ""] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert!(
            parse_amount("1,50")
                .unwrap_err()
                .contains("decimal point as `.`")
        );
        assert!(
            parse_amount("10.0000000000000000000000000004")
                .unwrap_err()
                .contains("more digits")
        );
    }

    #[test]
    fn fields_keep_clear_or_set() {
        assert_eq!(Field::Keep.apply(Some(1)), Some(1));
        assert_eq!(Field::<i32>::Clear.apply(Some(1)), None);
        assert_eq!(Field::Set(2).apply(Some(1)), Some(2));
    }
}
