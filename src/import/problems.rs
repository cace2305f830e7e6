//! What is wrong with an import: each problem names its file, its place (line, or entry of a
//! YAML section), the column and what is wrong, as `FILE:LINE: column: what is wrong`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How many problems an import lists; beyond, it counts them.
pub const MAX_LISTED_PROBLEMS: usize = 100;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    /// The whole file.
    File,
    /// A line of a CSV file (1 is the header).
    Line(u64),
    /// An entry of a YAML section, e.g. `customers[3]`.
    Entry {
        /// The section (`customers`, `vendors`, `transactions`).
        section: &'static str,
        /// The entry's index in it, from 0.
        index: u64,
    },
}

impl Place {
    /// A number for the place, for the audit trail's `line`: the CSV line, or the YAML entry's
    /// position counted from 1.
    pub fn number(&self) -> Option<u64> {
        match self {
            Place::File => None,
            Place::Line(n) => Some(*n),
            Place::Entry { index, .. } => Some(index + 1),
        }
    }
}

/// One thing wrong with an import (or worth a warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub place: Place,
    /// The column (or YAML key), when one is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at a place of a file.
    pub fn new(
        file: &Path,
        place: &Place,
        column: Option<&str>,
        message: impl fmt::Display,
    ) -> Self {
        Problem {
            file: file.to_path_buf(),
            place: place.clone(),
            column: column.map(str::to_string),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match &self.place {
            Place::File => {}
            Place::Line(n) => write!(f, ":{n}")?,
            Place::Entry { section, index } => write!(f, ": {section}[{index}]")?,
        }
        if let Some(column) = &self.column {
            write!(f, ": {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The problems of an import: the first [`MAX_LISTED_PROBLEMS`], and how many more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Problems {
    /// The problems listed, in the order found.
    pub listed: Vec<Problem>,
    /// How many more were found.
    pub more: u64,
}

impl Problems {
    /// Adds a problem (counted only, beyond the limit).
    pub fn push(&mut self, problem: Problem) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(problem);
        } else {
            self.more += 1;
        }
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// How many in all.
    pub fn count(&self) -> u64 {
        self.listed.len() as u64 + self.more
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.listed {
            writeln!(f, "{p}")?;
        }
        if self.more > 0 {
            writeln!(f, "… and {} more", self.more)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_file_line_column_message() {
        let p = Problem::new(
            Path::new("c.csv"),
            &Place::Line(3),
            Some("currency"),
            "unknown currency 'XXX'",
        );
        assert_eq!(p.to_string(), "c.csv:3: currency: unknown currency 'XXX'");
        let e = Problem::new(
            Path::new("l.yaml"),
            &Place::Entry {
                section: "customers",
                index: 2,
            },
            None,
            "x",
        );
        assert_eq!(e.to_string(), "l.yaml: customers[2]: x");
        assert_eq!(e.place.number(), Some(3));
    }

    #[test]
    fn problems_beyond_the_limit_are_counted() {
        let mut all = Problems::default();
        for i in 0..MAX_LISTED_PROBLEMS as u64 + 5 {
            all.push(Problem::new(Path::new("f"), &Place::Line(i), None, "bad"));
        }
        assert_eq!(all.listed.len(), MAX_LISTED_PROBLEMS);
        assert_eq!((all.more, all.count()), (5, MAX_LISTED_PROBLEMS as u64 + 5));
        assert!(all.to_string().ends_with("… and 5 more\n"));
    }
}
