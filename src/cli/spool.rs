//! Row spools: how the commands that can list millions of rows (`run`, `pay`, `reimbursements`)
//! keep memory flat. Rows go to an unnamed temporary file as they are made, one JSON value a
//! line; only counts and column widths stay in memory. Nothing reaches standard output until the
//! command has succeeded; then the output is written from the spools: the `--json` document
//! streamed through serde_json (the same text `serde_json::to_writer_pretty` gives for the whole
//! report), a table through comfy-table when it has few rows, or else by [`write_table`]'s own
//! renderer, which draws the same table row by row with the column widths measured while
//! spooling.
//!
//! The file is made by `tempfile::tempfile()` in `std::env::temp_dir()`: it has no name (or loses
//! it at once), so the operating system removes it however the process ends, even when killed.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use comfy_table::CellAlignment;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::Error;

/// Tables with more rows than this are drawn by [`write_table`]'s streaming renderer rather than
/// comfy-table (which holds every row in memory, a few KB each).
pub const TABLE_BUFFER_ROWS: u64 = 1000;

/// The environment variable that overrides [`TABLE_BUFFER_ROWS`] (for tests).
pub const TABLE_BUFFER_ROWS_VAR: &str = "REIMBURSE_TABLE_BUFFER_ROWS";

/// [`TABLE_BUFFER_ROWS`], or the number in `REIMBURSE_TABLE_BUFFER_ROWS`.
pub fn table_buffer_rows() -> u64 {
    std::env::var(TABLE_BUFFER_ROWS_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(TABLE_BUFFER_ROWS)
}

/// Rows being written to a temporary file. Neither making the file nor writing to it fails on
/// the spot (observers cannot return errors, and a run that cannot spool its rows still commits,
/// its rows being in the books): the first error is kept and returned by [`Spool::finish`],
/// naming the temporary folder.
pub struct Spool {
    /// `None` only when it could not be made (then `error` says why).
    file: Option<BufWriter<File>>,
    len: u64,
    widths: Vec<usize>,
    error: Option<std::io::Error>,
}

impl Spool {
    /// An empty spool in a new unnamed temporary file (in `TMPDIR`).
    pub fn new() -> Spool {
        let (file, error) = match tempfile::tempfile() {
            Ok(f) => (Some(BufWriter::with_capacity(64 * 1024, f)), None),
            Err(e) => (None, Some(temp_error(e))),
        };
        Spool {
            file,
            len: 0,
            widths: Vec::new(),
            error,
        }
    }

    /// Rows written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Appends a row (any serializable value, as one JSON line).
    pub fn push<T: Serialize + ?Sized>(&mut self, row: &T) {
        let (None, Some(file)) = (&self.error, &mut self.file) else {
            return;
        };
        let written = serde_json::to_writer(&mut *file, row)
            .map_err(std::io::Error::from)
            .and_then(|()| file.write_all(b"\n"));
        match written {
            Ok(()) => self.len += 1,
            Err(e) => self.error = Some(temp_error(e)),
        }
    }

    /// Appends a table row, measuring the width of each cell for [`write_table`].
    pub fn push_cells(&mut self, cells: &[String]) {
        if self.widths.len() < cells.len() {
            self.widths.resize(cells.len(), 0);
        }
        for (w, cell) in self.widths.iter_mut().zip(cells) {
            *w = (*w).max(cell_width(cell));
        }
        self.push(cells);
    }

    /// Ends writing; the rows can then be read back.
    pub fn finish(mut self) -> Result<Spooled, Error> {
        debug_assert!(self.file.is_some() || self.error.is_some());
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        let Some(mut file) = self.file.take() else {
            return Err(std::io::Error::other("the rows were not spooled").into());
        };
        file.flush().map_err(temp_error)?;
        let file = file.into_inner().map_err(|e| temp_error(e.into_error()))?;
        Ok(Spooled {
            file,
            len: self.len,
            widths: self.widths,
        })
    }
}

/// An error of the temporary file, naming its folder (`TMPDIR`).
fn temp_error(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!(
            "cannot spool the rows to a temporary file in {} (TMPDIR): {e}",
            std::env::temp_dir().display()
        ),
    )
}

/// The rows of a finished [`Spool`], to read back (as often as needed).
pub struct Spooled {
    file: File,
    len: u64,
    widths: Vec<usize>,
}

impl Spooled {
    /// Number of rows.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The widest cell of each column (rows pushed with [`Spool::push_cells`]).
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The rows, in the order they were pushed, each read as a `T`.
    pub fn rows<T: DeserializeOwned>(
        &self,
    ) -> Result<impl Iterator<Item = Result<T, Error>> + '_, Error> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))?;
        Ok(BufReader::with_capacity(64 * 1024, file)
            .lines()
            .map(|line| Ok(serde_json::from_str(&line?)?)))
    }
}

/// Writes `header` as the pretty JSON document `serde_json::to_writer_pretty` would give for it
/// (and a newline), with each array named in `lists` taken from its spool: the report's own lists
/// are left empty and its rows are streamed from the file. Keys come in `serde_json::Value`'s
/// order (sorted), in the rows too, as when the whole report went through `serde_json::to_value`.
pub fn write_json(
    out: &mut dyn Write,
    header: &impl Serialize,
    lists: &[(&str, &Spooled)],
) -> Result<(), Error> {
    let Value::Object(map) = serde_json::to_value(header)? else {
        unreachable!("a report serializes to a JSON object")
    };
    for (key, _) in lists {
        debug_assert!(map.contains_key(*key), "the report has no list {key:?}");
    }
    let mut w = BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut w, &Document { map: &map, lists })?;
    writeln!(w)?;
    w.flush()?;
    Ok(())
}

