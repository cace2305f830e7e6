//! What scripts pass in: decimals ([`decimal_arg`]), dates ([`parse_date`]) and the object maps
//! of API functions (`MapArgs`: known keys only, typed fields, each error naming the function and
//! the key).
//!
//! It must not depend on the session or the ledger's writes: only on the value types it checks.

use chrono::NaiveDate;
use rhai::{Dynamic, Map};
use rust_decimal::Decimal;

use super::errors::{RhaiResult, runtime_error};
use crate::bank::{Bic, Iban};

/// Reads a decimal from a script value: a decimal or an integer.
pub fn decimal_arg(what: &str, value: &Dynamic) -> RhaiResult<Decimal> {
    if let Some(d) = value.clone().try_cast::<Decimal>() {
        return Ok(d);
    }
    if let Ok(i) = value.as_int() {
        return Ok(Decimal::from(i));
    }
    Err(runtime_error(format!(
        "{what} must be a decimal amount such as 12.50, not {} ({})",
        value,
        value.type_name()
    )))
}

/// Reads fields from an object map, refusing keys that are not expected.
pub(super) struct MapArgs<'m> {
    what: &'static str,
    map: &'m Map,
}

impl<'m> MapArgs<'m> {
    pub(super) fn new(what: &'static str, map: &'m Map, allowed: &[&str]) -> RhaiResult<Self> {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(runtime_error(format!(
                    "{what}: unknown field '{key}' (expected: {})",
                    allowed.join(", ")
                )));
            }
        }
        Ok(MapArgs { what, map })
    }

    pub(super) fn string(&self, key: &str) -> RhaiResult<Option<String>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.to_string())),
            Some(v) => Err(runtime_error(format!(
                "{}: '{key}' must be a string, not {}",
                self.what,
                v.type_name()
            ))),
        }
    }

    pub(super) fn iban(&self, key: &str) -> RhaiResult<Option<Iban>> {
        self.string(key)?
            .map(|text| Iban::parse(&text))
            .transpose()
            .map_err(|e| runtime_error(format!("{}: '{key}': {e}", self.what)))
    }

    pub(super) fn bic(&self, key: &str) -> RhaiResult<Option<Bic>> {
        self.string(key)?
            .map(|text| Bic::parse(&text))
            .transpose()
            .map_err(|e| runtime_error(format!("{}: '{key}': {e}", self.what)))
    }

    /// Whether the map has the key (a `()` value counts: it clears an optional field).
    pub(super) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// An optional text field of an update: kept as it is when the map lacks the key.
    pub(super) fn update_text(&self, key: &str, field: &mut Option<String>) -> RhaiResult<()> {
        if self.has(key) {
            *field = self.string(key)?;
        }
        Ok(())
    }

    /// A required text field of an update: kept as it is when the map lacks the key.
    pub(super) fn update_required(&self, key: &str, field: &mut String) -> RhaiResult<()> {
        if self.has(key) {
            *field = self.required(key)?;
        }
        Ok(())
    }

    pub(super) fn required(&self, key: &str) -> RhaiResult<String> {
        self.string(key)?
            .ok_or_else(|| runtime_error(format!("{}: '{key}' is required", self.what)))
    }

    pub(super) fn bool(&self, key: &str) -> RhaiResult<Option<bool>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).map_err(|t| {
                runtime_error(format!(
                    "{}: '{key}' must be true or false, not {t}",
                    self.what
                ))
            }),
        }
    }

    pub(super) fn decimal(&self, key: &str) -> RhaiResult<Decimal> {
        let v = self
            .map
            .get(key)
            .ok_or_else(|| runtime_error(format!("{}: '{key}' is required", self.what)))?;
        decimal_arg(&format!("{}: '{key}'", self.what), v)
    }

    pub(super) fn date(&self, key: &str, default: NaiveDate) -> RhaiResult<NaiveDate> {
        match self.string(key)? {
            None => Ok(default),
            Some(s) => crate::dates::parse(&s)
                .map_err(|e| runtime_error(format!("{}: '{key}': {e}", self.what))),
        }
    }
}

/// Parses a `YYYY-MM-DD` date from a script.
pub fn parse_date(s: &str) -> RhaiResult<NaiveDate> {
    crate::dates::parse(s).map_err(|e| runtime_error(e.to_string()))
}
