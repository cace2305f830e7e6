//! A scripting session ([`Session`]): the ledger, the posting date, the output of scripts
//! ([`Echo`]), the `--arg` map, the rule file and the definitions `dry_run()` uses, work that is
//! undone ([`Session::run_undone`]), and the one function that builds every session engine
//! ([`Session::engine`]: the sandbox, the types and the whole API, with the functions that layers
//! above add through [`Session::extend`], such as the process's `dry_run`).
//!
//! The session and the functions registered for it depend on each other (each function holds the
//! session; the session registers them); nothing else of the scripting folder depends on it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{Engine, Map};

use super::api::{Api, ApiDoc, signature_key};
use super::functions::register_functions;
use super::guard;
use super::sandbox::harden;
use super::types::register_types;
use crate::ledger::Ledger;
use crate::parameters::Parameters;

/// Script functions defined outside the rule file (in the REPL or a script) that override the
/// rule file's functions of the same name and arity in `dry_run()`.
#[derive(Debug, Clone)]
pub struct Definitions {
    /// The functions (an AST of functions only).
    pub functions: rhai::AST,
    /// Where they were written, for errors: the script file, or `<repl>`.
    pub source: PathBuf,
}

/// Where a session's output (`print`, `debug`, `log`) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Only collected (see [`Session::take_output`]).
    Collect,
    /// Collected and written to standard error at once.
    Stderr,
    /// Collected and written to standard output at once (`reimburse script`, `reimburse repl`).
    Stdout,
}

/// Registers a group of script functions added from above the scripting layer (see
/// [`Session::extend`]).
pub type Extension = fn(&mut Api, &Rc<Session>);

/// A scripting session: the ledger, the posting date and the output of scripts.
pub struct Session {
    pub(super) ledger: Ledger,
    pub(super) params: Rc<Parameters>,
    date: Cell<NaiveDate>,
    pub(super) output: RefCell<Vec<String>>,
    echo: Echo,
    /// While set, lines are collected but not echoed yet ([`Session::hold_output`]).
    held: Cell<bool>,
    /// How many of the collected lines have been echoed.
    echoed: Cell<usize>,
    pub(super) args: RefCell<Map>,
    rules_file: RefCell<Option<PathBuf>>,
    definitions: RefCell<Option<Definitions>>,
    /// True while work that is undone runs ([`Session::run_undone`]).
    in_dry_run: Cell<bool>,
    undone_changes: Cell<u64>,
    /// The groups of functions added by [`Session::extend`], by name, in the order added.
    extensions: RefCell<Vec<(&'static str, Extension)>>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("ledger", &self.ledger)
            .field("date", &self.date.get())
            .finish()
    }
}

impl Session {
    /// A session over a ledger, posting on `date`.
    pub fn new(ledger: Ledger, date: NaiveDate, echo: Echo) -> Rc<Session> {
        let params = Rc::new(ledger.params().clone());
        Rc::new(Session {
            ledger,
            params,
            date: Cell::new(date),
            output: RefCell::new(Vec::new()),
            echo,
            held: Cell::new(false),
            echoed: Cell::new(0),
            args: RefCell::new(Map::new()),
            rules_file: RefCell::new(None),
            definitions: RefCell::new(None),
            in_dry_run: Cell::new(false),
            undone_changes: Cell::new(0),
            extensions: RefCell::new(Vec::new()),
        })
    }

    /// Adds the group of functions `register` registers, named `name`, to every engine this
    /// session builds from now on ([`Session::engine`]): how a layer above scripting (the
    /// process, for `dry_run`) offers functions of its own without scripting depending on it. A
    /// name added already is left as it is, so a caller may offer its group more than once.
    pub fn extend(&self, name: &'static str, register: Extension) {
        let mut extensions = self.extensions.borrow_mut();
        if extensions.iter().all(|(added, _)| *added != name) {
            extensions.push((name, register));
        }
    }

    /// Runs `work` whose writes are undone afterwards (a dry run from a script or the REPL): the
    /// session's output, posting date and current run are as they were before it, and the rows
    /// it changed are added to [`Session::undone_changes`]. `None`, and nothing run, while such
    /// work is going on already (`work` called it again).
    pub fn run_undone<T>(&self, work: impl FnOnce() -> T) -> Option<T> {
        if self.in_dry_run.replace(true) {
            return None;
        }
        let store = self.ledger.store();
        let changes_before = store.total_changes();
        let output_before = self.take_output();
        let run_before = self.ledger.run_id();
        let date = self.date();
        let result = work();
        self.set_date(date);
        self.ledger.set_run(run_before);
        *self.output.borrow_mut() = output_before;
        self.undone_changes
            .set(self.undone_changes.get() + (store.total_changes() - changes_before));
        self.in_dry_run.set(false);
        Some(result)
    }

    /// Sets the rule file that `dry_run()` runs (the REPL and `reimburse script` set it).
    pub fn set_rules_file(&self, file: Option<PathBuf>) {
        *self.rules_file.borrow_mut() = file;
    }

    /// The rule file that `dry_run()` runs, if any.
    pub fn rules_file(&self) -> Option<PathBuf> {
        self.rules_file.borrow().clone()
    }

    /// Sets the script functions that override the rule file's in `dry_run()`: the REPL's own
    /// definitions, or a script's functions, so that a hook changed there is what a dry run
    /// from there runs.
    pub fn set_definitions(&self, definitions: Option<Definitions>) {
        *self.definitions.borrow_mut() = definitions;
    }