struct Document<'a> {
    map: &'a serde_json::Map<String, Value>,
    lists: &'a [(&'a str, &'a Spooled)],
}

impl Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.map.len()))?;
        for (key, value) in self.map {
            match self.lists.iter().find(|(k, _)| k == key) {
                Some((_, spool)) => map.serialize_entry(key, &Rows(spool))?,
                None => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

struct Rows<'a>(&'a Spooled);

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.0.len() as usize))?;
        // Each row is read as a `Value`, whose keys are sorted, like the rows of the report's
        // `serde_json::to_value`.
        for row in self.0.rows::<Value>().map_err(S::Error::custom)? {
            seq.serialize_element(&row.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// Writes the table of a spool of cells (rows pushed with [`Spool::push_cells`]) and a newline,
/// in the style of `cli::table` (comfy-table's `UTF8_FULL_CONDENSED`), the columns numbered in
/// `right` aligned right. Up to `buffer_rows` rows it is comfy-table's; above, the same table drawn
/// line by line from the spool with the widths measured while spooling, so memory stays flat.
pub fn write_table(
    out: &mut dyn Write,
    headers: &[&str],
    right: &[usize],
    rows: &Spooled,
    buffer_rows: u64,
) -> Result<(), Error> {
    if rows.len() <= buffer_rows {
        let mut t = super::table(headers);
        for row in rows.rows::<Vec<String>>()? {
            t.add_row(crate::text::printable_row(row?));
        }
        super::right_align(&mut t, right);
        writeln!(out, "{t}")?;
        return Ok(());
    }
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| cell_width(h).max(rows.widths().get(i).copied().unwrap_or(0)))
        .collect();
    let align = |i: usize| {
        if right.contains(&i) {
            CellAlignment::Right
        } else {
            CellAlignment::Left
        }
    };
    let mut w = BufWriter::with_capacity(64 * 1024, out);
    let border = |w: &mut dyn Write, [left, fill, junction, end]: [char; 4]| {
        let parts: Vec<String> = widths
            .iter()
            .map(|n| fill.to_string().repeat(n + 2))
            .collect();
        writeln!(w, "{left}{}{end}", parts.join(&junction.to_string()))
    };
    let line = |w: &mut dyn Write, cells: &[String]| {
        let parts: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = " ".repeat(n.saturating_sub(cell_width(cell)));
                // Like comfy-table, the header cell is aligned like its column.
                match align(i) {
                    CellAlignment::Right => format!(" {pad}{cell} "),
                    _ => format!(" {cell}{pad} "),
                }
            })
            .collect();
        writeln!(w, "│{}│", parts.join("┆"))
    };
    border(&mut w, ['┌', '─', '┬', '┐'])?;
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    line(&mut w, &headers)?;
    border(&mut w, ['╞', '═', '╪', '╡'])?;
    for row in rows.rows::<Vec<String>>()? {
        let row: Vec<String> = row?.into_iter().map(one_line).collect();
        line(&mut w, &row)?;
    }
    border(&mut w, ['└', '─', '┴', '┘'])?;
    w.flush()?;
    Ok(())
}

/// The display width of a cell as comfy-table measures it.
fn cell_width(cell: &str) -> usize {
    one_line(cell.to_string()).width()
}

/// A cell on one line, as the table shows it: control characters escaped
/// ([`crate::text::printable`]), so a line break, a carriage return or an escape in a name can
/// neither split the row nor act on the terminal.
fn one_line(cell: String) -> String {
    match crate::text::printable(&cell) {
        std::borrow::Cow::Borrowed(_) => cell,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spooled(rows: &[[&str; 3]]) -> Spooled {
        let mut s = Spool::new();
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| c.to_string()).collect();
            s.push_cells(&cells);
        }
        s.finish().unwrap()
    }

    fn table_text(rows: &Spooled, buffer_rows: u64) -> String {
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["customer", "amount", "é wide"],
            &[1],
            rows,
            buffer_rows,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_streamed_table_is_comfy_tables_table() {
        let rows = spooled(&[
            ["C-001", "50.00", "x"],
            ["C-000000002", "1510.50", ""],
            ["Zoë", "-3.5", "日本語のテキスト"],
        ]);
        let comfy = table_text(&rows, 10);
        let streamed = table_text(&rows, 0);
        assert_eq!(streamed, comfy, "\n{streamed}\n{comfy}");
        // Read back as often as needed.
        assert_eq!(table_text(&rows, 0), comfy);
    }

    #[test]
    fn json_rows_come_back_with_sorted_keys() {
        #[derive(Serialize)]
        struct Row {
            b: i64,
            a: Option<String>,
        }
        #[derive(Serialize)]
        struct Report {
            z: u64,
            rows: Vec<Row>,
            m: Vec<String>,
        }
        let full = Report {
            z: 2,
            rows: vec![
                Row { b: 1, a: None },
                Row {
                    b: 2,
                    a: Some("\"q\"\n".into()),
                },
            ],
            m: vec![],
        };
        let mut s = Spool::new();
        for r in &full.rows {
            s.push(r);
        }
        let rows = s.finish().unwrap();
        let empty = Spool::new().finish().unwrap();
        let header = Report {
            rows: vec![],
            ..full
        };
        let mut out = Vec::new();
        write_json(&mut out, &header, &[("rows", &rows), ("m", &empty)]).unwrap();
        let full = Report {
            rows: vec![
                Row { b: 1, a: None },
                Row {
                    b: 2,
                    a: Some("\"q\"\n".into()),
                },
            ],
            ..header
        };
        let expected =
            serde_json::to_string_pretty(&serde_json::to_value(&full).unwrap()).unwrap() + "\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
