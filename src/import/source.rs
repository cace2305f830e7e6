//! Reading an import file: CSV (RFC 4180 through the `csv` crate; UTF-8 with or without a
//! byte-order mark; `,` or `;` as the delimiter, whichever the header line has more of) streamed
//! record by record, or a YAML file in the fixture format, whose section for the kind is read
//! whole. Either way the rows come out as [`Record`]s: the cells of the kind's columns, by name.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use super::problems::{Place, Problem};
use crate::fixtures::{Fixture, FixtureCustomer, FixtureTransaction, FixtureVendor};
use crate::ledger::{CUSTOMER_FIELDS, VENDOR_FIELDS};

/// What a file holds: its columns, required and optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Customers.
    Customers,
    /// Vendors.
    Vendors,
    /// Customer transactions.
    Transactions,
}

impl Kind {
    /// The columns a file of this kind must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Customers => &CUSTOMER_FIELDS[..3],
            Kind::Vendors => &VENDOR_FIELDS[..3],
            Kind::Transactions => &["customer", "date", "type", "document", "amount"],
        }
    }

    /// The columns a file of this kind may have besides.
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            Kind::Customers => &CUSTOMER_FIELDS[3..],
            Kind::Vendors => &VENDOR_FIELDS[3..],
            Kind::Transactions => &["currency", "applies_to"],
        }
    }

    /// The YAML section and the word for one row (`customers`, `customer`).
    pub fn section(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Vendors => "vendors",
            Kind::Transactions => "transactions",
        }
    }

    fn columns(self) -> impl Iterator<Item = &'static str> {
        self.required().iter().chain(self.optional()).copied()
    }
}

/// One row: its place and its cells, one per column of the file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where it is.
    pub place: Place,
    /// The cells, in the order of [`Header::columns`]; `None` is an empty cell.
    pub cells: Vec<Option<String>>,
}

/// A cell of a record, by column name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// The file has no such column.
    NoColumn,
    /// The cell is empty: the value is absent.
    Empty,
    /// The cell's text (trimmed).
    Text(&'a str),
}

/// The columns of a file, as its header names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The column names in file order.
    pub columns: Vec<&'static str>,
}

impl Header {
    /// The cell of `column` in `record`.
    pub fn cell<'r>(&self, record: &'r Record, column: &str) -> Cell<'r> {
        match self.columns.iter().position(|c| *c == column) {
            None => Cell::NoColumn,
            Some(i) => match record.cells.get(i).and_then(Option::as_deref) {
                None => Cell::Empty,
                Some(text) => Cell::Text(text),
            },
        }
    }
}

/// The rows of one import file.
pub struct Source {
    /// The file.
    pub file: PathBuf,
    /// Its columns.
    pub header: Header,
    rows: Rows,
    /// The file's size in bytes (for progress).
    pub size: u64,
}

enum Rows {
    Csv(Box<csv::Reader<Box<dyn Read>>>, csv::ByteRecord),
    Yaml(std::vec::IntoIter<Record>),
}

/// A file that cannot be read at all, or whose header is wrong: its problems.
pub type Refused = Vec<Problem>;

impl Source {
    /// Opens an import file: YAML when its name ends in `.yaml` or `.yml`, else CSV.
    pub fn open(file: &Path, kind: Kind) -> Result<Source, Refused> {
        let unreadable = |e: std::io::Error| {
            vec![Problem::new(
                file,
                &Place::File,
                None,
                format!("cannot read: {e}"),
            )]
        };
        let meta = std::fs::metadata(file).map_err(unreadable)?;
        if !meta.is_file() {
            return Err(vec![Problem::new(
                file,
                &Place::File,
                None,
                "not a regular file",
            )]);
        }
        let size = meta.len();
        let yaml = file
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        let (header, rows) = if yaml {
            yaml_rows(file, kind)?
        } else {
            csv_rows(file, kind, File::open(file).map_err(unreadable)?)?
        };
        Ok(Source {
            file: file.to_path_buf(),
            header,
            rows,
            size,
        })
    }

    /// The next row, a problem with it, or `None` at the end; with the bytes read so far.
    pub fn next_record(&mut self) -> Option<(Result<Record, Problem>, u64)> {
        match &mut self.rows {
            Rows::Yaml(rows) => rows.next().map(|r| (Ok(r), 0)),
            Rows::Csv(reader, record) => loop {
                let result = match reader.read_byte_record(record) {
                    Ok(false) => return None,
                    // A blank line (or one of blank cells) is no row.
                    Ok(true) if record.iter().all(|c| c.trim_ascii().is_empty()) => continue,
                    Ok(true) => csv_record(&self.file, &self.header, record),
                    Err(e) => Err(csv_error(&self.file, &e)),
                };
                return Some((result, reader.position().byte()));
            },
        }
    }
}

