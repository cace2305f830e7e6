//! Exploring and scripting a company: `reimburse repl` (an interactive Rhai session) and
//! `reimburse script` (one Rhai file), both with the whole ledger API of [`crate::scripting`] and
//! the rule hooks of the company's rule file, and both inside one database transaction.
//!
//! # The REPL
//! One [`rhai::Scope`] lives across entries, so `let x = …;` persists; functions defined in an
//! entry (`fn f() {}`) are kept in an AST of their own and merged in front of every later entry,
//! after the rule file's functions (so a user may redefine a hook to try a change; a dry run from
//! the session runs the redefined hook too). An entry that
//! does not parse because it ended too early (an open block, call or string) continues on the next
//! line. Values are shown readably: arrays of customers, vendors, transactions, balances or maps
//! as tables. Errors show their position and never end the session.
//!
//! # Transactions
//! The session opens a write transaction (`BEGIN IMMEDIATE`) at the start: nothing is written
//! until `:commit`, `:rollback` undoes everything since the last commit, and quitting with
//! uncommitted changes says so and rolls back. Each entry runs under a savepoint: an entry that
//! fails leaves nothing behind. While a session holds the transaction, other writers (a run,
//! another session) wait up to the busy timeout and then fail with "database busy" — intended:
//! what the session sees cannot change under it.
//!
//! # Scripts
//! [`run_script`] runs a file the same way, in one transaction that is committed at the end
//!
//! # Files
//! - `workspace.rs`: a session over the database, its engine and the rule hooks ([`Workspace`]);
//! - `session.rs`: the REPL's session ([`Repl`]): entries under savepoints, the transaction;
//! - `commands.rs`: the `:` commands;
//! - `entry.rs`: incomplete entries, error positions with a caret;
//! - `completion.rs`: Tab completion;
//! - `line.rs`: reading lines (rustyline on a terminal, else any reader), history;
//! - `script.rs`: `reimburse script` ([`run_script`]).
//!
//! Readable values and tables come from [`crate::render`] (below both the REPL and scripting).
//! Depends on `scripting`, `process` and the ledger; must not depend on `cli`.

mod commands;
mod completion;
mod entry;
mod line;
mod script;
mod session;
mod workspace;

pub use line::{default_history, interact, interact_with_input};
pub use script::{ScriptError, ScriptOptions, ScriptOutcome, run_script};
pub use session::{Repl, ReplOptions};
