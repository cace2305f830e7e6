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
//! unless it is a dry run or the script fails.

use crate::text::printable_lines;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{AST, Dynamic, Engine, EvalAltResult, ParseErrorType, Scope};

use crate::Error;
use crate::ledger::{ChangeOrigin, Ledger};
use crate::parameters::Company;
use crate::process::{self, HOOKS, PostingMark, PostingSource};
use crate::render::{cell, record, table, type_name};
pub use crate::render::{render, render_columns};
use crate::scripting::{
    ApiDoc, CompileError, Definitions, Echo, ScriptFault, ScriptMemory, Session, compile_file,
    compile_text, position,
};

// ----- the workspace: a session, its engine and the rule hooks -----

/// A scripting session over a company database with the rule file's functions loaded.
pub struct Workspace {
    session: Rc<Session>,
    engine: Engine,
    docs: Vec<ApiDoc>,
    rules_file: PathBuf,
    /// The rule file's functions (empty when it does not compile).
    rules: AST,
    /// Where each script function was defined (function name → file or entry).
    origins: HashMap<String, String>,
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
    fn changes_since(&self, base: &ChangeBase) -> u64 {
        let ledger = self.session.ledger();
        let total = ledger.store().conn().total_changes();
        let undone = self.session.undone_changes() - base.session_undone + base.local_undone;
        let trail = ledger.trail_mark().unwrap_or(base.trail) - base.trail;
        total
            .saturating_sub(base.total)
            .saturating_sub(undone)
            .saturating_sub(u64::try_from(trail).unwrap_or_default())
    }

    fn base(&self) -> ChangeBase {
        let ledger = self.session.ledger();
        ChangeBase {
            total: ledger.store().conn().total_changes(),
            session_undone: self.session.undone_changes(),
            local_undone: 0,
            trail: ledger.trail_mark().unwrap_or_default(),
        }
    }

    /// Describes a runtime error: where (what was typed, with a caret; or the file; or the
    /// function and the file or entry that defined it) and what.
    fn describe(&self, err: &EvalAltResult, typed: Option<&str>, source: &str) -> String {
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

/// A message about typed text: the message, the position when the text has several lines, and
/// the line with a caret.
fn located(text: &str, line: Option<usize>, column: Option<usize>, message: &str) -> String {
    let mut out = message.to_string();
    if text.lines().count() > 1
        && let (Some(l), Some(c)) = (line, column)
    {
        out.push_str(&format!(" (line {l}, column {c})"));
    }
    if let Some(c) = caret(text, line, column) {
        out.push('\n');
        out.push_str(&c);
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct ChangeBase {
    total: u64,
    session_undone: u64,
    local_undone: u64,
    /// [`Ledger::trail_mark`] at the base.
    trail: i64,
}

/// Shows the line of `text` at `line` with a caret under `column`.
fn caret(text: &str, line: Option<usize>, column: Option<usize>) -> Option<String> {
    let line = line?;
    let src = text.lines().nth(line.checked_sub(1)?)?;
    let width = line.to_string().len();
    let mut out = format!("  {line} | {src}");
    if let Some(col) = column {
        let pad: String = src
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("\n  {} | {pad}^", " ".repeat(width)));
    }
    Some(out)
}

/// True when `text` fails to parse only because it ended too early (an open block, call, array,
/// map or back-tick string): the REPL then reads another line.
pub fn is_incomplete(engine: &Engine, text: &str) -> bool {
    let Err(e) = engine.compile(text) else {
        return false;
    };
    let pos = e.position();
    match e.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::MissingToken(..) => at_or_after_end(text, pos.line(), pos.position()),
        ParseErrorType::BadInput(rhai::LexError::UnterminatedString) => {
            // A back-tick string may span lines; a "…" string may not.
            let (Some(l), Some(c)) = (pos.line(), pos.position()) else {
                return false;
            };
            text.lines()
                .nth(l - 1)
                .and_then(|s| s.chars().nth(c - 1))
                .is_some_and(|ch| ch == '`')
        }
        _ => false,
    }
}

fn at_or_after_end(text: &str, line: Option<usize>, column: Option<usize>) -> bool {
    let (Some(line), Some(column)) = (line, column) else {
        return true;
    };
    // The position of the last character that is not white space.
    let mut last = (1, 0);
    for (i, l) in text.lines().enumerate() {
        let chars: Vec<char> = l.chars().collect();
        if let Some(c) = chars.iter().rposition(|c| !c.is_whitespace()) {
            last = (i + 1, c + 1);
        }
    }
    (line, column) > last
}

// ----- the REPL -----

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

/// The default history file: `$REIMBURSE_HISTORY`, else `~/.reimburse_history`.
pub fn default_history() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REIMBURSE_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".reimburse_history"))
}

