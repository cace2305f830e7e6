//! What a run is asked to do: which customers ([`Selection`]) and how ([`RunOptions`]).
//! Plain data: depends on nothing else of the process.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

/// Which customers a run takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// All customers.
    All,
    /// These customer accounts.
    Customers(Vec<String>),
    /// Customers in these groups.
    Groups(Vec<String>),
    /// Customers for which this Rhai expression over `customer` is true.
    Where(String),
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::All => f.write_str("all customers"),
            Selection::Customers(list) => write!(f, "customers {}", list.join(",")),
            Selection::Groups(list) => write!(f, "groups {}", list.join(",")),
            Selection::Where(expr) => write!(f, "where {expr}"),
        }
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Which customers.
    pub selection: Selection,
    /// Posting date.
    pub date: NaiveDate,
    /// The rule file.
    pub rules: PathBuf,
    /// Roll back at the end (a proposal).
    pub dry_run: bool,
    /// Skip a failing customer (its work undone) instead of rolling back the run.
    pub keep_going: bool,
    /// Who runs it (recorded).
    pub user: String,
}