fn csv_error(file: &Path, e: &csv::Error) -> Problem {
    let place = e.position().map_or(Place::File, |p| Place::Line(p.line()));
    Problem::new(file, &place, None, format!("malformed CSV: {e}"))
}

/// The cells of a CSV record, checked: as many as the header has, each UTF-8.
fn csv_record(file: &Path, header: &Header, record: &csv::ByteRecord) -> Result<Record, Problem> {
    let place = Place::Line(record.position().map_or(0, csv::Position::line));
    if record.len() != header.columns.len() {
        return Err(Problem::new(
            file,
            &place,
            None,
            format!(
                "{} fields where the header has {} (a quote left open, or a delimiter too many?)",
                record.len(),
                header.columns.len()
            ),
        ));
    }
    let mut cells = Vec::with_capacity(record.len());
    for (bytes, column) in record.iter().zip(&header.columns) {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Problem::new(
                file,
                &place,
                Some(column),
                format!("bytes that are not UTF-8 (at byte {})", e.valid_up_to()),
            )
        })?;
        let text = text.trim();
        cells.push((!text.is_empty()).then(|| text.to_string()));
    }
    Ok(Record { place, cells })
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads the header line, picks the delimiter from it, and gives a CSV reader over the whole
/// file (the header line is read again by the reader, so line numbers are the file's).
fn csv_rows(file: &Path, kind: Kind, handle: File) -> Result<(Header, Rows), Refused> {
    let mut input = BufReader::new(handle);
    let mut first = Vec::new();
    input.read_until(b'\n', &mut first).map_err(|e| {
        vec![Problem::new(
            file,
            &Place::File,
            None,
            format!("cannot read: {e}"),
        )]
    })?;
    let first = first.strip_prefix(BOM).map(<[u8]>::to_vec).unwrap_or(first);
    let delimiter = delimiter_of(&first);
    let joined: Box<dyn Read> = Box::new(Cursor::new(first).chain(input));
    // Records end at `\n` (a `\r` before it is trimmed with the cell): the `csv` crate's CRLF
    // terminator counts a record's line before its `\n`, one line short.
    let mut reader = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(joined);
    let names: Vec<String> = match reader.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_string())
            .collect(),
        Err(e) => return Err(vec![csv_error(file, &e)]),
    };
    let header = check_header(file, kind, &names)?;
    Ok((header, Rows::Csv(Box::new(reader), csv::ByteRecord::new())))
}

