//! The Rhai scripting engine: a hardened sandbox with the ledger API registered in it.
//!
//! One function builds every engine ([`Session::engine`]): rule runs, `script`, the REPL and the
//! `--where` selection all get the same sandbox and the same API. Scripts see exact decimals only
//! (`decimal` + `no_float`: `10.50` is a `Decimal`), have no file, network or process access,
//! resolve `import` only inside the rules folder, and run under explicit limits (operations, call
//! depth, expression depth, string/array/map sizes, modules, memory, time) taken from the
//! parameters, so debug and release builds behave the same. `print`, `debug` and `log` go to the session's output.
//!
//! Every API function is registered through [`Api::add`], which records its signature and doc
//! text beside the registration; [`Session::api`] lists them (this feeds `reimburse api`).
//!
//! # Files
//!
//! - `session`: [`Session`] (ledger, posting date, output, `--arg` map, rule file, definitions)
//!   and [`Session::engine`], which builds every session engine.
//! - `sandbox`: [`harden`], the limits and the progress callback; `guard` (what keeps one
//!   operation from crashing or hanging the process), `imports` (the confined module resolver),
//!   `literals` (exact decimal literals and `parse_decimal`) belong to it.
//! - `memory`: [`ScriptMemory`], the counting global allocator, and the memory-limit token.
//! - `api`: [`Api`], the registry that records each function's signature and doc ([`ApiDoc`]).
//! - `types/`: one file per type scripts see (customer, vendor, transaction, balance, voucher,
//!   trial balance row, parameters): its properties and printing.
//! - `functions/`: one file per group of API functions (reads, pure, script_io, master_data,
//!   postings, settlements, reports); a layer above adds its own through `Session::extend` (the
//!   process's `dry_run`).
//! - `read_ahead`: [`ReadAheadEngine`], the engine for another thread, with stand-ins for the functions
//!   that need a session.
//! - `errors`: [`RhaiResult`], [`runtime_error`], [`Skip`], [`ScriptFault`] (script error
//!   positions), [`CompileError`], [`shown`]; `compile`: [`compile_file`], [`compile_text`],
//!   [`eval`].
//! - `args` and `values`: script values in ([`decimal_arg`], [`parse_date`], object-map
//!   arguments) and out (`()` for none, arrays).
//!
//! # Dependencies
//!
//! Below the scripting folder: the ledger (and its store), the parameters, money, dates and bank
//! details; above it: the process, the REPL and the command line, which use it through the names
//! re-exported here. Inside, one direction: `memory`, `guard` ← `sandbox`, `errors` ← `compile`;
//! `api`, `args`, `values` ← `types`, `functions` ← `session`, `read_ahead`. Known exceptions: `session`
//! and `functions` depend on each other (each function holds the session; the session registers
//! them); `table` (`functions::pure`) renders with `crate::render`, below this folder. Nothing here
//! names the process: its `dry_run` is registered from there (`Session::extend`).

pub mod guard;
mod imports;
mod literals;

mod api;
mod args;
mod compile;
mod errors;
mod functions;
mod memory;
mod read_ahead;
mod sandbox;
mod session;
mod types;
mod values;

pub use api::{Api, ApiDoc};
pub use args::{decimal_arg, parse_date};
pub use compile::{compile_file, compile_text, eval};
pub use errors::{CompileError, RhaiResult, ScriptFault, Skip, position, runtime_error, shown};
pub(crate) use functions::{decision_map, reimbursement_map};
pub use memory::ScriptMemory;
pub use read_ahead::ReadAheadEngine;
pub use sandbox::harden;
pub use session::{Definitions, Echo, Extension, Session};
pub use types::ParamsView;