    /// The script functions that override the rule file's in `dry_run()`, if any.
    pub fn definitions(&self) -> Option<Definitions> {
        self.definitions.borrow().clone()
    }

    /// Row changes that work run by [`Session::run_undone`] (`dry_run()`) made and undid (SQLite counts them in
    /// `Connection::total_changes`; subtract them to know what is really pending).
    pub fn undone_changes(&self) -> u64 {
        self.undone_changes.get()
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The posting date used by postings and settlements made from scripts.
    pub fn date(&self) -> NaiveDate {
        self.date.get()
    }

    /// Changes the posting date.
    pub fn set_date(&self, date: NaiveDate) {
        self.date.set(date);
    }

    /// Sets the `args()` map that scripts see (from `--arg key=value`).
    pub fn set_args(&self, args: Vec<(String, String)>) {
        let mut map = Map::new();
        for (k, v) in args {
            map.insert(k.into(), v.into());
        }
        *self.args.borrow_mut() = map;
    }

    /// Records a line of script output.
    pub fn emit(&self, line: &str) {
        self.output.borrow_mut().push(line.to_string());
        if !self.held.get() {
            self.echo_pending();
        }
    }

    /// Echoes the collected lines not echoed yet.
    fn echo_pending(&self) {
        let output = self.output.borrow();
        for line in output.iter().skip(self.echoed.get()) {
            match self.echo {
                // What a script prints may quote a name: shown with its control characters
                // escaped (line breaks kept), as every human-readable output.
                Echo::Stderr => eprintln!("{}", crate::text::printable_lines(line)),
                Echo::Stdout => {
                    use std::io::Write;
                    let _ = writeln!(std::io::stdout(), "{}", crate::text::printable_lines(line));
                }
                Echo::Collect => {}
            }
        }
        self.echoed.set(output.len());
    }

    /// Holds output back: lines are collected but not echoed until [`Session::release_output`],
    /// so that work which may be undone and redone (a block of a run) is shown once. Returns a
    /// mark for [`Session::discard_output`].
    pub fn hold_output(&self) -> usize {
        self.held.set(true);
        self.output.borrow().len()
    }

    /// Drops the held lines collected since `mark` (their work was undone).
    pub fn discard_output(&self, mark: usize) {
        let mark = mark.max(self.echoed.get());
        self.output.borrow_mut().truncate(mark);
    }

    /// Echoes the held lines and stops holding output back.
    pub fn release_output(&self) {
        self.held.set(false);
        self.echo_pending();
    }

    /// Takes the output collected so far.
    pub fn take_output(&self) -> Vec<String> {
        self.echo_pending();
        self.echoed.set(0);
        std::mem::take(&mut *self.output.borrow_mut())
    }

    /// Builds a hardened engine with the whole ledger API; `import` resolves inside `rules_dir`
    /// only (no imports at all without one). Returns the engine and its API listing.
    pub fn engine(self: &Rc<Self>, rules_dir: Option<&Path>) -> (Engine, Vec<ApiDoc>) {
        let mut engine = Engine::new();
        harden(&mut engine, &self.params.limits, rules_dir);
        let out = Rc::clone(self);
        engine.on_print(move |s| out.emit(s));
        let out = Rc::clone(self);
        engine.on_debug(move |s, src, pos| {
            let at = match (src, pos.line()) {
                (Some(src), Some(line)) => format!("{src}:{line}: "),
                (None, Some(line)) => format!("line {line}: "),
                _ => String::new(),
            };
            out.emit(&format!("{at}{s}"));
        });
        let mut api = Api {
            engine: &mut engine,
            docs: Vec::new(),
        };
        register_types(&mut api);
        register_functions(&mut api, self);
        // Copied out: a registration may use the session.
        let extensions = self.extensions.borrow().clone();
        for (_, register) in extensions {
            register(&mut api, self);
        }
        let mut docs = api.docs;
        docs.sort_by(|a, b| a.name.cmp(&b.name).then(a.signature.cmp(&b.signature)));
        // The listing's order does not depend on the order of registration (spread over the
        // files of `types` and `functions`): no two entries share a name and a signature.
        debug_assert!(
            docs.windows(2)
                .all(|w| (&w[0].name, &w[0].signature) != (&w[1].name, &w[1].signature)),
            "an API entry registered twice"
        );
        (engine, docs)
    }

    /// The API that scripts can use, with signatures and documentation.
    pub fn api(self: &Rc<Self>) -> Vec<ApiDoc> {
        self.engine(None).1
    }

    /// The functions registered in the engine (besides Rhai's standard library) that the API
    /// listing lacks or documents with an empty text: empty when everything was registered
    /// through [`Api`] with a doc string.
    pub fn undocumented(self: &Rc<Self>) -> Vec<String> {
        let (engine, docs) = self.engine(None);
        let documented: std::collections::HashSet<String> = docs
            .iter()
            .filter(|d| !d.doc.trim().is_empty())
            .filter_map(|d| signature_key(&d.signature))
            .collect();
        engine
            .gen_fn_signatures(false)
            .into_iter()
            .filter(|sig| !guard::is_replacement(sig))
            .filter(|sig| signature_key(sig).is_none_or(|k| !documented.contains(&k)))
            .collect()
    }
}