/// `;` when the header line has more semicolons than commas outside quotes, else `,`.
fn delimiter_of(line: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// Checks a header: every name a column of the kind, none twice, every required one there.
fn check_header(file: &Path, kind: Kind, names: &[String]) -> Result<Header, Refused> {
    let header_place = Place::Line(1);
    let mut problems = Vec::new();
    let mut columns = Vec::new();
    for name in names {
        match kind.columns().find(|c| c == name) {
            Some(c) if columns.contains(&c) => problems.push(Problem::new(
                file,
                &header_place,
                Some(c),
                "the column is named twice",
            )),
            Some(c) => columns.push(c),
            None => problems.push(Problem::new(
                file,
                &header_place,
                Some(if name.is_empty() { "(empty)" } else { name }),
                format!(
                    "unknown column for {} (the columns are: {})",
                    kind.section(),
                    kind.columns().collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    for required in kind.required() {
        if !columns.contains(required) {
            problems.push(Problem::new(
                file,
                &header_place,
                Some(required),
                "a required column is missing",
            ));
        }
    }
    if problems.is_empty() {
        Ok(Header { columns })
    } else {
        Err(problems)
    }
}

/// A YAML file in the fixture format: the kind's section, each entry a record with every column.
fn yaml_rows(file: &Path, kind: Kind) -> Result<(Header, Rows), Refused> {
    let refused =
        |e: crate::fixtures::FixtureError| vec![Problem::new(file, &Place::File, None, e)];
    let text = crate::fixtures::read(file).map_err(refused)?;
    let fixture: Fixture = crate::fixtures::parse(file, &text).map_err(refused)?;
    let header = Header {
        columns: kind.columns().collect(),
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let place = |i: usize| Place::Entry {
        section: kind.section(),
        index: i as u64,
    };
    match kind {
        Kind::Customers => {
            for (i, c) in fixture.customers.iter().enumerate() {
                records.push(customer_record(c, place(i)));
            }
        }
        Kind::Vendors => {
            for (i, v) in fixture.vendors.iter().enumerate() {
                if v.one_time || v.created_for.is_some() {
                    problems.push(Problem::new(
                        file,
                        &place(i),
                        Some("one_time"),
                        "one-time vendors are made by runs, not imported",
                    ));
                }
                records.push(vendor_record(v, place(i)));
            }
        }
        Kind::Transactions => {
            for (i, t) in fixture.transactions.iter().enumerate() {
                records.push(transaction_record(t, place(i)));
            }
        }
    }
    let lost = !fixture.vendor_transactions.is_empty() || !fixture.settlements.is_empty();
    if kind == Kind::Transactions && lost {
        problems.push(Problem::new(
            file,
            &Place::File,
            None,
            "an import takes customers, vendors and customer transactions; settle with \
             `applies_to` on a transaction, not `settlements:` (vendor_transactions are not imported)",
        ));
    }
    if problems.is_empty() {
        Ok((header, Rows::Yaml(records.into_iter())))
    } else {
        Err(problems)
    }
}

fn text(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn customer_record(c: &FixtureCustomer, place: Place) -> Record {
    // In the order of Kind::Customers' columns.
    let cells = vec![
        text(&Some(c.account.clone())),
        text(&Some(c.name.clone())),
        text(&c.currency),
        text(&c.group),
        text(&c.vendor_account),
        Some(c.payment_hold.to_string()),
        text(&c.address),
        text(&c.tax_id),
        text(&c.iban),
        text(&c.bic),
    ];
    Record { place, cells }
}

fn vendor_record(v: &FixtureVendor, place: Place) -> Record {
    let cells = vec![
        text(&Some(v.account.clone())),
        text(&Some(v.name.clone())),
        text(&v.currency),
        text(&v.group),
        Some(v.blocked.to_string()),
        text(&v.address),
        text(&v.tax_id),
        text(&v.iban),
        text(&v.bic),
        text(&v.payment_terms),
        text(&v.method_of_payment),
    ];
    Record { place, cells }
}

fn transaction_record(t: &FixtureTransaction, place: Place) -> Record {
    let cells = vec![
        text(&t.customer),
        Some(t.date.to_string()),
        text(&Some(t.kind.clone())),
        text(&Some(t.document.clone())),
        Some(t.amount.to_string()),
        text(&t.currency),
        text(&t.applies_to),
    ];
    Record { place, cells }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(text: &[u8], kind: Kind) -> (Result<Source, Refused>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.csv");
        std::fs::write(&file, text).unwrap();
        (Source::open(&file, kind), dir)
    }

    fn all(source: &mut Source) -> Vec<Result<Record, Problem>> {
        std::iter::from_fn(|| source.next_record().map(|(r, _)| r)).collect()
    }

    #[test]
    fn semicolons_and_a_byte_order_mark() {
        let (source, _dir) = rows_of(
            b"\xEF\xBB\xBFname;account;currency\n\"A; B\";C-1;EUR\n",
            Kind::Customers,
        );
        let mut source = source.unwrap();
        assert_eq!(source.header.columns, ["name", "account", "currency"]);
        let rows = all(&mut source);
        let row = rows[0].as_ref().unwrap();
        assert_eq!(row.place, Place::Line(2));
        assert_eq!(source.header.cell(row, "name"), Cell::Text("A; B"));
        assert_eq!(source.header.cell(row, "group"), Cell::NoColumn);
    }

    #[test]
    fn a_wrong_header_names_each_column() {
        let (source, _dir) = rows_of(b"account,nmae,account\n", Kind::Customers);
        let problems: Vec<String> = source
            .err()
            .unwrap()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].ends_with(":1: nmae: unknown column for customers (the columns are: account, name, currency, group, vendor_account, payment_hold, address, tax_id, iban, bic)"));
        assert!(problems[1].ends_with(":1: account: the column is named twice"));
        assert!(problems[2].ends_with(":1: name: a required column is missing"));
    }

    #[test]
    fn bad_bytes_and_open_quotes_are_row_problems() {
        let (source, _dir) = rows_of(
            b"account,name,currency\nC-1,Caf\xE9,EUR\nC-2,\"Open,EUR\nC-3,Fine,EUR\n",
            Kind::Customers,
        );
        let rows = all(&mut source.unwrap());
        let first = rows[0].as_ref().unwrap_err().to_string();
        assert!(
            first.ends_with(":2: name: bytes that are not UTF-8 (at byte 3)"),
            "{first}"
        );
        let second = rows[1].as_ref().unwrap_err().to_string();
        assert!(
            second.contains(":3: 2 fields where the header has 3"),
            "{second}"
        );
    }
}
