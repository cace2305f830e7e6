//! What scripts get back: Rust values as script values (`()` for none, arrays).
//!
//! It must not depend on anything else of the scripting folder.

use rhai::{Array, Dynamic, Variant};

/// An optional text as a script value: the text, or `()`.
pub(super) fn opt(s: &Option<String>) -> Dynamic {
    opt_text(s.as_deref())
}

/// An optional text as a script value: the text, or `()`.
pub(super) fn opt_text(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, |t| Dynamic::from(t.to_string()))
}

/// Values as a script array.
pub(super) fn array<T: Variant + Clone>(items: Vec<T>) -> Array {
    items.into_iter().map(Dynamic::from).collect()
}

/// An optional value as a script value: the value, or `()`.
pub(super) fn unit_or<T: Into<Dynamic>>(value: Option<T>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Into::into)
}
