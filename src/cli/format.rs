//! What every command's output shares: JSON documents, tables in one style, plurals, totals per
//! currency and the progress bar.
//!
//! Must not depend on the commands.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use rust_decimal::Decimal;

use crate::Error;

/// Writes `value` as pretty JSON and a newline.
pub(super) fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A table with these headers; every row added must go through [`printable_row`] (control
/// characters of names and keys shown escaped).
pub(super) fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(headers.to_vec());
    t
}

/// Right-aligns these columns (numbers).
pub(super) fn right_align(t: &mut Table, columns: &[usize]) {
    for c in columns {
        if let Some(col) = t.column_mut(*c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// `1 customer`, `2 customers`.
pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// ` (12.50 EUR, 3.00 USD)`, empty without totals.
pub(super) fn totals_text(totals: &BTreeMap<String, Decimal>) -> String {
    if totals.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = totals.iter().map(|(c, t)| format!("{t} {c}")).collect();
    format!(" ({})", parts.join(", "))
}

/// A progress bar of customers on standard error, unless `quiet` or it is not a terminal.
pub(super) fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} customers {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
