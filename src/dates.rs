//! Dates of the books: one parser and one range for every input.
//!
//! Every date that enters the books (a fixture, an imported file, a script's argument, the
//! command line's `--date`, `--from` and `--to`) is read by [`parse`]: exactly `YYYY-MM-DD`, a
//! day that exists, in the years [`YEARS`]. The ledger checks the dates it is given with
//! [`check`] before it writes them. So every stored date is the canonical ten characters
//! `YYYY-MM-DD`, whose text order is the order of the days: SQLite compares dates as text
//! (`MAX(date)`, `date <= ?`) and that is then the same as comparing them as dates. (Without the
//! range, chrono writes the year 10000 as `+10000-01-01`, which sorts before `1900-01-01`, and
//! neither hledger nor beancount reads it.)

use std::fmt;
use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, de};

/// The years a date of the books may have: 1900 to 9999 (four digits, so that text order is
/// date order).
pub const YEARS: RangeInclusive<i32> = 1900..=9999;

/// A date that is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not written `YYYY-MM-DD` (ten characters, digits and two dashes).
    #[error("'{0}' is not a date written YYYY-MM-DD")]
    Form(String),
    /// Written like a date, but no such day exists (`2026-02-30`).
    #[error("{0} is not a date that exists")]
    NoSuchDay(String),
    /// A day outside [`YEARS`].
    #[error("{0} is outside the years 1900 to 9999")]
    OutOfRange(String),
}

/// Parses a date written exactly `YYYY-MM-DD`, that exists, in [`YEARS`].
pub fn parse(text: &str) -> Result<NaiveDate, DateError> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(DateError::Form(text.to_string()));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| DateError::NoSuchDay(text.to_string()))?;
    check(date)
}

/// Checks that a date is in [`YEARS`] (a date made by code rather than read by [`parse`]).
pub fn check(date: NaiveDate) -> Result<NaiveDate, DateError> {
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange(date.to_string()))
    }
}

/// True when `text` is a date as stored: ten characters `YYYY-MM-DD` (for `debug_assert!`s of
/// code that compares stored dates as text).
pub fn is_canonical(text: &str) -> bool {
    parse(text).is_ok()
}

/// Serde support: a date read through [`parse`] (use with
/// `#[serde(deserialize_with = "dates::deserialize")]`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    deserializer.deserialize_str(DateVisitor)
}

/// Serde support: an optional date (`null` or absent is `None`), read through [`parse`].
pub fn deserialize_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapper(#[serde(deserialize_with = "deserialize")] NaiveDate);
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|w| w.0))
}

struct DateVisitor;

impl de::Visitor<'_> for DateVisitor {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date written YYYY-MM-DD, between the years 1900 and 9999")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
        parse(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_canonical_dates_in_range() {
        assert_eq!(
            parse("2026-11-30").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(parse("1900-01-01").unwrap().year(), 1900);
        assert_eq!(parse("9999-12-31").unwrap().year(), 9999);
        for bad in [
            "+10000-01-01",
            "2026-1-5",
            " 2026-01-05",
            "26-01-05",
            "2026/01/05",
            "",
        ] {
            assert_eq!(parse(bad), Err(DateError::Form(bad.into())), "{bad}");
        }
        assert_eq!(
            parse("2026-02-30").unwrap_err().to_string(),
            "2026-02-30 is not a date that exists"
        );
        assert_eq!(
            parse("1899-12-31").unwrap_err().to_string(),
            "1899-12-31 is outside the years 1900 to 9999"
        );
        let far = NaiveDate::from_ymd_opt(10000, 1, 1).unwrap();
        assert_eq!(
            check(far).unwrap_err().to_string(),
            "+10000-01-01 is outside the years 1900 to 9999"
        );
    }

    #[test]
    fn text_order_is_date_order_in_range() {
        let texts = [
            "1900-01-01",
            "1999-12-31",
            "2026-02-01",
            "2026-11-30",
            "9999-12-31",
        ];
        for pair in texts.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(parse(pair[0]).unwrap() < parse(pair[1]).unwrap());
            assert!(is_canonical(pair[0]));
        }
    }

    #[test]
    fn yaml_dates_go_through_the_parser() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "deserialize")]
            d: NaiveDate,
            #[serde(default, deserialize_with = "deserialize_option")]
            o: Option<NaiveDate>,
        }
        let t: T = serde_yaml::from_str("d: 2026-10-01\no: ~").unwrap();
        assert_eq!(t.d.to_string(), "2026-10-01");
        assert_eq!(t.o, None);
        let e = serde_yaml::from_str::<T>("d: +10000-01-01").err().unwrap();
        assert!(
            e.to_string().contains("is not a date written YYYY-MM-DD"),
            "{e}"
        );
        let e = serde_yaml::from_str::<T>("d: 2026-10-01\no: 1800-01-01")
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("outside the years 1900 to 9999"),
            "{e}"
        );
    }
}
