//! Exact money: decimal amounts tied to a currency's decimals and rounding rule.
//!
//! Amounts are `rust_decimal::Decimal` everywhere. A currency says how many decimals its amounts may
//! carry; an amount with more decimals is an error ([`MoneyError::TooPrecise`]), never rounded
//! silently. Rounding is explicit ([`Currency::round`]) and uses the currency's rule, half away from
//! zero by default. In the database amounts are stored as integer minor units
//! ([`Currency::to_minor`], [`Currency::from_minor`]) so that SQL sums are exact.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, de};

/// The largest number of decimals a currency may have (minor units must fit an `i64`).
pub const MAX_DECIMALS: u32 = 6;

/// An error about an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a decimal number.
    #[error("'{0}' is not a decimal amount")]
    NotANumber(String),
    /// The number has more significant digits than a decimal holds: it would be rounded.
    #[error("'{0}' has more digits than a decimal number can hold exactly (at most 28)")]
    TooManyDigits(String),
    /// The amount has more decimals than its currency allows.
    #[error("{amount} has more decimals than {currency} allows ({decimals})")]
    TooPrecise {
        /// The amount as given.
        amount: Decimal,
        /// The currency code.
        currency: String,
        /// The currency's number of decimals.
        decimals: u32,
    },
    /// The amount is larger than [`MAX_MINOR`] minor units.
    #[error("{amount} {currency} is too large (at most {max} {currency})")]
    TooLarge {
        /// The amount as given.
        amount: Decimal,
        /// The currency code.
        currency: String,
        /// The largest amount in that currency ([`MAX_MINOR`] minor units).
        max: Decimal,
    },
}

/// The largest amount, in minor units, that a transaction, voucher line or parameter may have:
/// 10^15 (ten trillion in a currency of two decimals). The database sums amounts in 64-bit
/// integers (balances, the trial balance); with this bound, sums of up to 9,000 of the largest
/// amounts still fit, where amounts near the 64-bit limit overflowed the sum of two.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// How a currency rounds a value that has more decimals than it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 0.005 becomes 0.01 and -0.005 becomes -0.01 (the usual commercial rule).
    #[default]
    HalfAwayFromZero,
    /// Banker's rounding: 0.005 becomes 0.00, 0.015 becomes 0.02.
    HalfEven,
    /// Always away from zero: 0.001 becomes 0.01.
    Up,
    /// Always toward zero (truncate): 0.009 becomes 0.00.
    Down,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// A currency: its code, its number of decimals and its rounding rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// ISO-style code, e.g. `USD`.
    pub code: String,
    /// Number of decimals amounts may carry (2 for USD, 0 for JPY).
    pub decimals: u32,
    /// Rounding rule used by [`Currency::round`].
    pub rounding: Rounding,
}

impl Currency {
    /// A currency with the given code and decimals and the default rounding rule.
    pub fn new(code: &str, decimals: u32) -> Self {
        Currency {
            code: code.to_string(),
            decimals,
            rounding: Rounding::default(),
        }
    }

    /// Rounds `amount` to this currency's decimals with its rounding rule; the result always shows
    /// exactly `decimals` decimals (`12.3` becomes `12.30`).
    pub fn round(&self, amount: Decimal) -> Decimal {
        let mut rounded = amount.round_dp_with_strategy(self.decimals, self.rounding.strategy());
        rounded.rescale(self.decimals);
        rounded
    }

    /// Checks that `amount` has no more decimals than this currency allows, and returns it with
    /// exactly the currency's decimals. Trailing zeros do not count (`12.300` is fine for USD).
    pub fn check(&self, amount: Decimal) -> Result<Decimal, MoneyError> {
        if amount.normalize().scale() > self.decimals {
            return Err(MoneyError::TooPrecise {
                amount,
                currency: self.code.clone(),
                decimals: self.decimals,
            });
        }
        let mut exact = amount;
        exact.rescale(self.decimals);
        Ok(exact)
    }

    /// Converts a checked amount into integer minor units (`12.34` USD is `1234`).
    pub fn to_minor(&self, amount: Decimal) -> Result<i64, MoneyError> {
        let exact = self.check(amount)?;
        let too_large = || MoneyError::TooLarge {
            amount,
            currency: self.code.clone(),
            max: self.from_minor(MAX_MINOR),
        };
        // After `check`, the scale is exactly `decimals`, so the mantissa is the minor units.
        i64::try_from(exact.mantissa())
            .ok()
            .filter(|minor| minor.unsigned_abs() <= MAX_MINOR as u64)
            .ok_or_else(too_large)
    }

