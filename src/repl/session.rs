//! The REPL's session: one [`Repl`] holds a workspace, the scope that lives across entries, the
//! functions the user defined and the open transaction; it handles one entry at a time (Rhai code
//! under a savepoint, or a `:` command, see `commands.rs`) and ends by rolling back what was not
//! committed.
//!
//! Must not depend on how lines are read (`line.rs`), nor on `cli`.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{AST, Dynamic, Scope};

use super::completion::Names;
use super::entry::{is_incomplete, located};
use super::workspace::{ChangeBase, Workspace};
use crate::Error;
use crate::ledger::ChangeOrigin;
use crate::parameters::Company;
use crate::process::PostingMark;
use crate::render::{Record, record, render};
use crate::scripting::{Definitions, ScriptMemory, compile_text};
use crate::text::printable_lines;

/// How to start the REPL.
#[derive(Debug, Clone)]
pub struct ReplOptions {
    /// Posting date of postings made in the session.
    pub date: NaiveDate,
    /// Who works in the session (recorded with what it commits).
    pub user: String,
    /// The history file (terminal sessions only); `None`: no history is kept.
    pub history: Option<PathBuf>,
}

/// What to do after an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next entry.
    Continue,
    /// End the session.
    Quit,
}

/// An interactive session: a workspace, a scope, the user's functions and an open transaction.
pub struct Repl {
    pub(super) ws: Workspace,
    pub(super) scope: Scope<'static>,
    pub(super) user: AST,
    pub(super) base: ChangeBase,
    pub(super) entries: usize,
    pub(super) names: Rc<RefCell<Names>>,
    /// Who works in the session, where its transaction's postings begin and what was entered in
    /// it: what `:commit` records with the postings ([`process::record_postings`]).
    pub(super) user_name: String,
    pub(super) mark: PostingMark,
    pub(super) typed: String,
    /// Entries (and commands) that failed: off a terminal, the session then ends with an error.
    pub(super) failed: usize,
}

impl fmt::Debug for Repl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repl")
            .field("ws", &self.ws)
            .field("entries", &self.entries)
            .finish()
    }
}

impl Repl {
    /// Opens the company and begins the session's transaction. Returns the REPL and a warning
    /// when the rule file did not load.
    pub fn new(company: &Company, options: &ReplOptions) -> Result<(Repl, Option<String>), Error> {
        let date = options.date;
        let root = company
            .rules_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let (ws, warning) = Workspace::open(company, date, &root)?;
        let base = ws.base();
        let mut repl = Repl {
            ws,
            scope: Scope::new(),
            user: AST::empty(),
            base,
            entries: 0,
            names: Rc::new(RefCell::new(Names::default())),
            user_name: options.user.clone(),
            mark: PostingMark::default(),
            typed: String::new(),
            failed: 0,
        };
        repl.ws.session.ledger().set_origin(ChangeOrigin {
            user: options.user.clone(),
            source: "repl".into(),
            line: None,
        });
        // Sets the base and the mark.
        repl.begin()?;
        repl.refresh_names();
        Ok((repl, warning))
    }

