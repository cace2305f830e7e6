//! Testing rule changes against fixture ledgers: what a run should do (`run:`, `expect:`, or several
//! `steps:`), and the runner behind `reimburse test` and `cargo test`.
//!
//! Each fixture runs in a fresh database file in a temporary folder, removed afterwards (a file, not
//! memory, so that a run reads its customers ahead and works the rules out there as a real run
//! does): its ledger is loaded, its `parameters:`
//! overrides are applied on top of the company's parameters, then each step (a reimbursement run,
//! a payment, or a decision after the run: approve, reject, hold, release, reverse, write-off) is
//! executed through the same code path as the command line, and the outcome is
//! compared with the expectations. Whatever the expectations say, the trial balance must be zero
//! after every step. A failure is a readable list of differences.
//!
//! A file per part: `find` (the fixture files under the paths given), `runner` (a fixture in its
//! own database, step by step), `step` (a run or a payment, as the command line does it, each as
//! the step's user), `lifecycle_step` (approve, reject, hold, release, reverse, write_off,
//! through the same library functions as the commands), `compare` (the outcome against
//! `expect:`), `compare_lifecycle` (statuses, refusals, write-offs, invoices left unpaid),
//! `books` (balances and the trial balance after a step), `report` ([`FixtureResult`]). The
//! format of a fixture, `expect:` included, is [`crate::fixtures`]'s: the rule tests use the
//! fixtures, the process and the scripts; they must not depend on the command line or the other
//! features (import, REPL, export, generate), and nothing but the command line uses them.

mod books;
mod compare;
mod compare_lifecycle;
mod find;
mod lifecycle_step;
mod report;
mod runner;
mod step;

pub use find::find_fixtures;
pub use report::FixtureResult;
pub use runner::{missing_fixture, run_fixture, run_fixtures};
