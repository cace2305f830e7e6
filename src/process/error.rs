//! Why a run stopped ([`RunError`]) and a hook's failure or refusal ([`HookError`]). Depends
//! only on the ledger's, the store's and the scripting's errors.

use std::fmt;
use std::path::PathBuf;

use crate::bank_file::BankFileError;
use crate::ledger::{LedgerError, RunId};
use crate::scripting::{CompileError, position};
use crate::store::StoreError;

/// A hook failed or its work was refused by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookError {
    /// The rule file.
    pub file: PathBuf,
    /// The hook.
    pub hook: String,
    /// The customer.
    pub customer: String,
    /// The credit's currency.
    pub currency: String,
    /// Script position: where the error was raised in the script, else (a refusal by the
    /// engine, or an error without a position) where the hook is defined.
    pub line: Option<usize>,
    /// Script column.
    pub column: Option<usize>,
    /// What went wrong.
    pub message: String,
    /// True when the engine refused the hook's work (an accounting rule), false for a script error.
    pub refused: bool,
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}: hook {}, customer {} ({}): {}{}",
            self.file.display(),
            position(self.line, self.column),
            self.hook,
            self.customer,
            self.currency,
            if self.refused {
                "refused by the engine: "
            } else {
                ""
            },
            self.message
        )
    }
}

/// Why a run stopped. Whatever the error, nothing of the run was written.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The rule file does not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The rule file lacks a hook.
    #[error("{}: the rules must define `fn {hook}` with {arity} parameters", file.display())]
    MissingHook {
        /// The rule file.
        file: PathBuf,
        /// The hook.
        hook: String,
        /// Its number of parameters.
        arity: usize,
    },
    /// A hook failed or its work was refused.
    #[error("{0}")]
    Hook(Box<HookError>),
    /// The selection is invalid.
    #[error("{0}")]
    Selection(String),
    /// A ledger error outside the hooks.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// `pay --bank-file` without the company's bank account in the parameters.
    #[error(
        "a bank file needs the company's bank account: add a `bank_account:` section (name, iban, \
         bic) to the company parameters"
    )]
    NoCompanyBankAccount,
    /// `bank-file --run N` for a run that wrote no bank file.
    #[error(
        "payment run {0} wrote no bank file (only a payment run made with --bank-file has one; \
         see `reimburse runs`)"
    )]
    NoBankFile(RunId),
    /// The payment file's content cannot be written (an amount out of the SEPA range, say).
    #[error(transparent)]
    BankFile(#[from] BankFileError),
    /// The bank file cannot be written where asked (nothing was paid).
    #[error("cannot write the bank file {}: {source}", path.display())]
    BankFileOutput {
        /// Where it was to go.
        path: PathBuf,
        /// Why it could not.
        source: std::io::Error,
    },
    /// The payment run committed, but its bank file could not be moved into place.
    #[error(
        "payment run {run} was committed, but its bank file could not be saved as {}: {source}; \
         write it with `reimburse bank-file --run {run} -o FILE`",
        path.display()
    )]
    BankFileNotSaved {
        /// The payment run (committed).
        run: RunId,
        /// Where the file was to go.
        path: PathBuf,
        /// Why it could not.
        source: std::io::Error,
    },
}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::Ledger(LedgerError::Store(e))
    }
}