    /// Begins the session's next transaction.
    pub(super) fn begin(&mut self) -> Result<(), Error> {
        let ledger = self.ws.session.ledger();
        ledger.store().begin()?;
        self.base = self.ws.base();
        self.mark = PostingMark::now(ledger)?;
        self.typed.clear();
        Ok(())
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// Row changes made in the session since the last commit or rollback.
    pub fn pending_changes(&self) -> u64 {
        self.ws.changes_since(&self.base)
    }

    /// True when `text` is an unfinished entry (see `entry::is_incomplete`). Commands are complete.
    pub fn is_incomplete(&self, text: &str) -> bool {
        !text.trim_start().starts_with(':') && is_incomplete(&self.ws.engine, text)
    }

    pub(super) fn refresh_names(&mut self) {
        let mut names = self.names.borrow_mut();
        names.functions.clear();
        names.properties.clear();
        let mut by_type: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for d in &self.ws.docs {
            match d.name.split_once('.') {
                Some((ty, prop)) => {
                    names.properties.insert(prop.to_string());
                    by_type.entry(ty).or_default().insert(prop.to_string());
                }
                None if !d.signature.starts_with("type ") => {
                    names.functions.insert(d.name.clone());
                }
                None => {}
            }
        }
        for f in self
            .ws
            .rules
            .iter_functions()
            .chain(self.user.iter_functions())
        {
            names.functions.insert(f.name.to_string());
        }
        names.variables = self
            .scope
            .iter_raw()
            .map(|(name, _, _)| name.to_string())
            .collect();
        names.variable_properties = self
            .scope
            .iter_raw()
            .filter_map(|(name, _, value)| {
                let Record { kind: ty, fields } = record(value)?;
                let mut properties = by_type.get(ty).cloned().unwrap_or_default();
                properties.extend(fields.into_iter().map(|(k, _)| k));
                Some((name.to_string(), properties))
            })
            .collect();
    }

    /// Entries and commands of the session that failed so far.
    pub fn failed_entries(&self) -> usize {
        self.failed
    }

    /// Handles one complete entry: a `:command` or Rhai code. Output goes to `out`, errors to
    /// `err`; an error never ends the session.
    pub fn handle(&mut self, entry: &str, out: &mut dyn Write, err: &mut dyn Write) -> Flow {
        let trimmed = entry.trim();
        if trimmed.is_empty() {
            return Flow::Continue;
        }
        let result = match trimmed {
            "quit" | "exit" => return self.quit(out),
            "help" => self.command(":help", out, err),
            t if t.starts_with(':') => self.command(t, out, err),
            _ => {
                self.entries += 1;
                let source = format!("entry {}", self.entries);
                self.eval(entry, &source, None, out, err)
            }
        };
        match result {
            Ok(flow) => flow,
            Err(e) => {
                self.failed += 1;
                let _ = writeln!(err, "error: {}", printable_lines(&e.to_string()));
                Flow::Continue
            }
        }
    }

    /// Compiles and runs Rhai code in the session, under a savepoint; prints its value.
    pub(super) fn eval(
        &mut self,
        text: &str,
        source: &str,
        file: Option<&Path>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, Error> {
        let ast = self.compile_entry(text, file)?;
        let merged = self.define_functions(&ast, source);
        self.ensure_transaction(err)?;
        let session = Rc::clone(&self.ws.session);
        let store = session.ledger().store();
        // Each entry runs under a savepoint of the session's transaction.
        debug_assert!(
            store.in_transaction(),
            "an entry runs inside the session's transaction"
        );
        // What `:commit` records the postings with (see `Repl::begin`).
        self.typed.push_str(text);
        self.typed.push('\n');
        let before = store.total_changes();
        store.savepoint("repl_entry")?;
        ScriptMemory::arm();
        let result = crate::scripting::guard::finish(
            self.ws
                .engine
                .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged),
        );
        self.ws.session.take_output();
        let flow = match result {
            Ok(value) => {
                store.release("repl_entry")?;
                if let Some(text) = render(&value) {
                    writeln!(out, "{}", printable_lines(&text))?;
                }
                Flow::Continue
            }
            Err(e) => {
                self.failed += 1;
                store.rollback_to("repl_entry")?;
                let made = store.total_changes() - before;
                self.base.local_undone += made;
                let typed = if file.is_none() { Some(text) } else { None };
                let msg = self.ws.describe(&e, typed, source);
                writeln!(err, "error: {}", printable_lines(&msg))?;
                if made > 0 {
                    writeln!(err, "(the entry's changes were undone)")?;
                }
                Flow::Continue
            }
        };
        self.refresh_names();
        Ok(flow)
    }

    /// Compiles an entry (or a `:load`ed file): a syntax error points at what was typed.
    fn compile_entry(&self, text: &str, file: Option<&Path>) -> Result<AST, Error> {
        match file {
            Some(f) => {
                compile_text(&self.ws.engine, f, text).map_err(|e| Error::Usage(e.to_string()))
            }
            None => self
                .ws
                .engine
                .compile_with_scope(&self.scope, text)
                .map_err(|e| {
                    let pos = e.position();
                    Error::Usage(located(
                        text,
                        pos.line(),
                        pos.position(),
                        &format!("syntax error: {}", e.err_type()),
                    ))
                }),
        }
    }

    /// Keeps the functions `ast` defines for later entries (and dry runs); returns the code to
    /// run: the rule file's functions, the session's, then the entry.
    fn define_functions(&mut self, ast: &AST, source: &str) -> AST {
        // Functions defined here stay for later entries, even when the statements fail.
        let functions = ast.clone_functions_only();
        for f in functions.iter_functions() {
            self.ws
                .origins
                .insert(f.name.to_string(), source.to_string());
        }
        self.user = self.user.merge(&functions);
        // A dry run from here runs the hooks as the session has (re)defined them.
        self.ws.session.set_definitions(Some(Definitions {
            functions: self.user.clone(),
            source: PathBuf::from("<repl>"),
        }));
        self.ws.rules.merge(&self.user).merge(ast)
    }

    /// Begins a new transaction when the database ended the session's (and says so).
    fn ensure_transaction(&mut self, err: &mut dyn Write) -> Result<(), Error> {
        let session = Rc::clone(&self.ws.session);
        let store = session.ledger().store();
        if !store.in_transaction() {
            // The database ended the transaction itself (e.g. a full disk): start a new one.
            let _ = writeln!(
                err,
                "warning: the database ended the session's transaction; uncommitted changes were lost"
            );
            self.begin()?;
        }
        Ok(())
    }

    pub(super) fn quit(&mut self, out: &mut dyn Write) -> Flow {
        self.finish(out);
        Flow::Quit
    }

    /// Ends the session: rolls back what was not committed, and says so.
    pub fn finish(&mut self, out: &mut dyn Write) {
        let store = self.ws.session.ledger().store();
        if !store.in_transaction() {
            return;
        }
        let n = self.pending_changes();
        store.rollback();
        if n > 0 {
            let _ = writeln!(
                out,
                "rolled back {} (not committed; :commit keeps changes)",
                changes(n)
            );
        }
    }
}

/// "1 row change", "2 row changes".
pub(super) fn changes(n: u64) -> String {
    if n == 1 {
        "1 row change".into()
    } else {
        format!("{n} row changes")
    }
}