    /// Converts integer minor units back to an amount with exactly this currency's decimals.
    pub fn from_minor(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.decimals)
    }

    /// Parses a decimal text exactly and checks it against this currency.
    pub fn parse(&self, text: &str) -> Result<Decimal, MoneyError> {
        self.check(parse_decimal(text)?)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// Parses a decimal number exactly from its text (`"0.10"` is exactly 0.10, scale kept).
/// Accepts an optional sign and plain or scientific notation; rejects anything else, and a
/// number with more significant digits than a decimal holds ([`MoneyError::TooManyDigits`]:
/// it would be rounded, `10.0000000000000000000000000004` to `10.000000000000000000000000000`).
pub fn parse_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let trimmed = text.trim();
    let (mantissa, scientific) = match trimmed.find(['e', 'E']) {
        Some(at) => (&trimmed[..at], true),
        None => (trimmed, false),
    };
    let parsed = if scientific {
        Decimal::from_scientific(trimmed)
    } else {
        Decimal::from_str_exact(trimmed)
    };
    let shaped = !mantissa.is_empty()
        && mantissa
            .trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.');
    match parsed {
        Ok(value) if digits_kept(mantissa, value) => Ok(value),
        Ok(_) => Err(MoneyError::TooManyDigits(text.to_string())),
        Err(_) if shaped && mantissa.bytes().filter(u8::is_ascii_digit).count() > 28 => {
            Err(MoneyError::TooManyDigits(text.to_string()))
        }
        Err(_) => Err(MoneyError::NotANumber(text.to_string())),
    }
}

/// True when `value` has exactly the significant digits written in `mantissa` (the text before
/// any exponent): nothing was rounded away.
pub fn digits_kept(mantissa: &str, value: Decimal) -> bool {
    fn significant(digits: impl Iterator<Item = char>) -> String {
        let all: String = digits.filter(char::is_ascii_digit).collect();
        all.trim_start_matches('0')
            .trim_end_matches('0')
            .to_string()
    }
    let written = significant(mantissa.chars());
    let kept = significant(
        value
            .normalize()
            .mantissa()
            .unsigned_abs()
            .to_string()
            .chars(),
    );
    written == kept
}

/// Serde support for exact decimals: deserializes a decimal from the *text* of a number or a string,
/// so `0.10` in YAML stays exactly `0.10` (never through `f64`). Use with
/// `#[serde(deserialize_with = "money::exact::deserialize")]`.
pub mod exact {
    use super::*;

    struct ExactVisitor;

    impl de::Visitor<'_> for ExactVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number such as 25.00")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            parse_decimal(v).map_err(|e| match e {
                MoneyError::TooManyDigits(_) => E::custom(e),
                _ => E::invalid_value(de::Unexpected::Str(v), &self),
            })
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
    }

    /// Deserializes a required exact decimal.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        // `deserialize_str` makes serde_yaml hand over the scalar's text, even for plain numbers.
        deserializer.deserialize_str(ExactVisitor)
    }

    /// Deserializes an optional exact decimal (`null` or absent is `None`).
    pub fn deserialize_option<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(deserialize_with = "deserialize")] Decimal);
        Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|w| w.0))
    }

    /// An exact decimal as a standalone deserializable value (for maps of amounts).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ExactDecimal(pub Decimal);

    impl<'de> Deserialize<'de> for ExactDecimal {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize(deserializer).map(ExactDecimal)
        }
    }
}

/// Formats an amount for people and JSON: the decimal's own text, keeping its scale (`-50.25`).
pub fn format_amount(amount: Decimal) -> String {
    amount.to_string()
}

