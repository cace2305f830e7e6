//! How values are written in the formats: free text on one line, beancount strings, currency
//! codes as each format's commodities, and exact amounts.

use super::{ExportError, Format};
use crate::money::Currency;

/// Checks a currency code for the format and returns how the format writes it.
pub(super) fn commodity(code: &str, format: Format) -> Result<String, ExportError> {
    let err = |reason| ExportError::Currency {
        code: code.to_string(),
        format,
        reason,
    };
    match format {
        Format::Beancount => {
            // [A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]
            let chars: Vec<char> = code.chars().collect();
            let upper_or_digit = |c: &char| c.is_ascii_uppercase() || c.is_ascii_digit();
            let ok = (2..=24).contains(&chars.len())
                && chars.first().is_some_and(char::is_ascii_uppercase)
                && chars.last().is_some_and(upper_or_digit)
                && chars
                    .iter()
                    .all(|c| upper_or_digit(c) || "'._-".contains(*c));
            if ok {
                Ok(code.to_string())
            } else {
                Err(err(
                    "beancount commodities are 2 to 24 characters: uppercase letters, digits and ' . _ -, starting with a letter and ending with a letter or digit",
                ))
            }
        }
        Format::Ledger => {
            if code.is_empty() || code.contains(['"', '\n', '\r']) {
                Err(err("empty, or contains a quote or a line break"))
            } else if code.chars().all(|c| c.is_alphabetic()) {
                Ok(code.to_string())
            } else {
                Ok(format!("\"{code}\""))
            }
        }
    }
}

/// Free text on one line (descriptions, names in comments).
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A beancount string literal.
pub(super) fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        one_line(text).replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// An amount of `minor` units of `currency`, exact, with the currency's decimals.
pub fn amount_text(currency: &Currency, minor: i64) -> String {
    currency.from_minor(minor).to_string()
}

pub(super) fn decimals_text(currency: &Currency) -> String {
    if currency.decimals == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(currency.decimals as usize))
    }
}
