//! Bank details of customers and vendors: [`Iban`] and [`Bic`], each checked when it is made
//! (the IBAN's country format and checksum by the `iban_validate` crate, the BIC's ISO 9362
//! shape), and kept in one normal form (electronic: no spaces, upper case), so two spellings of
//! one account compare equal.

use std::fmt;

use iban::IbanLike;
use serde::Serialize;

/// Bank details that cannot be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    /// The IBAN's shape, country format or checksum is wrong.
    #[error("'{text}' is not a valid IBAN ({reason})")]
    Iban {
        /// What was given.
        text: String,
        /// Why it is refused.
        reason: String,
    },
    /// The BIC does not have the ISO 9362 shape.
    #[error(
        "'{0}' is not a valid BIC (8 or 11 characters: 4 letters for the bank, 2 for the \
         country, 2 letters or digits for the location, optionally 3 for the branch)"
    )]
    Bic(String),
}

/// An International Bank Account Number, checked (country format and checksum) and kept in the
/// electronic format (`DE44500105175407324931`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Iban(String);

impl Iban {
    /// Checks an IBAN written with or without spaces, in any case.
    pub fn parse(text: &str) -> Result<Iban, BankError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let reason = match compact.parse::<iban::Iban>() {
            Ok(iban) => return Ok(Iban(iban.electronic_str().to_string())),
            Err(iban::ParseIbanError::InvalidBaseIban {
                source: iban::ParseBaseIbanError::InvalidChecksum,
            }) => "its check digits do not match: a digit is wrong or two are swapped".to_string(),
            Err(iban::ParseIbanError::InvalidBaseIban { .. }) => {
                "2 letters, 2 check digits, then up to 30 letters and digits".to_string()
            }
            Err(e) => e.to_string(),
        };
        Err(BankError::Iban {
            text: text.to_string(),
            reason,
        })
    }

    /// An IBAN read back from the database, where only checked ones are written.
    pub(crate) fn stored(text: String) -> Iban {
        debug_assert!(
            Iban::parse(&text).is_ok(),
            "stored IBAN {text} is not valid"
        );
        Iban(text)
    }

    /// The electronic format: no spaces, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country code: the IBAN's first two letters.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// Whether the account is in a country of the SEPA schemes' geographical scope
    /// ([`SEPA_COUNTRIES`]), so that a SEPA credit transfer can reach it.
    pub fn in_sepa(&self) -> bool {
        SEPA_COUNTRIES.contains(&self.country())
    }
}

/// The IBAN country codes of the SEPA schemes' geographical scope (EPC409-09): the 27 EU member
/// states, Iceland, Liechtenstein and Norway, Switzerland, the United Kingdom (with Guernsey,
/// Jersey and the Isle of Man, whose IBANs are British), Monaco, San Marino, Vatican City,
/// Andorra, Gibraltar, and the countries admitted in 2024 and 2025 (Albania, Montenegro, Moldova,
/// North Macedonia). French, Portuguese and Spanish outermost regions use their country's IBANs.
pub const SEPA_COUNTRIES: [&str; 41] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "GB",
    "MC", "SM", "VA", "AD", "GI", "AL", "ME", "MD", "MK",
];

impl<'de> serde::Deserialize<'de> for Iban {
    /// An IBAN from text (company parameters): checked like [`Iban::parse`].
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Iban, D::Error> {
        let text = String::deserialize(d)?;
        Iban::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Business Identifier Code (ISO 9362): `DEUTDEFF` or `DEUTDEFF500`, kept in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Bic(String);

impl Bic {
    /// Checks a BIC's shape: 4 letters (bank), 2 letters (country), 2 letters or digits
    /// (location), optionally 3 letters or digits (branch). Any case is accepted.
    pub fn parse(text: &str) -> Result<Bic, BankError> {
        let upper = text.trim().to_ascii_uppercase();
        let b = upper.as_bytes();
        let shaped = (b.len() == 8 || b.len() == 11)
            && b[..6].iter().all(u8::is_ascii_uppercase)
            && b[6..].iter().all(u8::is_ascii_alphanumeric);
        if shaped {
            Ok(Bic(upper))
        } else {
            Err(BankError::Bic(text.to_string()))
        }
    }

    /// A BIC read back from the database, where only checked ones are written.
    pub(crate) fn stored(text: String) -> Bic {
        debug_assert!(Bic::parse(&text).is_ok(), "stored BIC {text} is not valid");
        Bic(text)
    }

    /// The BIC in upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Bic {
    /// A BIC from text (company parameters): checked like [`Bic::parse`].
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bic, D::Error> {
        let text = String::deserialize(d)?;
        Bic::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_is_checked_and_kept_electronic() {
        let iban = Iban::parse("de44 5001 0517 5407 3249 31").unwrap();
        assert_eq!(iban.as_str(), "DE44500105175407324931");
        // One digit changed: the checksum fails.
        assert!(matches!(
            Iban::parse("DE44500105175407324932"),
            Err(BankError::Iban { .. })
        ));
        assert!(Iban::parse("").is_err());
        assert!(Iban::parse("not an iban").is_err());
    }

    #[test]
    fn sepa_countries_are_those_of_the_schemes() {
        assert!(
            Iban::parse("DE44 5001 0517 5407 3249 31")
                .unwrap()
                .in_sepa()
        );
        assert!(
            Iban::parse("GB29 NWBK 6016 1331 9268 19")
                .unwrap()
                .in_sepa()
        );
        let brazil = Iban::parse("BR1800360305000010009795493C1").unwrap();
        assert_eq!(brazil.country(), "BR");
        assert!(!brazil.in_sepa());
    }

    #[test]
    fn bic_has_the_iso_shape() {
        assert_eq!(Bic::parse("deutdeff").unwrap().as_str(), "DEUTDEFF");
        assert_eq!(Bic::parse("DEUTDEFF500").unwrap().as_str(), "DEUTDEFF500");
        for bad in [
            "DEUTDEF",
            "DEUTDEFF50",
            "1EUTDEFF",
            "DEUT1EFF",
            "DEUTDEFF-00",
            "",
        ] {
            assert_eq!(Bic::parse(bad), Err(BankError::Bic(bad.into())), "{bad}");
        }
    }
}
