//! Why a run stopped ([`RunError`]) and a hook's failure or refusal ([`HookError`]). Depends
//! only on the ledger's, the store's and the scripting's errors.

use std::fmt;
use std::path::PathBuf;

use crate::ledger::LedgerError;
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
}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::Ledger(LedgerError::Store(e))
    }
}
