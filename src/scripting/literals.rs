//! Exact numbers in scripts: a decimal literal, or a text given to `parse_decimal`, with more
//! significant digits than a decimal holds is an error, never rounded
//! (`10.0000000000000000000000000004` would otherwise be `10.000000000000000000000000000`).

use rhai::{Engine, LexError, Token};
use rust_decimal::Decimal;

use super::{Api, RhaiResult, runtime_error};
use crate::money::{MoneyError, parse_decimal};

/// Makes the engine refuse, at compile time, a decimal literal that Rhai would round: the error
/// names the literal and its position (`FILE:LINE:COLUMN`, as every syntax error).
#[allow(deprecated)] // `on_parse_token` is marked volatile, not deprecated.
pub(super) fn exact_literals(engine: &mut Engine) {
    engine.on_parse_token(|token, _position, _state| match token {
        Token::DecimalConstant(ref literal) => match parse_decimal(&literal.1) {
            Err(e @ MoneyError::TooManyDigits(_)) => Token::LexError(Box::new(LexError::Runtime(
                format!("{e}: it would be rounded"),
            ))),
            _ => token,
        },
        other => other,
    });
}

/// Replaces Rhai's `parse_decimal`, which rounds, with the exact one of [`crate::money`].
pub(super) fn register(api: &mut Api) {
    api.add(
        "parse_decimal",
        &["text: String"],
        "Decimal",
        "The decimal number written in the text (`\"12.50\"`, `\"1.5e3\"`), exactly: a text that is not a number, or that has more significant digits than a decimal holds (28), is an error, never rounded.",
        |text: &str| -> RhaiResult<Decimal> {
            parse_decimal(text).map_err(|e| runtime_error(e.to_string()))
        },
    );
}
