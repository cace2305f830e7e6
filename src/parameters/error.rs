//! The errors of the parameters: [`YamlError`] (a YAML file that cannot be read, parsed or
//! validated, with its position) and [`ConversionError`] (an amount that cannot be converted to
//! the accounting currency).

use std::fmt;
use std::path::PathBuf;

use rust_decimal::Decimal;

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
