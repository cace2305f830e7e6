//! The workspace: a scripting session over the company database, its engine, and the rule
//! file's functions (the hooks), with where each script function was defined; what the REPL and
//! `reimburse script` both stand on.
//!
//! Must not depend on the REPL's loop, commands or completion, nor on `cli`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{AST, Engine, EvalAltResult};

use super::entry::located;
use crate::Error;
use crate::ledger::Ledger;
use crate::parameters::Company;
use crate::process::HOOKS;
use crate::scripting::{ApiDoc, Echo, ScriptFault, Session, compile_file, position};

/// A scripting session over a company database with the rule file's functions loaded.
pub struct Workspace {
    pub(super) session: Rc<Session>,
    pub(super) engine: Engine,
    pub(super) docs: Vec<ApiDoc>,
    pub(super) rules_file: PathBuf,
    /// The rule file's functions (empty when it does not compile).
    pub(super) rules: AST,
    /// Where each script function was defined (function name → file or entry).
    pub(super) origins: HashMap<String, String>,
}

impl fmt::Debug for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workspace")
            .field("rules_file", &self.rules_file)
            .finish()
    }
}

impl Workspace {
    /// Opens the company database; `import` resolves inside `import_root` only. Returns the
    /// workspace and, when the rule file does not load, why (the workspace works without hooks).
    pub fn open(
        company: &Company,
        date: NaiveDate,
        import_root: &Path,
    ) -> Result<(Workspace, Option<String>), Error> {
        let ledger = Ledger::open(company)?;
        let session = Session::new(ledger, date, Echo::Stdout);
        session.set_rules_file(Some(company.rules_path.clone()));
        crate::process::offer_script_functions(&session);
        crate::process::offer_lifecycle_functions(&session);
        let (engine, docs) = session.engine(Some(import_root));
        let mut ws = Workspace {
            session,
            engine,
            docs,
            rules_file: company.rules_path.clone(),
            rules: AST::empty(),
            origins: HashMap::new(),
        };
        let warning = ws.load_rules().err();
        Ok((ws, warning))
    }

    /// The session (ledger, posting date, output).
    pub fn session(&self) -> &Rc<Session> {
        &self.session
    }

    /// The API listing.
    pub fn docs(&self) -> &[ApiDoc] {
        &self.docs
    }

    /// (Re)compiles the rule file and keeps its functions. On error the previous functions stay.
    /// Returns a summary of what was loaded, or the error text.
    pub fn load_rules(&mut self) -> Result<String, String> {
        let ast = compile_file(&self.engine, &self.rules_file).map_err(|e| e.to_string())?;
        let functions = ast.clone_functions_only();
        self.origins
            .retain(|_, origin| *origin != self.rules_file.display().to_string());
        let mut names = Vec::new();
        for f in functions.iter_functions() {
            self.origins
                .insert(f.name.to_string(), self.rules_file.display().to_string());
            names.push(f.name.to_string());
        }
        names.sort();
        names.dedup();
        self.rules = functions;
        let missing: Vec<String> = HOOKS
            .iter()
            .filter(|(hook, arity)| {
                !self
                    .rules
                    .iter_functions()
                    .any(|f| f.name == *hook && f.params.len() == *arity)
            })
            .map(|(hook, arity)| format!("{hook}/{arity}"))
            .collect();
        let mut summary = format!(
            "loaded {} ({} function{}: {})",
            self.rules_file.display(),
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        if !missing.is_empty() {
            summary.push_str(&format!("; missing hooks: {}", missing.join(", ")));
        }
        Ok(summary)
    }

    /// Pending row changes since `base` (what a commit would write, counted as SQLite counts
    /// row changes; changes undone by dry runs are not counted, nor are the rows of the audit
    /// trail of master-data changes that come with a change).
    pub(super) fn changes_since(&self, base: &ChangeBase) -> u64 {
        let ledger = self.session.ledger();
        let total = ledger.store().total_changes();
        let undone = self.session.undone_changes() - base.session_undone + base.local_undone;
        let trail = ledger.trail_mark().unwrap_or(base.trail) - base.trail;
        total
            .saturating_sub(base.total)
            .saturating_sub(undone)
            .saturating_sub(u64::try_from(trail).unwrap_or_default())
    }

    pub(super) fn base(&self) -> ChangeBase {
        let ledger = self.session.ledger();
        ChangeBase {
            total: ledger.store().total_changes(),
            session_undone: self.session.undone_changes(),
            local_undone: 0,
            trail: ledger.trail_mark().unwrap_or_default(),
        }
    }

    /// Describes a runtime error: where (what was typed, with a caret; or the file; or the
    /// function and the file or entry that defined it) and what.
    pub(super) fn describe(
        &self,
        err: &EvalAltResult,
        typed: Option<&str>,
        source: &str,
    ) -> String {
        let fault = ScriptFault::from_error(err);
        let Some(inner) = fault.functions.last() else {
            return match typed {
                Some(text) => located(text, fault.line, fault.column, &fault.message),
                None => format!(
                    "{source}{}: {}",
                    position(fault.line, fault.column),
                    fault.message
                ),
            };
        };
        let origin = self
            .origins
            .get(inner)
            .cloned()
            .unwrap_or_else(|| source.to_string());
        let chain = fault
            .functions
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(" → ");
        format!(
            "{origin}{}: in {chain}: {}",
            position(fault.line, fault.column),
            fault.message
        )
    }
}

/// Where counting the session's row changes starts (see [`Workspace::changes_since`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct ChangeBase {
    pub(super) total: u64,
    pub(super) session_undone: u64,
    pub(super) local_undone: u64,
    /// [`Ledger::trail_mark`] at the base.
    pub(super) trail: i64,
}
