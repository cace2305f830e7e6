//! The integration tests: one test binary (as ripgrep has), a module per feature. Every test
//! drives the real `reimburse` binary (or the library) against real SQLite files in temporary
//! folders; `common` holds the shared helpers.

mod common;

mod ahead_in_place;
mod bad_input;
mod bank_file;
mod bank_parameters;
mod bank_payments;
mod crash;
mod export;
mod files_written;
mod fixture_ledgers;
mod foundation;
mod hostile_scripts;
mod import;
mod input_and_output;
mod lean_writes;
mod ledger_agreement;
mod lifecycle_approval;
mod lifecycle_reversal;
mod pain001;
mod properties;
mod repl;
mod run;
mod run_outcomes;
mod sandbox_limits;
mod scripts;
mod streaming;
mod write_off;