const COMMANDS: &[(&str, &str)] = &[
    (":help", "this help"),
    (
        ":api [word]",
        "the API functions and types (those whose name contains the word), with their docs",
    ),
    (
        ":vars",
        "the variables of the session, and the functions it defined",
    ),
    (
        ":unset NAME ...",
        "drop the session's variables or functions of these names (a hook: the rule file's again)",
    ),
    (
        ":reset",
        "drop every function the session defined (the rule file's hooks apply again)",
    ),
    (
        ":load FILE",
        "run a Rhai file in the session (its variables and functions stay)",
    ),
    (":rules", "reload the rule file after editing it"),
    (
        ":dry-run [ACCOUNT ...]",
        "what a run would do now, for these customers or all (same as dry_run(…))",
    ),
    (":commit", "write the session's changes to the database"),
    (":rollback", "undo the changes since the last commit"),
    (
        ":quit",
        "leave (uncommitted changes are rolled back); also Ctrl-D",
    ),
];

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "do", "until", "break",
    "continue", "return", "throw", "try", "catch", "switch", "true", "false", "print", "debug",
    "type_of",
];

/// Names the completer offers, refreshed after each entry.
#[derive(Debug, Default)]
struct Names {
    functions: BTreeSet<String>,
    properties: BTreeSet<String>,
    variables: BTreeSet<String>,
    /// The properties of each variable whose type the session knows (a domain value's, a map's
    /// keys), offered after `variable.`.
    variable_properties: HashMap<String, BTreeSet<String>>,
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
    ws: Workspace,
    scope: Scope<'static>,
    user: AST,
    base: ChangeBase,
    entries: usize,
    names: Rc<RefCell<Names>>,
    /// Who works in the session, where its transaction's postings begin and what was entered in
    /// it: what `:commit` records with the postings ([`process::record_postings`]).
    user_name: String,
    mark: PostingMark,
    typed: String,
    /// Entries (and commands) that failed: off a terminal, the session then ends with an error.
    failed: usize,
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
    fn begin(&mut self) -> Result<(), Error> {
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

    /// True when `text` is an unfinished entry (see [`is_incomplete`]). Commands are complete.
    pub fn is_incomplete(&self, text: &str) -> bool {
        !text.trim_start().starts_with(':') && is_incomplete(&self.ws.engine, text)
    }

    fn refresh_names(&mut self) {
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
                let (ty, fields) = record(value)?;
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
    fn eval(
        &mut self,
        text: &str,
        source: &str,
        file: Option<&Path>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, Error> {
        let ast = match file {
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
        }?;
        // Functions defined here stay for later entries, even when the statements fail.
        let functions = ast.clone_functions_only();
        for f in functions.iter_functions() {
            self.ws
                .origins
                .insert(f.name.to_string(), source.to_string());
        }
        self.user = self.user.merge(&functions);
        let merged = self.ws.rules.merge(&self.user).merge(&ast);
        // A dry run from here runs the hooks as the session has (re)defined them.
        self.ws.session.set_definitions(Some(Definitions {
            functions: self.user.clone(),
            source: PathBuf::from("<repl>"),
        }));

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
        // What `:commit` records the postings with (see `Repl::begin`).
        self.typed.push_str(text);
        self.typed.push('\n');
        let before = store.conn().total_changes();
        store.savepoint("repl_entry")?;
        ScriptMemory::arm();
        let result = self
            .ws
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged);
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
                let made = store.conn().total_changes() - before;
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

    fn command(
        &mut self,
        line: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, Error> {
        let (name, rest) = match line.split_once(char::is_whitespace) {
            Some((n, r)) => (n, r.trim()),
            None => (line, ""),
        };
        let session = Rc::clone(&self.ws.session);
        let store = session.ledger().store();
        match name {
            ":help" | ":h" | ":?" => {
                writeln!(out, "{}", help_text())?;
            }
            ":api" => {
                let word = rest.to_lowercase();
                let mut shown = 0;
                let matches = |d: &&ApiDoc| d.name.to_lowercase().contains(&word);
                let by_name: Vec<&ApiDoc> = self.ws.docs.iter().filter(matches).collect();
                let list = if by_name.is_empty() {
                    // Nothing by name: search the documentation text.
                    self.ws
                        .docs
                        .iter()
                        .filter(|d| d.doc.to_lowercase().contains(&word))
                        .collect()
                } else {
                    by_name
                };
                for d in list {
                    writeln!(
                        out,
                        "{}\n    {}",
                        d.signature,
                        d.doc.replace('\n', "\n    ")
                    )?;
                    shown += 1;
                }
                if shown == 0 {
                    writeln!(out, "nothing in the API matches '{rest}'")?;
                }
            }
            ":vars" => self.vars(out)?,
            ":unset" => self.unset_names(rest, out)?,
            ":reset" => self.reset(out)?,
            ":load" => {
                if rest.is_empty() {
                    return Err(Error::Usage(
                        ":load needs a file, e.g. :load scripts/credit_balances.rhai".into(),
                    ));
                }
                let file = PathBuf::from(rest);
                let text = read_script(&file)?;
                let source = file.display().to_string();
                return self.eval(&text, &source, Some(&file), out, err);
            }
            ":rules" => match self.ws.load_rules() {
                Ok(summary) => {
                    writeln!(out, "{summary}")?;
                    let overridden: Vec<String> = self
                        .user
                        .iter_functions()
                        .filter(|f| self.ws.rules.iter_functions().any(|r| r.name == f.name))
                        .map(|f| f.name.to_string())
                        .collect();
                    if !overridden.is_empty() {
                        writeln!(
                            out,
                            "note: your own definitions still override the rule file's: {} \
                             (:unset NAME or :reset drops them)",
                            overridden.join(", ")
                        )?;
                    }
                    self.refresh_names();
                }
                Err(e) => {
                    self.failed += 1;
                    writeln!(
                        err,
                        "error: {}\n(the previous rules stay loaded)",
                        printable_lines(&e.to_string())
                    )?;
                }
            },
            ":dry-run" | ":dryrun" => {
                let accounts: Vec<String> = rest
                    .split([',', ' '])
                    .filter(|a| !a.is_empty())
                    .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
                    .collect();
                let code = if accounts.is_empty() {
                    "dry_run()".to_string()
                } else {
                    format!("dry_run([{}])", accounts.join(", "))
                };
                return self.eval(&code, ":dry-run", None, out, err);
            }
            ":commit" => {
                let n = self.pending_changes();
                process::record_postings(
                    self.ws.session.ledger(),
                    &self.mark,
                    &PostingSource {
                        kind: "repl",
                        path: None,
                        text: &self.typed,
                        selection: "",
                        user: &self.user_name,
                        date: self.ws.session.date(),
                    },
                )?;
                store.commit()?;
                self.begin()?;
                if n == 0 {
                    writeln!(out, "nothing to commit")?;
                } else {
                    writeln!(out, "committed {}", changes(n))?;
                }
            }
            ":rollback" => {
                let n = self.pending_changes();
                store.rollback();
                self.begin()?;
                if n == 0 {
                    writeln!(out, "nothing to roll back")?;
                } else {
                    writeln!(out, "rolled back {}", changes(n))?;
                }
            }
            ":quit" | ":q" | ":exit" => return Ok(self.quit(out)),
            other => {
                return Err(Error::Usage(format!(
                    "unknown command {other} (:help lists the commands)"
                )));
            }
        }
        Ok(Flow::Continue)
    }

    /// `:vars`: the session's variables, and the functions it defined (with where).
    fn vars(&self, out: &mut dyn Write) -> Result<(), Error> {
        let mut t = table(&["variable", "type", "value"]);
        for (name, constant, value) in self.scope.iter_raw() {
            t.add_row(vec![
                format!("{name}{}", if constant { " (const)" } else { "" }),
                type_name(value),
                cell(value),
            ]);
        }
        if self.scope.is_empty() {
            writeln!(out, "no variables yet (let x = …;)")?;
        } else {
            writeln!(out, "{t}")?;
        }
        let mut f = table(&["function", "defined in", "overrides the rule file's"]);
        for def in self.user.iter_functions() {
            let origin = self.ws.origins.get(def.name).cloned().unwrap_or_default();
            let overrides = self.ws.rules.iter_functions().any(|r| r.name == def.name);
            f.add_row(vec![
                format!("{}({})", def.name, def.params.join(", ")),
                origin,
                if overrides { "yes" } else { "" }.to_string(),
            ]);
        }
        if self.user.iter_functions().next().is_none() {
            writeln!(out, "no functions defined in the session (fn f(…) {{ … }})")?;
        } else {
            writeln!(out, "{f}")?;
        }
        Ok(())
    }

    /// The names of the functions the session defined, sorted, once each.
    fn user_functions(&self) -> Vec<String> {
        let names: BTreeSet<String> = self
            .user
            .iter_functions()
            .map(|f| f.name.to_string())
            .collect();
        names.into_iter().collect()
    }

    /// Drops the session's functions named `name` (every arity); a dry run and later entries
    /// then use the rule file's function of that name, if any.
    fn unset_function(&mut self, name: &str) {
        self.user.retain_functions(|_, _, n, _| n != name);
        self.ws.origins.remove(name);
        if self.ws.rules.iter_functions().any(|f| f.name == name) {
            let rules = self.ws.rules_file.display().to_string();
            self.ws.origins.insert(name.to_string(), rules);
        }
        let definitions = (self.user.iter_functions().next().is_some()).then(|| Definitions {
            functions: self.user.clone(),
            source: PathBuf::from("<repl>"),
        });
        self.ws.session.set_definitions(definitions);
        self.refresh_names();
    }

    /// `:unset NAME…`: drops the session's variables and functions of these names.
    fn unset_names(&mut self, names: &str, out: &mut dyn Write) -> Result<(), Error> {
        if names.is_empty() {
            return Err(Error::Usage(
                ":unset needs the names of variables or functions, e.g. :unset eligible".into(),
            ));
        }
        for name in names.split([',', ' ']).filter(|n| !n.is_empty()) {
            let what = self.unset(name);
            writeln!(out, "{what}")?;
        }
        Ok(())
    }

    /// `:reset`: drops every function the session defined; the rule file's apply again.
    fn reset(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        let names = self.user_functions();
        for name in &names {
            self.unset_function(name);
        }
        if names.is_empty() {
            writeln!(out, "the session defines no functions")?;
        } else {
            writeln!(
                out,
                "dropped the session's functions: {} (the rule file's apply again)",
                names.join(", ")
            )?;
        }
        Ok(())
    }

    /// `:unset NAME`: drops the session's variable and functions of that name; says what it did.
    fn unset(&mut self, name: &str) -> String {
        let mut dropped = Vec::new();
        while self.scope.remove::<Dynamic>(name).is_some() {
            dropped.push(format!("variable {name}"));
            dropped.dedup();
        }
        if self.user.iter_functions().any(|f| f.name == name) {
            self.unset_function(name);
            let again = if self.ws.rules.iter_functions().any(|f| f.name == name) {
                " (the rule file's applies again)"
            } else {
                ""
            };
            dropped.push(format!("fn {name}{again}"));
        }
        self.refresh_names();
        if dropped.is_empty() {
            format!("the session has no variable or function {name}")
        } else {
            format!("dropped {}", dropped.join(" and "))
        }
    }

    fn quit(&mut self, out: &mut dyn Write) -> Flow {
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

/// Refuses a file that cannot be read, with the reason (not as a syntax error).
/// A script's text (the text that is compiled, and whose hash a commit records).
fn read_script(file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("{}: cannot read: {e}", file.display())))
}

fn changes(n: u64) -> String {
    if n == 1 {
        "1 row change".into()
    } else {
        format!("{n} row changes")
    }
}

fn help_text() -> String {
    let mut text = String::from(
        "Type Rhai code: expressions print their value, `let x = …;` and `fn f(…) {…}` stay for later \
entries, an unfinished block continues on the next line (Ctrl-C cancels it). Tab completes \
functions, variables and properties. The rule hooks are loaded: try\n  \
eligible(customer(\"C-003\"), credit_balances(\"C-003\")[0])\n  dry_run(\"C-003\")\n\
Everything happens in one transaction: nothing is written until :commit.\n\nCommands:\n",
    );
    for (cmd, what) in COMMANDS {
        text.push_str(&format!("  {cmd:<24} {what}\n"));
    }
    text.push_str("\n:api lists the functions; `reimburse api --markdown` writes the reference.");
    text
}

/// Where the REPL reads its lines.
enum Input<'a> {
    Terminal(Box<rustyline::Editor<Completion, rustyline::history::DefaultHistory>>),
    Lines(&'a mut dyn BufRead),
}

enum Read {
    Line(String),
    Interrupted,
    Eof,
}

impl Input<'_> {
    fn read(&mut self, prompt: &str) -> std::io::Result<Read> {
        match self {
            Input::Terminal(editor) => match editor.readline(prompt) {
                Ok(line) => Ok(Read::Line(line)),
                Err(rustyline::error::ReadlineError::Interrupted) => Ok(Read::Interrupted),
                Err(rustyline::error::ReadlineError::Eof) => Ok(Read::Eof),
                Err(rustyline::error::ReadlineError::Io(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            },
            Input::Lines(reader) => {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(Read::Eof);
                }
                let trimmed = line.trim_end_matches(['\n', '\r']).len();
                line.truncate(trimmed);
                Ok(Read::Line(line))
            }
        }
    }
}

/// Runs the REPL on the terminal when standard input is one (line editing, history, completion),
/// else reading lines from standard input with the same command handling and no prompts.
pub fn run(
    company: &Company,
    options: &ReplOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    if std::io::stdin().is_terminal() {
        let (repl, warning) = Repl::new(company, options)?;
        let helper = Completion {
            names: Rc::clone(&repl.names),
            files: rustyline::completion::FilenameCompleter::new(),
        };
        let config = rustyline::Config::builder()
            .auto_add_history(false)
            .completion_type(rustyline::CompletionType::List)
            .max_history_size(5000)
            .map_err(|e| Error::Usage(e.to_string()))?
            .build();
        let mut editor = rustyline::Editor::with_config(config)
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        editor.set_helper(Some(helper));
        if let Some(h) = &options.history {
            let _ = editor.load_history(h);
        }
        let p = &company.params.company;
        writeln!(
            out,
            "reimburse repl: {} ({}), database {}, rules {}\n\
             One transaction: nothing is written until :commit. :help for help, Tab completes, :quit or Ctrl-D leaves.",
            p.name,
            p.id,
            company.database_path.display(),
            company.rules_path.display()
        )?;
        if let Some(w) = &warning {
            writeln!(
                err,
                "warning: the rule hooks are not loaded: {}",
                printable_lines(&w.to_string())
            )?;
        }
        let mut input = Input::Terminal(Box::new(editor));
        drive(repl, &mut input, options.history.as_deref(), true, out, err)
    } else {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        run_with_input(company, options, &mut lock, out, err)
    }
}

/// Runs the REPL reading entries from `input` (no prompts, no history): how pipes and tests
/// drive it.
pub fn run_with_input(
    company: &Company,
    options: &ReplOptions,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let (repl, warning) = Repl::new(company, options)?;
    if let Some(w) = &warning {
        writeln!(
            err,
            "warning: the rule hooks are not loaded: {}",
            printable_lines(&w.to_string())
        )?;
    }
    drive(repl, &mut Input::Lines(input), None, false, out, err)
}

fn drive(
    mut repl: Repl,
    input: &mut Input,
    history: Option<&Path>,
    interactive: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let mut pending = String::new();
    loop {
        let prompt = if !interactive {
            ""
        } else if pending.is_empty() {
            "> "
        } else {
            "… "
        };
        out.flush()?;
        let line = match input.read(prompt) {
            Ok(Read::Line(line)) => line,
            Ok(Read::Interrupted) => {
                if pending.is_empty() {
                    writeln!(err, "(:quit or Ctrl-D leaves)")?;
                }
                pending.clear();
                continue;
            }
            Ok(Read::Eof) => {
                if !pending.trim().is_empty() {
                    // The last entry never ended: show its error.
                    let entry = std::mem::take(&mut pending);
                    repl.handle(&entry, out, err);
                }
                repl.finish(out);
                return outcome(&repl, interactive);
            }
            Err(e) => {
                repl.finish(out);
                return Err(Error::Io(e));
            }
        };
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        if repl.is_incomplete(&pending) {
            continue;
        }
        let entry = std::mem::take(&mut pending);
        if let Input::Terminal(editor) = input
            && !entry.trim().is_empty()
        {
            let _ = editor.add_history_entry(entry.as_str());
            if let Some(h) = history {
                let _ = editor.save_history(h);
            }
        }
        if repl.handle(&entry, out, err) == Flow::Quit {
            out.flush()?;
            return outcome(&repl, interactive);
        }
    }
}

/// How a session ends: off a terminal (`reimburse repl < checks.rhai`), an entry that failed
/// makes it an error, so that the exit code is not 0 and a pipeline or CI job notices.
fn outcome(repl: &Repl, interactive: bool) -> Result<(), Error> {
    match repl.failed_entries() {
        n if n > 0 && !interactive => Err(Error::EntriesFailed(n)),
        _ => Ok(()),
    }
}

/// Tab completion: commands, API functions, the rules' and the user's functions, variables,
/// keywords, properties after a dot, and file names after `:load`.
struct Completion {
    names: Rc<RefCell<Names>>,
    files: rustyline::completion::FilenameCompleter,
}

impl rustyline::completion::Completer for Completion {
    type Candidate = rustyline::completion::Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Self::Candidate>)> {
        use rustyline::completion::Pair;
        let before = &line[..pos];
        if before.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        if before.starts_with(':') && !before.contains(char::is_whitespace) {
            let pairs = COMMANDS
                .iter()
                .map(|(c, _)| c.split_whitespace().next().unwrap_or(c))
                .filter(|c| c.starts_with(before))
                .map(|c| Pair {
                    display: c.to_string(),
                    replacement: c.to_string(),
                })
                .collect();
            return Ok((0, pairs));
        }
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let word = &before[start..];
        let names = self.names.borrow();
        let mut pairs = Vec::new();
        if let Some(object) = before[..start].strip_suffix('.') {
            // After `variable.`: that variable's properties when its type is known.
            let variable = object
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            let properties = names
                .variable_properties
                .get(variable)
                .unwrap_or(&names.properties);
            for p in properties.iter().filter(|p| p.starts_with(word)) {
                pairs.push(Pair {
                    display: p.clone(),
                    replacement: p.clone(),
                });
            }
            return Ok((start, pairs));
        }
        if word.is_empty() {
            return Ok((start, pairs));
        }
        let api_only = before.starts_with(":api ");
        for f in names.functions.iter().filter(|f| f.starts_with(word)) {
            pairs.push(Pair {
                display: format!("{f}("),
                replacement: if api_only { f.clone() } else { format!("{f}(") },
            });
        }
        if !api_only {
            let vars = names.variables.iter().map(String::as_str);
            for v in vars.chain(KEYWORDS.iter().copied()) {
                if v.starts_with(word) && !pairs.iter().any(|p| p.replacement == v) {
                    pairs.push(Pair {
                        display: v.to_string(),
                        replacement: v.to_string(),
                    });
                }
            }
        }
        Ok((start, pairs))
    }
}

impl rustyline::hint::Hinter for Completion {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for Completion {}
impl rustyline::validate::Validator for Completion {}
impl rustyline::Helper for Completion {}

// ----- scripts -----

/// How to run a script.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    /// The Rhai file.
    pub file: PathBuf,
    /// Roll back at the end instead of committing.
    pub dry_run: bool,
    /// `--arg key=value` pairs, seen by the script as `args()`.
    pub args: Vec<(String, String)>,
    /// Posting date of postings made by the script.
    pub date: NaiveDate,
    /// Who runs it (recorded with its postings).
    pub user: String,
}

/// What a script did.
#[derive(Debug, Clone)]
pub struct ScriptOutcome {
    /// The script's value (its last expression), `()` when none.
    pub value: Dynamic,
    /// Row changes the script made.
    pub changes: u64,
    /// True when they were committed (false for a dry run).
    pub committed: bool,
    /// The run the committed script was recorded as (none when it posted nothing).
    pub run: Option<i64>,
    /// Why the rule hooks are not available, when they are not.
    pub rules_warning: Option<String>,
}

/// A script that failed: nothing it did was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The script does not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The script failed while running (`file:line:column: message`; in a function, the file
    /// that defined it).
    #[error("{0} (nothing was written)")]
    Failed(String),
}

/// Runs a Rhai script against the company database in one transaction: committed at the end
/// unless `dry_run` or an error (then nothing is written). `print` and `log` go to standard
/// output as they happen. `import` resolves inside the script's folder.
pub fn run_script(company: &Company, options: &ScriptOptions) -> Result<ScriptOutcome, Error> {
    let root = options
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let (mut ws, rules_warning) = Workspace::open(company, options.date, &root)?;
    ws.session.set_args(options.args.clone());
    ws.session.ledger().set_origin(ChangeOrigin {
        user: options.user.clone(),
        source: format!("script {}", options.file.display()),
        line: None,
    });
    let text = read_script(&options.file)?;
    let ast = compile_text(&ws.engine, &options.file, &text).map_err(ScriptError::from)?;
    for f in ast.iter_functions() {
        ws.origins
            .insert(f.name.to_string(), options.file.display().to_string());
    }
    let merged = ws.rules.merge(&ast);
    // A dry run from the script runs the hooks as the script (re)defines them.
    ws.session.set_definitions(Some(Definitions {
        functions: ast.clone_functions_only(),
        source: options.file.clone(),
    }));
    let store = ws.session.ledger().store();
    store.begin()?;
    let base = ws.base();
    let mark = PostingMark::now(ws.session.ledger())?;
    let mut scope = Scope::new();
    ScriptMemory::arm();
    let result = ws
        .engine
        .eval_ast_with_scope::<Dynamic>(&mut scope, &merged);
    ws.session.take_output();
    let changes = ws.changes_since(&base);
    let mut run = None;
    match result {
        Ok(value) => {
            if options.dry_run {
                store.rollback();
            } else {
                let selection: Vec<String> = options
                    .args
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                let recorded = process::record_postings(
                    ws.session.ledger(),
                    &mark,
                    &PostingSource {
                        kind: "script",
                        path: Some(&options.file),
                        text: &text,
                        selection: &selection.join(" "),
                        user: &options.user,
                        date: options.date,
                    },
                );
                match recorded {
                    Ok(recorded) => run = recorded,
                    Err(e) => {
                        store.rollback();
                        return Err(e.into());
                    }
                }
                store.commit()?;
            }
            Ok(ScriptOutcome {
                value,
                changes,
                committed: !options.dry_run,
                run,
                rules_warning,
            })
        }
        Err(e) => {
            store.rollback();
            let text = ws.describe(&e, None, &options.file.display().to_string());
            Err(Error::Script(ScriptError::Failed(text)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session over an empty company in a temporary folder, with the shipped rules.
    fn session(dir: &Path) -> Repl {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/reimburse.rhai");
        let yaml =
            crate::SAMPLE_PARAMETERS.replace("rules/reimburse.rhai", &rules.display().to_string());
        let company = Company::from_yaml(&dir.join("company.yaml"), &yaml).unwrap();
        crate::fixtures::init_company(&company, None, false).unwrap();
        let options = ReplOptions {
            date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            user: "test".into(),
            history: None,
        };
        Repl::new(&company, &options).unwrap().0
    }

    /// What Tab offers at the end of `line`.
    fn completions(repl: &Repl, line: &str) -> Vec<String> {
        use rustyline::completion::Completer;
        let completion = Completion {
            names: Rc::clone(&repl.names),
            files: rustyline::completion::FilenameCompleter::new(),
        };
        let history = rustyline::history::DefaultHistory::new();
        let ctx = rustyline::Context::new(&history);
        let (_, pairs) = completion.complete(line, line.len(), &ctx).unwrap();
        pairs.into_iter().map(|p| p.replacement).collect()
    }

    #[test]
    fn completion_after_a_variable_offers_its_types_properties() {
        let dir = tempfile::tempdir().unwrap();
        let mut repl = session(dir.path());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = "let c = params();\nlet m = #{ alpha: 1, beta: 2 };\n";
        for entry in code.lines() {
            repl.handle(entry, &mut out, &mut err);
        }
        assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
        // `params()` is a Parameters: its properties only (no Customer.account, no Vendor.blocked).
        let offered = completions(&repl, "c.a");
        assert_eq!(offered, ["accounting_currency"], "{offered:?}");
        assert!(completions(&repl, "c.").contains(&"open_debits".to_string()));
        assert!(!completions(&repl, "c.").contains(&"blocked".to_string()));
        // A map offers its keys; an unknown name every property.
        assert_eq!(completions(&repl, "m."), ["alpha", "beta"]);
        let unknown = completions(&repl, "x.a");
        assert!(unknown.contains(&"account".to_string()), "{unknown:?}");
        assert!(
            unknown.contains(&"accounting_currency".to_string()),
            "{unknown:?}"
        );
    }

    #[test]
    fn incomplete_entries_continue() {
        let engine = Engine::new();
        for text in [
            "fn f() {",
            "let x = [1, 2,",
            "if true {\n let y = 1;",
            "let x = 1 +",
            "foo(1,",
            "let s = `abc",
            "#{a: 1,",
        ] {
            assert!(is_incomplete(&engine, text), "{text:?} should continue");
        }
        for text in ["let x = 5", "1 +* 2", "}", "foo(1 2)", "let s = \"abc", "x"] {
            assert!(!is_incomplete(&engine, text), "{text:?} is complete");
        }
    }
    #[test]
    fn caret_points_at_the_column() {
        assert_eq!(
            caret("let a = 1;\na + b", Some(2), Some(5)).unwrap(),
            "  2 | a + b\n    |     ^"
        );
    }
}
