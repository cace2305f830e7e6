//! Tables of values: what the REPL prints after an entry and what the scripts' `table()` returns.
//!
//! Depends on [`super::values`] and comfy-table; must not depend on scripting, process, repl or
//! cli.

use std::io::IsTerminal;

use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use rhai::{Array, Dynamic, Map};

use super::values::{PREFERRED, Record, cell, inline, is_number, record};
use crate::text::printable;

/// A table with these headers (control characters escaped), wrapped to the terminal's width when
/// standard output is one.
pub(crate) fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(headers.iter().map(|h| printable(h)).collect::<Vec<_>>());
    if std::io::stdout().is_terminal() {
        // Wrap wide cells to the terminal's width instead of letting the lines wrap.
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    }
    t
}

/// A text table of records (domain values or maps) with these columns, in this order (what the
/// scripts' `table(rows, columns)` shows). Items that are not records show as one-line values.
pub fn render_columns(items: &[Dynamic], columns: &[String]) -> String {
    if items.is_empty() {
        return "[] (empty)".into();
    }
    let Some(rows) = items.iter().map(record).collect::<Option<Vec<_>>>() else {
        return inline(&Dynamic::from(items.to_vec()));
    };
    let mut t = table(&columns.iter().map(String::as_str).collect::<Vec<_>>());
    fill(&mut t, &rows, columns);
    if items.len() > 1 {
        format!("{t}\n{} rows", items.len())
    } else {
        t.to_string()
    }
}

/// Adds the rows to the table and right-aligns the columns that hold only numbers.
fn fill(t: &mut Table, rows: &[Record], columns: &[String]) {
    let mut numeric = vec![true; columns.len()];
    for Record { fields, .. } in rows {
        let row: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| match fields.iter().find(|(k, _)| k == c) {
                Some((_, v)) => {
                    if !v.is_unit() && !is_number(v) {
                        numeric[i] = false;
                    }
                    cell(v)
                }
                None => String::new(),
            })
            .collect();
        t.add_row(row);
    }
    for (i, n) in numeric.iter().enumerate() {
        if *n && let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// A table of records (domain values or maps), or `None` when the items are not all records of
/// one kind.
fn records_table(items: &[Dynamic]) -> Option<Table> {
    let rows: Vec<Record> = items.iter().map(record).collect::<Option<_>>()?;
    let kind = rows.first()?.kind;
    if rows.iter().any(|r| r.kind != kind) {
        return None;
    }
    // Columns: in order of first appearance (maps may differ in keys).
    let mut columns: Vec<String> = Vec::new();
    for Record { fields, .. } in &rows {
        for (k, _) in fields {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    if kind == "Map" {
        columns.sort_by_key(|k| {
            (
                PREFERRED.iter().position(|p| p == k).unwrap_or(usize::MAX),
                k.clone(),
            )
        });
    }
    let headers: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut t = table(&headers);
    fill(&mut t, &rows, &columns);
    Some(t)
}

/// Shows a value readably, `None` for `()`: arrays of customers, vendors, transactions,
/// balances, vouchers or maps as a table; a domain value as a one-row table; a map of tables as
/// titled sections; a map of plain values as a key/value table; anything else on one line
/// (strings quoted).
pub fn render(value: &Dynamic) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if let Some(items) = value.read_lock::<Array>() {
        if items.is_empty() {
            return Some("[] (empty)".into());
        }
        if let Some(t) = records_table(&items) {
            let n = items.len();
            return Some(if n == 1 {
                t.to_string()
            } else {
                format!("{t}\n{n} rows")
            });
        }
        return Some(inline(value));
    }
    if let Some(m) = value.read_lock::<Map>() {
        if m.is_empty() {
            return Some("#{} (empty map)".into());
        }
        let nested = m.values().any(|v| v.is_array() || v.is_map());
        if nested {
            let mut parts = Vec::new();
            for (k, v) in record(value)?.fields {
                if v.is_map()
                    && !v
                        .read_lock::<Map>()?
                        .values()
                        .any(|x| x.is_array() || x.is_map())
                {
                    parts.push(format!("{k}: {}", inline(&v)));
                    continue;
                }
                match render(&v) {
                    Some(r) if r.contains('\n') => parts.push(format!("{k}:\n{r}")),
                    Some(r) => parts.push(format!("{k}: {r}")),
                    None => parts.push(format!("{k}: ()")),
                }
            }
            return Some(parts.join("\n"));
        }
        let mut t = table(&["key", "value"]);
        for (k, v) in record(value)?.fields {
            t.add_row(vec![printable(&k).into_owned(), cell(&v)]);
        }
        return Some(t.to_string());
    }
    if record(value).is_some() {
        return records_table(std::slice::from_ref(value)).map(|t| t.to_string());
    }
    Some(inline(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn values_render_readably() {
        assert_eq!(render(&Dynamic::UNIT), None);
        assert_eq!(render(&Dynamic::from("a")).unwrap(), "\"a\"");
        let mut m = Map::new();
        m.insert("customer".into(), "C-001".into());
        m.insert("amount".into(), Dynamic::from(Decimal::new(1250, 2)));
        let rows: Array = vec![Dynamic::from(m.clone()), Dynamic::from(m)];
        let text = render(&Dynamic::from(rows)).unwrap();
        assert!(
            text.contains("customer") && text.contains("12.50"),
            "{text}"
        );
        assert!(text.find("customer") < text.find("amount"), "{text}");
        assert!(text.ends_with("2 rows"), "{text}");
    }
}
