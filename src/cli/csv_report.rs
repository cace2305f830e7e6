//! CSV reports meant for spreadsheets (`reimbursements --csv`): written through the `csv` crate,
//! which quotes every field that needs it (a comma, a quote, a line break or a bare carriage
//! return, which would otherwise split the row), and with formulas neutralised as OWASP
//! recommends: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`, so that a spreadsheet shows it as text instead of evaluating it (a customer named
//! `=HYPERLINK(…)` stays a name). Number columns are written as they are: `-12.50` must stay a
//! number.
//!
//! Data files meant to be imported again (`generate --csv`) are not neutralised: they must read
//! back exactly; they are quoted by the same crate.

use std::borrow::Cow;
use std::io::Write;

use crate::Error;

/// The characters that make a spreadsheet read a cell as a formula (or, for a tab and a
/// carriage return, that some spreadsheets strip before doing so).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell that a spreadsheet will not read as a formula: with a leading `'` when it begins
/// like one.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes a CSV report: the header, then each row; the columns numbered in `numbers` hold
/// numbers and are written as they are, every other cell is [`neutralise`]d.
pub fn write_report(
    out: &mut dyn Write,
    headers: &[&str],
    numbers: &[usize],
    rows: impl Iterator<Item = Result<Vec<String>, Error>>,
) -> Result<(), Error> {
    let mut w = csv::Writer::from_writer(out);
    let failed = |e: csv::Error| Error::Io(std::io::Error::other(e));
    w.write_record(headers).map_err(failed)?;
    for row in rows {
        let row = row?;
        let cells = row.iter().enumerate().map(|(i, cell)| {
            if numbers.contains(&i) {
                debug_assert!(
                    crate::money::parse_decimal(cell).is_ok(),
                    "column {i} holds numbers: {cell:?}"
                );
                Cow::Borrowed(cell.as_str())
            } else {
                neutralise(cell)
            }
        });
        w.write_record(cells.map(|c| c.into_owned()))
            .map_err(failed)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rows: &[[&str; 3]]) -> String {
        let mut out = Vec::new();
        let rows = rows
            .iter()
            .map(|r| Ok(r.iter().map(|c| c.to_string()).collect()));
        write_report(&mut out, &["name", "amount", "note"], &[1], rows).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(
            report(&[
                ["=1+1", "-12.50", "@SUM(A1)"],
                ["+cmd", "3.00", "-x"],
                ["\tTab", "0.00", "\rCR"],
                ["plain", "-0.01", "a=b"],
            ]),
            "name,amount,note\n'=1+1,-12.50,'@SUM(A1)\n'+cmd,3.00,'-x\n'\tTab,0.00,\"'\rCR\"\nplain,-0.01,a=b\n"
        );
    }

    #[test]
    fn bare_carriage_returns_commas_and_quotes_are_quoted() {
        let text = report(&[["a\rb", "1", "x,\"y\"\nz"]]);
        assert_eq!(text, "name,amount,note\n\"a\rb\",1,\"x,\"\"y\"\"\nz\"\n");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "a\rb");
        assert_eq!(&row[2], "x,\"y\"\nz");
    }
}