impl FromStr for Rounding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "half_away_from_zero" => Ok(Rounding::HalfAwayFromZero),
            "half_even" => Ok(Rounding::HalfEven),
            "up" => Ok(Rounding::Up),
            "down" => Ok(Rounding::Down),
            other => Err(format!(
                "unknown rounding '{other}' (expected half_away_from_zero, half_even, up or down)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn parses_exactly_keeping_scale() {
        assert_eq!(d("0.10").to_string(), "0.10");
        assert_eq!(d("-50.25").to_string(), "-50.25");
        assert_eq!(
            d("12345678901234567.89").to_string(),
            "12345678901234567.89"
        );
        assert_eq!(d("1e2"), Decimal::from(100));
        assert!(parse_decimal("ten").is_err());
        assert_eq!(d("-0.000"), Decimal::ZERO);
        assert_eq!(d("1.5e-3").to_string(), "0.0015");
        assert_eq!(
            d("10.000000000000000000000000004").to_string(),
            "10.000000000000000000000000004"
        );
        assert!(parse_decimal("1.2.3").is_err());
    }

    #[test]
    fn too_many_digits_is_an_error_not_rounded() {
        for text in [
            "10.0000000000000000000000000004",
            "0.00000000000000000000000000001",
            "1.23456789012345678901234567891e2",
            "79228162514264337593543950336",
        ] {
            assert_eq!(
                parse_decimal(text),
                Err(MoneyError::TooManyDigits(text.into())),
                "{text}"
            );
        }
        assert_eq!(
            parse_decimal("10.0000000000000000000000000004")
                .unwrap_err()
                .to_string(),
            "'10.0000000000000000000000000004' has more digits than a decimal number can hold exactly (at most 28)"
        );
        assert_eq!(
            parse_decimal("1.2.3"),
            Err(MoneyError::NotANumber("1.2.3".into()))
        );
    }

    #[test]
    fn too_many_decimals_is_an_error_not_rounded() {
        let usd = Currency::new("USD", 2);
        assert_eq!(usd.check(d("12.3")).unwrap().to_string(), "12.30");
        assert_eq!(usd.check(d("12.300")).unwrap().to_string(), "12.30");
        assert!(matches!(
            usd.check(d("12.345")),
            Err(MoneyError::TooPrecise { decimals: 2, .. })
        ));
        let jpy = Currency::new("JPY", 0);
        assert!(jpy.check(d("100.5")).is_err());
        assert_eq!(jpy.check(d("100")).unwrap().to_string(), "100");
    }

    #[test]
    fn rounding_rules() {
        let mut usd = Currency::new("USD", 2);
        assert_eq!(usd.round(d("0.005")).to_string(), "0.01");
        assert_eq!(usd.round(d("-0.005")).to_string(), "-0.01");
        assert_eq!(usd.round(d("0.015")).to_string(), "0.02");
        assert_eq!(usd.round(d("2.5")).to_string(), "2.50");
        usd.rounding = Rounding::HalfEven;
        assert_eq!(usd.round(d("0.005")).to_string(), "0.00");
        assert_eq!(usd.round(d("0.015")).to_string(), "0.02");
        usd.rounding = Rounding::Up;
        assert_eq!(usd.round(d("0.001")).to_string(), "0.01");
        usd.rounding = Rounding::Down;
        assert_eq!(usd.round(d("0.009")).to_string(), "0.00");
        assert_eq!(usd.round(d("-0.009")).to_string(), "0.00");
    }

    #[test]
    fn minor_units_round_trip() {
        let usd = Currency::new("USD", 2);
        assert_eq!(usd.to_minor(d("12.34")).unwrap(), 1234);
        assert_eq!(usd.to_minor(d("-0.1")).unwrap(), -10);
        assert_eq!(usd.from_minor(-5025).to_string(), "-50.25");
        assert_eq!(usd.from_minor(0).to_string(), "0.00");
        let bhd = Currency::new("BHD", 3);
        assert_eq!(bhd.to_minor(d("1.005")).unwrap(), 1005);
        assert!(usd.to_minor(d("99999999999999999999")).is_err());
        // At most 10^15 minor units either way, so that the database's sums fit.
        assert_eq!(usd.to_minor(d("-10000000000000.00")).unwrap(), -MAX_MINOR);
        assert_eq!(
            usd.to_minor(d("-10000000000000.01"))
                .unwrap_err()
                .to_string(),
            "-10000000000000.01 USD is too large (at most 10000000000000.00 USD)"
        );
        assert!(bhd.to_minor(d("50000000000000000.00")).is_err());
    }

    #[test]
    fn exact_deserializer_reads_yaml_numbers_and_strings_exactly() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "exact::deserialize")]
            a: Decimal,
            #[serde(deserialize_with = "exact::deserialize")]
            b: Decimal,
            #[serde(deserialize_with = "exact::deserialize")]
            c: Decimal,
            #[serde(deserialize_with = "exact::deserialize")]
            long: Decimal,
        }
        let t: T =
            serde_yaml::from_str("a: 0.10\nb: \"12.30\"\nc: 25\nlong: 1234567890.123456789012")
                .unwrap();
        assert_eq!(t.a.to_string(), "0.10");
        assert_eq!(t.b.to_string(), "12.30");
        assert_eq!(t.c.to_string(), "25");
        assert_eq!(t.long.to_string(), "1234567890.123456789012");
        assert!(serde_yaml::from_str::<T>("a: x\nb: 1\nc: 1\nlong: 1").is_err());
    }
}
