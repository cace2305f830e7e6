//! Rendering of script values for people: the readable values and tables that both the REPL
//! (after each entry, `:vars`) and the scripts' `table()` show.
//!
//! Lives below both its users: it depends on the ledger's value types, the parameters and
//! [`crate::text`] only, and must not depend on `scripting`, `process`, `repl` or `cli`.
//!
//! - `values.rs`: the fields of a domain value or map ([`ParamsView`] included), a value on one
//!   line or in a cell;
//! - `table.rs`: tables of values, [`render`] and [`render_columns`].

mod table;
mod values;

pub(crate) use table::table;
pub use table::{render, render_columns};
pub use values::ParamsView;
pub(crate) use values::{Record, cell, record, type_name};
