//! The journal formats: [`Format`], read from the command line's `--format` and shown in messages.

use std::fmt;
use std::str::FromStr;

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
