//! The Rhai scripting engine: a hardened sandbox with the ledger API registered in it.
//!
//! One function builds every engine ([`Session::engine`]): rule runs, `script`, the REPL and the
//! `--where` selection all get the same sandbox and the same API. Scripts see exact decimals only
//! (`decimal` + `no_float`: `10.50` is a `Decimal`), have no file, network or process access,
//! resolve `import` only inside the rules folder, and run under explicit limits (operations, call
//! depth, expression depth, string/array/map sizes, modules, memory) taken from the parameters, so debug and
//! release builds behave the same. `print`, `debug` and `log` go to the session's output.
//!
//! Every API function is registered through [`Api::add`], which records its signature and doc
//! text beside the registration; [`Session::api`] lists them (this feeds `reimburse api`).

pub mod guard;
mod imports;
mod literals;

mod api;
mod args;
mod compile;
mod detached;
mod errors;
mod functions;
mod memory;
mod sandbox;
mod session;
mod types;
mod values;

pub use api::{Api, ApiDoc};
pub use args::{decimal_arg, parse_date};
pub use compile::{compile_file, compile_text, eval};
pub use detached::Detached;
pub use errors::{CompileError, RhaiResult, ScriptFault, Skip, position, runtime_error, shown};
pub use memory::ScriptMemory;
pub use sandbox::harden;
pub use session::{Definitions, Echo, Session};
pub use types::ParamsView;
