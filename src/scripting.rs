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

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{
    Array, Dynamic, Engine, EvalAltResult, FuncRegistration, Map, Module, ModuleResolver, Position,
    RhaiNativeFunc, Scope, Shared, Variant, module_resolvers::FileModuleResolver,
};
use rust_decimal::Decimal;

use crate::bank::{Bic, Iban};
use crate::ledger::{
    AheadReads, Balance, CUSTOMER_FIELDS, Customer, Ledger, LedgerError, LineDraft, NewVendor,
    PostedVoucher, Side, Target, Transaction, TrialBalanceRow, VENDOR_FIELDS, Vendor, VoucherDraft,
};
use crate::parameters::{Parameters, ScriptLimits};

mod literals;

/// The result type of registered functions.
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A runtime error raised by an API function (position filled in by Rhai at the call site).
pub fn runtime_error(message: impl fmt::Display) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.to_string().into(), Position::NONE).into()
}

fn ledger_error(e: LedgerError) -> Box<EvalAltResult> {
    runtime_error(e)
}

/// Thrown by `skip(reason)`: the engine skips the current customer and currency with that reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip(pub String);

pub use crate::render::ParamsView;

/// A documented API entry: what scripts can call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiDoc {
    /// Function name (for a property: `Type.property`).
    pub name: String,
    /// Signature, e.g. `customer(account: String) -> Customer`.
    pub signature: String,
    /// Documentation text.
    pub doc: String,
}

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

/// A scripting session: the ledger, the posting date and the output of scripts.
pub struct Session {
    ledger: Ledger,
    params: Rc<Parameters>,
    date: Cell<NaiveDate>,
    output: RefCell<Vec<String>>,
    echo: Echo,
    /// While set, lines are collected but not echoed yet ([`Session::hold_output`]).
    held: Cell<bool>,
    /// How many of the collected lines have been echoed.
    echoed: Cell<usize>,
    args: RefCell<Map>,
    rules_file: RefCell<Option<PathBuf>>,
    definitions: RefCell<Option<Definitions>>,
    in_dry_run: Cell<bool>,
    undone_changes: Cell<u64>,
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
        })
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

    /// Row changes that `dry_run()` made and undid (SQLite counts them in
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
        let mut docs = api.docs;
        docs.sort_by(|a, b| a.name.cmp(&b.name).then(a.signature.cmp(&b.signature)));
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
            .filter(|sig| signature_key(sig).is_none_or(|k| !documented.contains(&k)))
            .collect()
    }
}

/// A script engine that works away from any session (on another thread): the same sandbox,
/// standard library and types as a session's engine, and the functions that read nothing but
/// their arguments, the company parameters and the posting date. What it works out equals what
/// a session's engine would, as long as nothing else is used: every other function of the API is
/// there by name and number of parameters, but only to note that it was called (and fail), as
/// are `print`, `debug` and `timestamp`. [`Detached::touched`] tells; the caller must then not
/// trust the result (a script may catch the failure) and evaluate with the session instead.
pub struct Detached {
    /// The engine.
    pub engine: Engine,
    touched: Rc<Cell<bool>>,
}

impl Detached {
    /// An engine with these parameters and posting date; `import` resolves inside `rules_dir`
    /// only. `api` is the listing of a session's engine ([`Session::api`]): its functions that
    /// need the session become the noting stand-ins. With `reads`, `vendor` and `find_vendor`
    /// answer for the vendors that existed when the transaction began (which a run never
    /// changes); for any other account they are stand-ins too, as the run may have created it.
    pub fn new(
        params: Parameters,
        date: NaiveDate,
        rules_dir: Option<&Path>,
        api: &[ApiDoc],
        reads: Option<AheadReads>,
    ) -> Detached {
        let mut engine = Engine::new();
        harden(&mut engine, &params.limits, rules_dir);
        let touched = Rc::new(Cell::new(false));
        let t = Rc::clone(&touched);
        engine.on_print(move |_| t.set(true));
        let t = Rc::clone(&touched);
        engine.on_debug(move |_, _, _| t.set(true));
        let mut own = Api {
            engine: &mut engine,
            docs: Vec::new(),
        };
        register_types(&mut own);
        register_pure(&mut own, &Rc::new(params), move || date);
        if let Some(reads) = reads {
            // Found: as the run would find it. Not found: the run may have created it since.
            let existing = {
                let touched = Rc::clone(&touched);
                move |account: &str| -> RhaiResult<Vendor> {
                    match reads.vendor(account) {
                        Ok(Some(vendor)) => Ok(vendor),
                        _ => Err(away(&touched)),
                    }
                }
            };
            let find = existing.clone();
            own.add(
                "vendor",
                &["account: String"],
                "Vendor",
                "A vendor that existed when the run began.",
                existing,
            );
            own.add(
                "find_vendor",
                &["account: String"],
                "Vendor or ()",
                "A vendor that existed when the run began.",
                move |account: &str| -> RhaiResult<Dynamic> { find(account).map(Dynamic::from) },
            );
        }
        let mut present: std::collections::HashSet<(String, usize)> =
            own.docs.iter().filter_map(arity).collect();
        // `timestamp` differs from one call to the next: nothing that uses it is worked out ahead.
        let others = api
            .iter()
            .filter_map(arity)
            .chain([("timestamp".to_string(), 0)]);
        for (name, params) in others {
            if present.insert((name.clone(), params)) {
                let t = Rc::clone(&touched);
                engine.register_raw_fn(
                    name.as_str(),
                    vec![std::any::TypeId::of::<Dynamic>(); params],
                    move |_, _| -> RhaiResult<Dynamic> { Err(away(&t)) },
                );
            }
        }
        Detached { engine, touched }
    }

    /// Whether anything besides the functions that read only their arguments, the parameters
    /// and the date was used since the last call (and forgets it).
    pub fn touched(&self) -> bool {
        self.touched.replace(false)
    }
}

/// What a stand-in in a [`Detached`] engine does: note that it was used, and fail.
fn away(touched: &Cell<bool>) -> Box<EvalAltResult> {
    touched.set(true);
    runtime_error("not available away from the session")
}

/// A documented function's name and number of parameters (`None` for types and properties).
fn arity(doc: &ApiDoc) -> Option<(String, usize)> {
    let head = doc.signature.split(" -> ").next()?;
    let (name, params) = head.split_once('(')?;
    let params = params.trim_end_matches(')');
    let count = params.split(',').filter(|p| !p.trim().is_empty()).count();
    Some((name.to_string(), count))
}

/// What identifies a function for the documentation check: its name and parameter types, without
/// parameter names, spaces or case (`balances(customer)`); a getter as `type.property`;
/// `to_debug` as `to_string`. `None` for type entries.
fn signature_key(signature: &str) -> Option<String> {
    let norm = |t: &str| -> String {
        t.trim()
            .trim_start_matches("&mut ")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    };
    if signature.starts_with("type ") {
        return None;
    }
    let head = signature.split(" -> ").next()?.trim();
    let Some((name, params)) = head.split_once('(') else {
        // A documented property: `Type.prop`.
        return Some(norm(head));
    };
    let params = params.trim_end_matches(')');
    let types: Vec<String> = params
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| norm(p.rsplit(':').next().unwrap_or(p)))
        .collect();
    if let Some(prop) = name.strip_prefix("get$") {
        return Some(format!("{}.{}", types.first()?, prop.to_lowercase()));
    }
    let name = if name == "to_debug" {
        "to_string"
    } else {
        name
    };
    Some(format!("{name}({})", types.join(",")))
}

/// Applies the sandbox to an engine: limits, no `eval`, imports confined to `rules_dir`.
pub fn harden(engine: &mut Engine, limits: &ScriptLimits, rules_dir: Option<&Path>) {
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(limits.max_modules)
        .set_max_variables(10_000)
        .set_max_functions(10_000)
        .set_fail_on_invalid_map_property(true)
        // No string interning: with a customer's name or account in every hook, the interner
        // (256 entries) is always full, and each new string made it scan all its entries to
        // evict one (about 20,000 instructions per string assigned to a variable).
        .set_max_strings_interned(0);
    // Rhai's size limits do not bound memory (`m[key] = value` adds keys unchecked, elements
    // replaced by index are not added up), so the bytes allocated since the evaluation began
    // (`ScriptMemory::arm`, called by every caller of the engine) are checked at every operation.
    let budget = limits
        .max_memory_mb
        .saturating_mul(1024 * 1024)
        .min(isize::MAX as usize) as isize;
    engine.on_progress(move |_| {
        (ScriptMemory::used_bytes() > budget).then(|| Dynamic::from(MemoryLimit))
    });
    engine.disable_symbol("eval");
    literals::exact_literals(engine);
    engine.set_module_resolver(ConfinedResolver::new(rules_dir));
}

/// The token with which the engine stops a script past `limits.max_memory_mb`.
#[derive(Debug, Clone, Copy)]
struct MemoryLimit;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread through [`ScriptMemory`]. Const-initialised
    /// and without a destructor, so reading it never allocates (safe inside the allocator).
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    /// [`LIVE_BYTES`] when [`ScriptMemory::arm`] was last called on this thread.
    static ARMED_AT: Cell<isize> = const { Cell::new(0) };
}

/// A global allocator that counts, per thread, the bytes allocated minus the bytes freed, so that
/// the script engine can stop a script whose data grows past `limits.max_memory_mb` (Rhai's own
/// size limits miss values grown by index assignment). It allocates through mimalloc: scripts
/// allocate for every decimal and string they touch, and mimalloc's thread-local free lists cut
/// the time spent in the allocator about in half next to the system allocator (the 10k-customer
/// run went from 2.68 G to 2.45 G instructions). The binary installs it:
///
/// ```ignore
/// #[global_allocator]
/// static MEMORY: reimburse::scripting::ScriptMemory = reimburse::scripting::ScriptMemory;
/// ```
///
/// Without it (a library user's own allocator), [`ScriptMemory::live_bytes`] stays 0 and the
/// memory limit is not enforced; the other limits are. The cost is one add to a thread-local
/// counter per allocation, reallocation and free. Counting per thread keeps scripts on different
/// threads from charging each other; memory freed by another thread than the one that allocated
/// it moves both counters, which only matters while a script runs (it has no threads).
pub struct ScriptMemory;

impl ScriptMemory {
    /// Bytes allocated minus bytes freed by the current thread since it started (can be negative
    /// for a thread that frees what others allocated); 0 when this allocator is not installed.
    pub fn live_bytes() -> isize {
        LIVE_BYTES.try_with(Cell::get).unwrap_or(0)
    }

    /// Starts measuring for an evaluation: [`ScriptMemory::used_bytes`] counts from here. Every
    /// caller of the script engine calls it before evaluating (a hook call, a script, a REPL
    /// entry), so the memory limit applies to each like the other limits.
    pub fn arm() {
        let live = Self::live_bytes();
        let _ = ARMED_AT.try_with(|at| at.set(live));
    }

    /// Bytes allocated minus bytes freed by the current thread since [`ScriptMemory::arm`].
    pub fn used_bytes() -> isize {
        Self::live_bytes().wrapping_sub(ARMED_AT.try_with(Cell::get).unwrap_or(0))
    }

    #[inline(always)]
    fn count(delta: isize) {
        let _ = LIVE_BYTES.try_with(|live| live.set(live.get().wrapping_add(delta)));
    }
}

// SAFETY: every call is forwarded unchanged to mimalloc (a complete `GlobalAlloc`); the counter is a
// thread-local `Cell` that does not allocate.
unsafe impl std::alloc::GlobalAlloc for ScriptMemory {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            Self::count(layout.size() as isize);
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::count(layout.size() as isize);
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        Self::count(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            Self::count((new_size as isize).wrapping_sub(layout.size() as isize));
        }
        new
    }
}

/// Resolves `import "name"` to `name.rhai` inside one folder, refusing anything that escapes it.
struct ConfinedResolver {
    root: Option<PathBuf>,
    inner: Option<FileModuleResolver>,
}

impl ConfinedResolver {
    fn new(root: Option<&Path>) -> Self {
        let root = root.and_then(|r| r.canonicalize().ok());
        let inner = root.as_ref().map(|r| {
            let mut f = FileModuleResolver::new_with_path(r.clone());
            f.enable_cache(true);
            f
        });
        ConfinedResolver { root, inner }
    }
}

impl ModuleResolver for ConfinedResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        // Not `ErrorModuleNotFound`: Rhai replaces that with a bare "Module not found: path",
        // which would drop the reason.
        let refuse = |why: &str| -> Box<EvalAltResult> {
            EvalAltResult::ErrorRuntime(format!("cannot import \"{path}\": {why}").into(), pos)
                .into()
        };
        let (Some(root), Some(inner)) = (&self.root, &self.inner) else {
            return Err(refuse("imports are only allowed from the rules folder"));
        };
        let relative = Path::new(path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(refuse(
                "only module names inside the rules folder may be imported",
            ));
        }
        let file = root.join(format!("{path}.rhai"));
        match file.canonicalize() {
            Ok(real) if real.starts_with(root) => {
                // Resolve by the absolute path so the file resolver does not re-anchor it.
                inner.resolve(
                    engine,
                    source,
                    &real.with_extension("").to_string_lossy(),
                    pos,
                )
            }
            Ok(_) => Err(refuse("outside the rules folder")),
            Err(_) => Err(refuse("no such module in the rules folder")),
        }
    }
}

/// Registers functions and records their documentation.
pub struct Api<'e> {
    engine: &'e mut Engine,
    docs: Vec<ApiDoc>,
}

impl Api<'_> {
    /// Registers `f` as `name` with parameter descriptions (`"account: String"`), the return type
    /// and its documentation, and records them for the API listing.
    pub fn add<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        name: &str,
        params: &[&str],
        returns: &str,
        doc: &str,
        f: FUNC,
    ) where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + 'static,
    {
        let mut info: Vec<&str> = params.to_vec();
        info.push(returns);
        let comment = doc
            .lines()
            .map(|l| format!("/// {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        FuncRegistration::new(name)
            .with_params_info(info)
            .with_comments([comment])
            .register_into_engine(self.engine, f);
        self.docs.push(ApiDoc {
            name: name.to_string(),
            signature: format!("{name}({}) -> {returns}", params.join(", ")),
            doc: doc.to_string(),
        });
    }

    /// Registers a read-only property `prop` of type `T` (named `type_name` in docs).
    pub fn getter<T: Variant + Clone, R: Variant + Clone>(
        &mut self,
        type_name: &str,
        prop: &str,
        returns: &str,
        doc: &str,
        f: impl Fn(&mut T) -> R + 'static,
    ) {
        let comment = format!("/// {doc}");
        FuncRegistration::new_getter(prop)
            .with_params_info([
                format!("{}: &mut {type_name}", type_name.to_lowercase()),
                returns.into(),
            ])
            .with_comments([comment])
            .register_into_engine(self.engine, f);
        self.docs.push(ApiDoc {
            name: format!("{type_name}.{prop}"),
            signature: format!("{type_name}.{prop} -> {returns}"),
            doc: doc.to_string(),
        });
    }

    /// Registers `to_string` and `to_debug` for `T` (what `print`, string interpolation and the
    /// REPL show), documented as one entry.
    pub fn printer<T: Variant + Clone>(
        &mut self,
        type_name: &str,
        f: impl Fn(&mut T) -> String + Clone + 'static,
    ) {
        for name in ["to_string", "to_debug"] {
            FuncRegistration::new(name)
                .with_params_info([
                    format!("{}: &mut {type_name}", type_name.to_lowercase()),
                    "String".into(),
                ])
                .with_comments([format!("/// One-line text of a {type_name}.")])
                .register_into_engine(self.engine, f.clone());
        }
        self.docs.push(ApiDoc {
            name: "to_string".into(),
            signature: format!("to_string(value: {type_name}) -> String"),
            doc: format!(
                "One-line text of a {type_name}, as `print`, `${{…}}` interpolation and `to_debug` show it."
            ),
        });
    }

    fn type_doc(&mut self, name: &str, doc: &str) {
        self.docs.push(ApiDoc {
            name: name.to_string(),
            signature: format!("type {name}"),
            doc: doc.to_string(),
        });
    }
}

fn opt(s: &Option<String>) -> Dynamic {
    opt_text(s.as_deref())
}

fn opt_text(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, |t| Dynamic::from(t.to_string()))
}

fn register_types(api: &mut Api) {
    api.engine.register_type_with_name::<Customer>("Customer");
    api.engine.register_type_with_name::<Vendor>("Vendor");
    api.engine
        .register_type_with_name::<Transaction>("Transaction");
    api.engine.register_type_with_name::<Balance>("Balance");
    api.engine
        .register_type_with_name::<PostedVoucher>("Voucher");
    api.engine
        .register_type_with_name::<ParamsView>("Parameters");
    api.engine
        .register_type_with_name::<TrialBalanceRow>("TrialBalanceRow");

    api.type_doc(
        "Customer",
        "A customer account (read-only; change it with API functions).",
    );
    api.getter(
        "Customer",
        "account",
        "String",
        "Account number, e.g. `C-001`.",
        |c: &mut Customer| c.account.clone(),
    );
    api.getter("Customer", "name", "String", "Name.", |c: &mut Customer| {
        c.name.clone()
    });
    api.getter(
        "Customer",
        "address",
        "String or ()",
        "Postal address, or `()` when none.",
        |c: &mut Customer| opt(&c.address),
    );
    api.getter(
        "Customer",
        "currency",
        "String",
        "The customer's currency.",
        |c: &mut Customer| c.currency.clone(),
    );
    api.getter(
        "Customer",
        "group",
        "String",
        "Customer group, e.g. `RETAIL`.",
        |c: &mut Customer| c.group.clone(),
    );
    api.getter(
        "Customer",
        "vendor_account",
        "String or ()",
        "The vendor account that receives the customer's credit, or `()` when none.",
        |c: &mut Customer| opt(&c.vendor_account),
    );
    api.getter(
        "Customer",
        "payment_hold",
        "bool",
        "True when the account is on hold for payments.",
        |c: &mut Customer| c.payment_hold,
    );
    api.getter(
        "Customer",
        "tax_id",
        "String or ()",
        "Tax id, or `()` when none.",
        |c: &mut Customer| opt(&c.tax_id),
    );
    api.getter(
        "Customer",
        "iban",
        "String or ()",
        "Bank account (IBAN, electronic format), or `()` when none.",
        |c: &mut Customer| opt_text(c.iban.as_ref().map(Iban::as_str)),
    );
    api.getter(
        "Customer",
        "bic",
        "String or ()",
        "The bank's BIC, or `()` when none.",
        |c: &mut Customer| opt_text(c.bic.as_ref().map(Bic::as_str)),
    );

    api.type_doc("Vendor", "A vendor account.");
    api.getter(
        "Vendor",
        "account",
        "String",
        "Account number, e.g. `V-100`.",
        |v: &mut Vendor| v.account.clone(),
    );
    api.getter("Vendor", "name", "String", "Name.", |v: &mut Vendor| {
        v.name.clone()
    });
    api.getter(
        "Vendor",
        "address",
        "String or ()",
        "Postal address, or `()`.",
        |v: &mut Vendor| opt(&v.address),
    );
    api.getter(
        "Vendor",
        "group",
        "String",
        "Vendor group.",
        |v: &mut Vendor| v.group.clone(),
    );
    api.getter(
        "Vendor",
        "currency",
        "String",
        "The vendor's currency.",
        |v: &mut Vendor| v.currency.clone(),
    );
    api.getter(
        "Vendor",
        "one_time",
        "bool",
        "True for a one-time vendor created automatically.",
        |v: &mut Vendor| v.one_time,
    );
    api.getter(
        "Vendor",
        "created_for",
        "String or ()",
        "The customer the vendor was created for, or `()`.",
        |v: &mut Vendor| opt(&v.created_for),
    );
    api.getter(
        "Vendor",
        "blocked",
        "bool",
        "True when the vendor is blocked for postings.",
        |v: &mut Vendor| v.blocked,
    );
    api.getter(
        "Vendor",
        "payment_terms",
        "String or ()",
        "Payment terms, or `()`.",
        |v: &mut Vendor| opt(&v.payment_terms),
    );
    api.getter(
        "Vendor",
        "method_of_payment",
        "String or ()",
        "Method of payment, or `()`.",
        |v: &mut Vendor| opt(&v.method_of_payment),
    );
    api.getter(
        "Vendor",
        "tax_id",
        "String or ()",
        "Tax id, or `()`.",
        |v: &mut Vendor| opt(&v.tax_id),
    );
    api.getter(
        "Vendor",
        "iban",
        "String or ()",
        "Bank account (IBAN, electronic format), or `()`.",
        |v: &mut Vendor| opt_text(v.iban.as_ref().map(Iban::as_str)),
    );
    api.getter(
        "Vendor",
        "bic",
        "String or ()",
        "The bank's BIC, or `()`.",
        |v: &mut Vendor| opt_text(v.bic.as_ref().map(Bic::as_str)),
    );

    api.type_doc(
        "Transaction",
        "A customer or vendor transaction. Amounts are signed: debit +, credit −.",
    );
    api.getter(
        "Transaction",
        "id",
        "int",
        "Row id: pass it to `settle`.",
        |t: &mut Transaction| t.id,
    );
    api.getter(
        "Transaction",
        "account",
        "String",
        "The customer or vendor account.",
        |t: &mut Transaction| t.account.clone(),
    );
    api.getter(
        "Transaction",
        "voucher",
        "String",
        "Voucher number.",
        |t: &mut Transaction| t.voucher.clone(),
    );
    api.getter(
        "Transaction",
        "date",
        "String",
        "Date (YYYY-MM-DD).",
        |t: &mut Transaction| t.date.to_string(),
    );
    api.getter(
        "Transaction",
        "document",
        "String",
        "Document number.",
        |t: &mut Transaction| t.document.clone(),
    );
    api.getter(
        "Transaction",
        "type",
        "String",
        "Type: invoice, payment, credit_note, reimbursement, …",
        |t: &mut Transaction| t.kind.clone(),
    );
    api.getter(
        "Transaction",
        "currency",
        "String",
        "Currency.",
        |t: &mut Transaction| t.currency.clone(),
    );
    api.getter(
        "Transaction",
        "amount",
        "Decimal",
        "Signed amount.",
        |t: &mut Transaction| t.amount,
    );
    api.getter(
        "Transaction",
        "open",
        "Decimal",
        "Open (unsettled) part, same sign as the amount.",
        |t: &mut Transaction| t.open,
    );
    api.getter(
        "Transaction",
        "is_credit",
        "bool",
        "True for a credit (negative amount).",
        |t: &mut Transaction| t.amount.is_sign_negative(),
    );

    api.type_doc(
        "Balance",
        "An account's balance in one currency. The `credit` given to the rule hooks is a Balance.",
    );
    api.getter(
        "Balance",
        "account",
        "String",
        "The customer or vendor account.",
        |b: &mut Balance| b.account.clone(),
    );
    api.getter(
        "Balance",
        "currency",
        "String",
        "Currency.",
        |b: &mut Balance| b.currency.clone(),
    );
    api.getter(
        "Balance",
        "balance",
        "Decimal",
        "Sum of all transactions; negative is a credit balance.",
        |b: &mut Balance| b.balance,
    );
    api.getter(
        "Balance",
        "open_debit",
        "Decimal",
        "Open debits (unpaid invoices), 0 or more.",
        |b: &mut Balance| b.open_debit,
    );
    api.getter(
        "Balance",
        "open_credit",
        "Decimal",
        "Open credits (payments, credit notes), 0 or less.",
        |b: &mut Balance| b.open_credit,
    );
    api.getter(
        "Balance",
        "latest_open",
        "String or ()",
        "Date (YYYY-MM-DD) of the latest open transaction, or () when none is open. A run skips a credit with open transactions dated after its posting date.",
        |b: &mut Balance| unit_or(b.latest_open.map(|d| d.to_string())),
    );

    api.type_doc("Voucher", "A posted voucher.");
    api.getter(
        "Voucher",
        "number",
        "String",
        "Voucher number, e.g. `RMB-000001`.",
        |v: &mut PostedVoucher| v.number.clone(),
    );
    api.getter(
        "Voucher",
        "date",
        "String",
        "Posting date.",
        |v: &mut PostedVoucher| v.date.to_string(),
    );
    api.getter(
        "Voucher",
        "description",
        "String",
        "Description.",
        |v: &mut PostedVoucher| v.description.clone(),
    );
    api.getter(
        "Voucher",
        "customer_transactions",
        "Array of int",
        "Ids of the customer transactions it created.",
        |v: &mut PostedVoucher| {
            v.customer_transactions
                .iter()
                .map(|i| Dynamic::from(*i))
                .collect::<Array>()
        },
    );
    api.getter(
        "Voucher",
        "vendor_transactions",
        "Array of int",
        "Ids of the vendor transactions it created.",
        |v: &mut PostedVoucher| {
            v.vendor_transactions
                .iter()
                .map(|i| Dynamic::from(*i))
                .collect::<Array>()
        },
    );
    api.getter(
        "Voucher",
        "lines",
        "Array of maps",
        "General-ledger lines: #{account, currency, amount}.",
        |v: &mut PostedVoucher| {
            v.lines
                .iter()
                .map(|(a, c, amt)| {
                    let mut m = Map::new();
                    m.insert("account".into(), a.clone().into());
                    m.insert("currency".into(), c.clone().into());
                    m.insert("amount".into(), Dynamic::from(*amt));
                    Dynamic::from(m)
                })
                .collect::<Array>()
        },
    );

    api.type_doc(
        "TrialBalanceRow",
        "A general-ledger account's balance in one currency.",
    );
    api.getter(
        "TrialBalanceRow",
        "account",
        "String",
        "General-ledger account.",
        |r: &mut TrialBalanceRow| r.account.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "name",
        "String",
        "Account name.",
        |r: &mut TrialBalanceRow| r.name.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "currency",
        "String",
        "Currency.",
        |r: &mut TrialBalanceRow| r.currency.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "balance",
        "Decimal",
        "Balance (debit +).",
        |r: &mut TrialBalanceRow| r.balance,
    );

    api.type_doc(
        "Parameters",
        "The company parameters, read-only: `params().minimum_reimbursement`.",
    );
    api.getter(
        "Parameters",
        "company_id",
        "String",
        "Company id.",
        |p: &mut ParamsView| p.0.company.id.clone(),
    );
    api.getter(
        "Parameters",
        "company_name",
        "String",
        "Company name.",
        |p: &mut ParamsView| p.0.company.name.clone(),
    );
    api.getter(
        "Parameters",
        "accounting_currency",
        "String",
        "The accounting currency.",
        |p: &mut ParamsView| p.0.accounting_currency.clone(),
    );
    api.getter(
        "Parameters",
        "minimum_reimbursement",
        "Decimal",
        "Smallest credit reimbursed, in the accounting currency.",
        |p: &mut ParamsView| p.0.minimum_reimbursement,
    );
    api.getter(
        "Parameters",
        "open_debits",
        "String",
        "How open debits count: `net`, `skip` or `ignore`.",
        |p: &mut ParamsView| p.0.open_debits.as_str().to_string(),
    );
    api.getter(
        "Parameters",
        "link_one_time_vendor",
        "bool",
        "Link a new one-time vendor back to its customer.",
        |p: &mut ParamsView| p.0.one_time_vendor.link_to_customer,
    );
    api.getter(
        "Parameters",
        "one_time_vendor_group",
        "String",
        "Vendor group of one-time vendors.",
        |p: &mut ParamsView| p.0.one_time_vendor.group.clone(),
    );
    api.getter(
        "Parameters",
        "receivables_account",
        "String",
        "Receivables summary account.",
        |p: &mut ParamsView| p.0.accounts.receivables.clone(),
    );
    api.getter(
        "Parameters",
        "payables_account",
        "String",
        "Payables summary account.",
        |p: &mut ParamsView| p.0.accounts.payables.clone(),
    );
    api.getter(
        "Parameters",
        "bank_account",
        "String",
        "Bank account for payments.",
        |p: &mut ParamsView| p.0.accounts.bank.clone(),
    );
    api.getter(
        "Parameters",
        "currencies",
        "Array of String",
        "The company's currency codes.",
        |p: &mut ParamsView| {
            p.0.currencies
                .keys()
                .map(|c| Dynamic::from(c.clone()))
                .collect::<Array>()
        },
    );

    // Readable printing of the domain types.
    macro_rules! printable {
        ($t:ty, $f:expr) => {
            api.printer::<$t>(
                match stringify!($t) {
                    "PostedVoucher" => "Voucher",
                    "ParamsView" => "Parameters",
                    other => other,
                },
                $f,
            );
        };
    }
    printable!(Customer, |c: &mut Customer| format!(
        "Customer {} \"{}\" {} group {}{}{}{}",
        c.account,
        c.name,
        c.currency,
        c.group,
        c.vendor_account
            .as_ref()
            .map(|v| format!(" vendor {v}"))
            .unwrap_or_default(),
        c.iban
            .as_ref()
            .map(|i| format!(" iban {i}"))
            .unwrap_or_default(),
        if c.payment_hold {
            " (payment hold)"
        } else {
            ""
        }
    ));
    printable!(Vendor, |v: &mut Vendor| format!(
        "Vendor {} \"{}\" {} group {}{}{}{}",
        v.account,
        v.name,
        v.currency,
        v.group,
        v.iban
            .as_ref()
            .map(|i| format!(" iban {i}"))
            .unwrap_or_default(),
        if v.one_time { " (one-time)" } else { "" },
        if v.blocked { " (blocked)" } else { "" }
    ));
    printable!(Transaction, |t: &mut Transaction| format!(
        "#{} {} {} {} {} {} {} open {}",
        t.id, t.account, t.date, t.kind, t.document, t.currency, t.amount, t.open
    ));
    printable!(Balance, |b: &mut Balance| format!(
        "{} {} balance {} (open debit {}, open credit {})",
        b.account, b.currency, b.balance, b.open_debit, b.open_credit
    ));
    printable!(PostedVoucher, |v: &mut PostedVoucher| format!(
        "Voucher {} {} \"{}\" {}",
        v.number,
        v.date,
        v.description,
        v.lines
            .iter()
            .map(|(a, c, amt)| format!("[{a} {c} {amt}]"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    printable!(TrialBalanceRow, |r: &mut TrialBalanceRow| format!(
        "{} {} {} {}",
        r.account, r.name, r.currency, r.balance
    ));
    printable!(ParamsView, |p: &mut ParamsView| format!(
        "Parameters of {} ({}): minimum {} {}, open debits {}",
        p.0.company.id,
        p.0.company.name,
        p.0.minimum_reimbursement,
        p.0.accounting_currency,
        p.0.open_debits.as_str()
    ));
}

/// A script value as error messages show it, with its script type name: `42 (int)`,
/// `"text" (string)`, `() (nothing)`, `a Customer`.
pub fn shown(engine: &Engine, value: &Dynamic) -> String {
    let type_name = match value.type_name() {
        "i64" => "int",
        name => engine.map_type_name(name),
    };
    if value.is_unit() {
        "() (nothing)".to_string()
    } else if value.is_string() {
        format!("{value:?} (string)")
    } else if value.is_variant() {
        format!("a {type_name}")
    } else {
        format!("{value} ({type_name})")
    }
}

/// Reads a decimal from a script value: a decimal or an integer.
pub fn decimal_arg(what: &str, value: &Dynamic) -> RhaiResult<Decimal> {
    if let Some(d) = value.clone().try_cast::<Decimal>() {
        return Ok(d);
    }
    if let Ok(i) = value.as_int() {
        return Ok(Decimal::from(i));
    }
    Err(runtime_error(format!(
        "{what} must be a decimal amount such as 12.50, not {} ({})",
        value,
        value.type_name()
    )))
}

/// Reads fields from an object map, refusing keys that are not expected.
struct MapArgs<'m> {
    what: &'static str,
    map: &'m Map,
}

impl<'m> MapArgs<'m> {
    fn new(what: &'static str, map: &'m Map, allowed: &[&str]) -> RhaiResult<Self> {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(runtime_error(format!(
                    "{what}: unknown field '{key}' (expected: {})",
                    allowed.join(", ")
                )));
            }
        }
        Ok(MapArgs { what, map })
    }

    fn string(&self, key: &str) -> RhaiResult<Option<String>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.to_string())),
            Some(v) => Err(runtime_error(format!(
                "{}: '{key}' must be a string, not {}",
                self.what,
                v.type_name()
            ))),
        }
    }

    fn iban(&self, key: &str) -> RhaiResult<Option<Iban>> {
        self.string(key)?
            .map(|text| Iban::parse(&text))
            .transpose()
            .map_err(|e| runtime_error(format!("{}: '{key}': {e}", self.what)))
    }

    fn bic(&self, key: &str) -> RhaiResult<Option<Bic>> {
        self.string(key)?
            .map(|text| Bic::parse(&text))
            .transpose()
            .map_err(|e| runtime_error(format!("{}: '{key}': {e}", self.what)))
    }

    /// Whether the map has the key (a `()` value counts: it clears an optional field).
    fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// An optional text field of an update: kept as it is when the map lacks the key.
    fn update_text(&self, key: &str, field: &mut Option<String>) -> RhaiResult<()> {
        if self.has(key) {
            *field = self.string(key)?;
        }
        Ok(())
    }

    /// A required text field of an update: kept as it is when the map lacks the key.
    fn update_required(&self, key: &str, field: &mut String) -> RhaiResult<()> {
        if self.has(key) {
            *field = self.required(key)?;
        }
        Ok(())
    }

    fn required(&self, key: &str) -> RhaiResult<String> {
        self.string(key)?
            .ok_or_else(|| runtime_error(format!("{}: '{key}' is required", self.what)))
    }

    fn bool(&self, key: &str) -> RhaiResult<Option<bool>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).map_err(|t| {
                runtime_error(format!(
                    "{}: '{key}' must be true or false, not {t}",
                    self.what
                ))
            }),
        }
    }

    fn decimal(&self, key: &str) -> RhaiResult<Decimal> {
        let v = self
            .map
            .get(key)
            .ok_or_else(|| runtime_error(format!("{}: '{key}' is required", self.what)))?;
        decimal_arg(&format!("{}: '{key}'", self.what), v)
    }

    fn date(&self, key: &str, default: NaiveDate) -> RhaiResult<NaiveDate> {
        match self.string(key)? {
            None => Ok(default),
            Some(s) => crate::dates::parse(&s)
                .map_err(|e| runtime_error(format!("{}: '{key}': {e}", self.what))),
        }
    }
}

/// Parses a `YYYY-MM-DD` date from a script.
pub fn parse_date(s: &str) -> RhaiResult<NaiveDate> {
    crate::dates::parse(s).map_err(|e| runtime_error(e.to_string()))
}

fn array<T: Variant + Clone>(items: Vec<T>) -> Array {
    items.into_iter().map(Dynamic::from).collect()
}

fn register_functions(api: &mut Api, session: &Rc<Session>) {
    // Each closure holds its own handle on the session.
    macro_rules! s {
        () => {
            Rc::clone(session)
        };
    }

    let s = s!();
    api.add(
        "customer",
        &["account: String"],
        "Customer",
        "The customer with this account; an error when there is none.",
        move |account: &str| -> RhaiResult<Customer> {
            s.ledger.require_customer(account).map_err(ledger_error)
        },
    );
    let s = s!();
    api.add(
        "find_customer",
        &["account: String"],
        "Customer or ()",
        "The customer with this account, or `()` when there is none.",
        move |account: &str| -> RhaiResult<Dynamic> {
            Ok(s.ledger
                .customer(account)
                .map_err(ledger_error)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );
    let s = s!();
    api.add(
        "customers",
        &[],
        "Array of Customer",
        "All customers, ordered by account (loads them all: use for small companies and the REPL).",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.customers().map_err(ledger_error)?)) },
    );
    let s = s!();
    api.add(
        "vendor",
        &["account: String"],
        "Vendor",
        "The vendor with this account; an error when there is none.",
        move |account: &str| -> RhaiResult<Vendor> {
            s.ledger.require_vendor(account).map_err(ledger_error)
        },
    );
    let s = s!();
    api.add(
        "find_vendor",
        &["account: String"],
        "Vendor or ()",
        "The vendor with this account, or `()` when there is none.",
        move |account: &str| -> RhaiResult<Dynamic> {
            Ok(s.ledger
                .vendor(account)
                .map_err(ledger_error)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );
    let s = s!();
    api.add(
        "vendors",
        &[],
        "Array of Vendor",
        "All vendors, ordered by account.",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.vendors().map_err(ledger_error)?)) },
    );

    let s = s!();
    api.add(
        "balances",
        &["customer: String"],
        "Array of Balance",
        "The customer's balance in each currency it has transactions in.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Customer, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "balances",
        &["customer: Customer"],
        "Array of Balance",
        "The customer's balance in each currency it has transactions in.",
        move |c: Customer| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Customer, &c.account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "credit_balances",
        &["customer: Customer"],
        "Array of Balance",
        "The customer's balances that are credits (balance below zero), one per currency.",
        move |c: Customer| -> RhaiResult<Array> {
            let all = s
                .ledger
                .balances(Side::Customer, &c.account)
                .map_err(ledger_error)?;
            Ok(array(
                all.into_iter()
                    .filter(|b| b.balance < Decimal::ZERO)
                    .collect(),
            ))
        },
    );
    let s = s!();
    api.add(
        "credit_balances",
        &["customer: String"],
        "Array of Balance",
        "The customer's balances that are credits (balance below zero), one per currency.",
        move |account: &str| -> RhaiResult<Array> {
            let all = s
                .ledger
                .balances(Side::Customer, account)
                .map_err(ledger_error)?;
            Ok(array(
                all.into_iter()
                    .filter(|b| b.balance < Decimal::ZERO)
                    .collect(),
            ))
        },
    );
    let s = s!();
    api.add(
        "vendor_balances",
        &["vendor: String"],
        "Array of Balance",
        "The vendor's balance in each currency (negative: we owe the vendor).",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Vendor, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "open_transactions",
        &["customer: String"],
        "Array of Transaction",
        "The customer's open transactions, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Customer, account, None)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "open_transactions",
        &["customer: String", "currency: String"],
        "Array of Transaction",
        "The customer's open transactions in one currency, oldest first.",
        move |account: &str, currency: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Customer, account, Some(currency))
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "transactions",
        &["customer: String"],
        "Array of Transaction",
        "All of the customer's transactions, open or settled, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .transactions(Side::Customer, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = s!();
    api.add(
        "vendor_open_transactions",
        &["vendor: String"],
        "Array of Transaction",
        "The vendor's open transactions, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Vendor, account, None)
                    .map_err(ledger_error)?,
            ))
        },
    );

    register_pure(api, &session.params, {
        let s = s!();
        move || s.date()
    });
    let s = s!();
    api.add("round_money", &["amount: Decimal", "currency: String"], "Decimal",
        "Rounds to the currency's decimals with its rounding rule (half away from zero unless the parameters say otherwise). Use this, not `round`, which is banker's rounding.",
        move |amount: Decimal, currency: &str| -> RhaiResult<Decimal> {
            Ok(s.ledger.currency(currency).map_err(ledger_error)?.round(amount))
        });
    let s = s!();
    api.add(
        "args",
        &[],
        "Map",
        "The `--arg key=value` arguments given to `reimburse script`.",
        move || -> Map { s.args.borrow().clone() },
    );
    let s = s!();
    api.add(
        "log",
        &["message: any"],
        "()",
        "Writes a line to the run's output.",
        move |message: Dynamic| s.emit(&message.to_string()),
    );
    let s = s!();
    api.add("create_vendor", &["fields: Map"], "Vendor",
        "Creates a vendor. Fields: name and currency (required); account (default: next number of the one-time vendor sequence), address, group, one_time (bool), created_for (customer account), payment_terms, method_of_payment, tax_id, iban, bic (checked). Recorded in the trail of master-data changes.",
        move |fields: Map| -> RhaiResult<Vendor> {
            let m = MapArgs::new("create_vendor", &fields, &["account", "name", "address", "group", "currency", "one_time", "created_for", "payment_terms", "method_of_payment", "tax_id", "iban", "bic"])?;
            let v = NewVendor {
                account: m.string("account")?,
                name: m.required("name")?,
                address: m.string("address")?,
                group: m.string("group")?,
                currency: m.required("currency")?,
                one_time: m.bool("one_time")?.unwrap_or(false),
                created_for: m.string("created_for")?,
                payment_terms: m.string("payment_terms")?,
                method_of_payment: m.string("method_of_payment")?,
                tax_id: m.string("tax_id")?,
                iban: m.iban("iban")?,
                bic: m.bic("bic")?,
            };
            s.ledger.create_vendor(&v).map_err(ledger_error)
        });
    register_master_data(api, session);
    let s = s!();
    api.add(
        "link_vendor",
        &["customer: String", "vendor: String"],
        "()",
        "Makes `vendor` the customer's vendor account (used by the next runs).",
        move |customer: &str, vendor: &str| -> RhaiResult<()> {
            s.ledger
                .link_vendor(customer, Some(vendor))
                .map_err(ledger_error)
        },
    );
    let s = s!();
    api.add("next_number", &["sequence: String"], "String",
        "Takes the next number of a number sequence (reimbursement, vendor_invoice, payment, opening, one_time_vendor).",
        move |sequence: &str| -> RhaiResult<String> { s.ledger.next_number(sequence).map_err(ledger_error) });
    let s = s!();
    api.add("post_voucher", &["voucher: Map"], "Voucher",
        "Posts a balanced voucher. Fields: sequence, description, date (default: posting date), lines: array of #{account | customer | vendor, currency, amount, document, type}. Refused unless the lines sum to zero per currency and every account exists; the receivables and payables (control) accounts take customer and vendor lines only.",
        move |voucher: Map| -> RhaiResult<PostedVoucher> {
            let m = MapArgs::new("post_voucher", &voucher, &["sequence", "description", "date", "lines"])?;
            let lines = voucher.get("lines").and_then(|l| l.clone().try_cast::<Array>())
                .ok_or_else(|| runtime_error("post_voucher: 'lines' must be an array of maps"))?;
            let mut drafts = Vec::with_capacity(lines.len());
            for (i, line) in lines.into_iter().enumerate() {
                let map = line.try_cast::<Map>().ok_or_else(|| runtime_error(format!("post_voucher: line {i} must be a map")))?;
                let l = MapArgs::new("post_voucher line", &map, &["account", "customer", "vendor", "currency", "amount", "document", "type"])?;
                let target = match (l.string("account")?, l.string("customer")?, l.string("vendor")?) {
                    (Some(a), None, None) => Target::Account(a),
                    (None, Some(c), None) => Target::Customer(c),
                    (None, None, Some(v)) => Target::Vendor(v),
                    _ => return Err(runtime_error(format!("post_voucher: line {i} needs exactly one of account, customer, vendor"))),
                };
                drafts.push(LineDraft { target, currency: l.required("currency")?, amount: l.decimal("amount")?, document: l.string("document")?, kind: l.string("type")? });
            }
            s.ledger.post_voucher(&VoucherDraft {
                sequence: m.required("sequence")?,
                date: m.date("date", s.date())?,
                description: m.string("description")?.unwrap_or_default(),
                lines: drafts,
            }).map_err(ledger_error)
        });
    let s = s!();
    api.add("post_vendor_invoice", &["invoice: Map"], "Voucher",
        "Posts a reimbursement: a vendor invoice of `amount` to `vendor` and a reimbursement transaction of +amount on `customer`, in `currency` (receivables summary debit, payables summary credit). Fields: customer, vendor, currency, amount (positive), description, date. The invoice number comes from the vendor_invoice sequence, the voucher number from the reimbursement sequence. Settle the customer transaction against the open credits afterwards.",
        move |invoice: Map| -> RhaiResult<PostedVoucher> {
            let m = MapArgs::new("post_vendor_invoice", &invoice, &["customer", "vendor", "currency", "amount", "description", "date"])?;
            let customer = m.required("customer")?;
            let vendor = m.required("vendor")?;
            let currency = m.required("currency")?;
            let amount = m.decimal("amount")?;
            if amount <= Decimal::ZERO {
                return Err(runtime_error(format!("post_vendor_invoice: the amount must be positive, not {amount}")));
            }
            let number = s.ledger.next_number("vendor_invoice").map_err(ledger_error)?;
            s.ledger.post_voucher(&VoucherDraft {
                sequence: "reimbursement".into(),
                date: m.date("date", s.date())?,
                description: m.string("description")?.unwrap_or_else(|| format!("Reimbursement of customer {customer}")),
                lines: vec![
                    LineDraft { target: Target::Customer(customer), currency: currency.clone(), amount, document: Some(number.clone()), kind: Some("reimbursement".into()) },
                    LineDraft { target: Target::Vendor(vendor), currency, amount: -amount, document: Some(number), kind: Some("invoice".into()) },
                ],
            }).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle", &["first: int", "second: int"], "Decimal",
        "Settles two customer transactions (an open debit and an open credit of one customer and currency) as far as both are open; returns the amount settled.",
        move |a: i64, b: i64| -> RhaiResult<Decimal> {
            s.ledger.settle(Side::Customer, a, b, None, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle", &["first: int", "second: int", "amount: Decimal"], "Decimal",
        "Settles `amount` of two customer transactions against each other; never more than either has open.",
        move |a: i64, b: i64, amount: Dynamic| -> RhaiResult<Decimal> {
            let amount = decimal_arg("settle: amount", &amount)?;
            s.ledger.settle(Side::Customer, a, b, Some(amount), s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle_against_open", &["transaction: int"], "Decimal",
        "Settles a customer transaction against the customer's open transactions of the opposite sign in its currency, oldest first; returns the amount settled.",
        move |id: i64| -> RhaiResult<Decimal> {
            s.ledger.settle_against_open(Side::Customer, id, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle_open_debits", &["customer: String", "currency: String"], "Decimal",
        "Settles the customer's open debits against its open credits in one currency, oldest first (the `net` policy); returns the amount settled.",
        move |customer: &str, currency: &str| -> RhaiResult<Decimal> {
            s.ledger.settle_open_debits(Side::Customer, customer, currency, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add("settle_vendor", &["first: int", "second: int"], "Decimal",
        "Settles two vendor transactions (an open debit and an open credit of one vendor and currency) as far as both are open.",
        move |a: i64, b: i64| -> RhaiResult<Decimal> {
            s.ledger.settle(Side::Vendor, a, b, None, s.date()).map_err(ledger_error)
        });
    let s = s!();
    api.add(
        "trial_balance",
        &[],
        "Array of TrialBalanceRow",
        "The trial balance: each general-ledger account's balance per currency.",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.trial_balance().map_err(ledger_error)?)) },
    );

    register_reports(api, session);
}

/// The functions that read nothing but their arguments, the company parameters and the posting
/// date (and `skip`, which only stops a hook): the same in a session's engine and in a
/// [`Detached`] one.
/// Applies the fields of `m` to a customer (a key left out keeps its value, `()` clears it).
fn apply_customer_fields(m: &MapArgs, c: &mut Customer) -> RhaiResult<()> {
    m.update_required("name", &mut c.name)?;
    m.update_required("currency", &mut c.currency)?;
    m.update_required("group", &mut c.group)?;
    m.update_text("vendor_account", &mut c.vendor_account)?;
    if let Some(hold) = m.bool("payment_hold")? {
        c.payment_hold = hold;
    }
    m.update_text("address", &mut c.address)?;
    m.update_text("tax_id", &mut c.tax_id)?;
    if m.has("iban") {
        c.iban = m.iban("iban")?;
    }
    if m.has("bic") {
        c.bic = m.bic("bic")?;
    }
    Ok(())
}

/// Applies the fields of `m` to a vendor (a key left out keeps its value, `()` clears it).
fn apply_vendor_fields(m: &MapArgs, v: &mut Vendor) -> RhaiResult<()> {
    m.update_required("name", &mut v.name)?;
    m.update_required("currency", &mut v.currency)?;
    m.update_required("group", &mut v.group)?;
    if let Some(blocked) = m.bool("blocked")? {
        v.blocked = blocked;
    }
    m.update_text("address", &mut v.address)?;
    m.update_text("tax_id", &mut v.tax_id)?;
    if m.has("iban") {
        v.iban = m.iban("iban")?;
    }
    if m.has("bic") {
        v.bic = m.bic("bic")?;
    }
    m.update_text("payment_terms", &mut v.payment_terms)?;
    m.update_text("method_of_payment", &mut v.method_of_payment)?;
    Ok(())
}

/// Creating and changing customers and vendors from scripts: the same checks as an import, and
/// every change in the audit trail of master-data changes.
fn register_master_data(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add("create_customer", &["fields: Map"], "Customer",
        "Creates a customer. Fields: account, name and currency (required); group (default DEFAULT), vendor_account, payment_hold (bool), address, tax_id, iban, bic (checked). Recorded in the trail of master-data changes (`reimburse changes`).",
        move |fields: Map| -> RhaiResult<Customer> {
            let m = MapArgs::new("create_customer", &fields, &CUSTOMER_FIELDS)?;
            let mut c = Customer {
                account: m.required("account")?,
                name: m.required("name")?,
                currency: m.required("currency")?,
                group: "DEFAULT".into(),
                address: None,
                vendor_account: None,
                payment_hold: false,
                tax_id: None,
                iban: None,
                bic: None,
            };
            apply_customer_fields(&m, &mut c)?;
            s.ledger.create_customer(&c).map_err(ledger_error)?;
            Ok(c)
        });
    let s = Rc::clone(session);
    api.add("update_customer", &["account: String", "fields: Map"], "Customer",
        "Changes a customer's fields: name, currency, group, vendor_account, payment_hold, address, tax_id, iban, bic. A field left out keeps its value; `()` clears an optional one. Each change is recorded in the trail of master-data changes (who, when, old and new value).",
        move |account: &str, fields: Map| -> RhaiResult<Customer> {
            let m = MapArgs::new("update_customer", &fields, &CUSTOMER_FIELDS[1..])?;
            let mut c = s.ledger.require_customer(account).map_err(ledger_error)?;
            apply_customer_fields(&m, &mut c)?;
            s.ledger.update_customer(&c).map_err(ledger_error)?;
            Ok(c)
        });
    let s = Rc::clone(session);
    api.add("update_vendor", &["account: String", "fields: Map"], "Vendor",
        "Changes a vendor's fields: name, currency, group, blocked, address, tax_id, iban, bic, payment_terms, method_of_payment. A field left out keeps its value; `()` clears an optional one. Each change is recorded in the trail of master-data changes.",
        move |account: &str, fields: Map| -> RhaiResult<Vendor> {
            let m = MapArgs::new("update_vendor", &fields, &VENDOR_FIELDS[1..])?;
            let mut v = s.ledger.require_vendor(account).map_err(ledger_error)?;
            apply_vendor_fields(&m, &mut v)?;
            s.ledger.update_vendor(&v).map_err(ledger_error)?;
            Ok(v)
        });
}

fn register_pure(api: &mut Api, params: &Rc<Parameters>, date: impl Fn() -> NaiveDate + 'static) {
    literals::register(api);
    let p = Rc::clone(params);
    api.add("to_accounting", &["amount: Decimal", "currency: String"], "Decimal",
        "Converts an amount to the accounting currency at the parameters' exchange rate (unrounded).",
        move |amount: Decimal, currency: &str| -> RhaiResult<Decimal> {
            p.to_accounting(amount, currency)
                .map_err(|e| runtime_error(e.to_string()))
        });
    let p = Rc::clone(params);
    api.add(
        "params",
        &[],
        "Parameters",
        "The company parameters (read-only).",
        move || -> ParamsView { ParamsView(Rc::clone(&p)) },
    );
    let p = Rc::clone(params);
    api.add(
        "exchange_rate",
        &["currency: String"],
        "Decimal",
        "The rate of a currency to the accounting currency (1 for the accounting currency).",
        move |currency: &str| -> RhaiResult<Decimal> {
            p.to_accounting(Decimal::ONE, currency)
                .map_err(|e| runtime_error(e.to_string()))
        },
    );
    api.add(
        "posting_date",
        &[],
        "String",
        "The date postings are made on (YYYY-MM-DD).",
        move || -> String { date().to_string() },
    );
    api.add("skip", &["reason: String"], "never returns",
        "Stops the current hook: the engine skips this customer and currency with the reason, and undoes what the hooks did for it.",
        |reason: &str| -> RhaiResult<()> {
            Err(EvalAltResult::ErrorRuntime(Dynamic::from(Skip(reason.to_string())), Position::NONE).into())
        });
    api.add(
        "table",
        &["value: any"],
        "String",
        "The value as the REPL shows it: an array of customers, vendors, transactions, balances or maps as a text table (columns from the fields or keys), a map as sections, other values on one line. For reports: `print(table(rows))`.",
        |value: Dynamic| -> String { crate::render::render(&value).unwrap_or_default() },
    );
    api.add(
        "table",
        &["rows: Array", "columns: Array"],
        "String",
        "A text table of an array of maps (or customers, vendors, …) with these columns in this order, e.g. `print(table(rows, [\"customer\", \"currency\", \"amount\"]))`. A missing field shows empty.",
        |rows: Array, columns: Array| -> String {
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            crate::render::render_columns(&rows, &columns)
        },
    );
    api.add(
        "days_between",
        &["from: String", "to: String"],
        "int",
        "Days from one date (YYYY-MM-DD) to another: positive when `to` is later, e.g. the age of a transaction is `days_between(t.date, posting_date())`.",
        |from: &str, to: &str| -> RhaiResult<i64> {
            Ok((parse_date(to)? - parse_date(from)?).num_days())
        },
    );
}

/// The reimbursement page, the run history and dry runs, for scripts and the REPL.
fn register_reports(api: &mut Api, session: &Rc<Session>) {
    macro_rules! s {
        () => {
            Rc::clone(session)
        };
    }
    let s = s!();
    api.add(
        "reimbursements",
        &[],
        "Array of Map",
        "All reimbursements, oldest first (the reimbursement page). Each is a map: id, run, date, customer, vendor, one_time_vendor (bool), currency, amount, voucher, vendor_invoice, status (`open` or `paid`), payment_voucher and paid_date (`()` until paid).",
        move || -> RhaiResult<Array> { reimbursement_maps(&s, &Map::new()) },
    );
    let s = s!();
    api.add(
        "reimbursements",
        &["filter: Map"],
        "Array of Map",
        "The reimbursements that match `filter`, oldest first, as maps (see `reimbursements()`). Filter fields, all optional: status (`open` or `paid`), customer, vendor, run (int), from and to (dates, inclusive), e.g. `reimbursements(#{status: \"open\", customer: \"C-002\"})`.",
        move |filter: Map| -> RhaiResult<Array> { reimbursement_maps(&s, &filter) },
    );
    let s = s!();
    api.add(
        "runs",
        &[],
        "Array of Map",
        "The runs recorded in the database (audit trail), newest first. Each is a map: id, kind (`reimbursement`, `payment`, or `script` and `repl` for the postings of a committed script or REPL session), started_at, finished_at, user, posting_date, selection, rules_path, rules_hash, parameters_hash, considered, reimbursed (reimbursements or payments made), skipped, failed.",
        move || -> RhaiResult<Array> {
            let runs = crate::process::runs(&s.ledger).map_err(ledger_error)?;
            Ok(runs.iter().map(|r| Dynamic::from(run_map(r))).collect())
        },
    );
    let s = s!();
    api.add(
        "dry_run",
        &[],
        "Map",
        "Runs the reimbursement for all customers with the company's rule file and undoes it: what a run would do now. Functions defined in the REPL session or the script override the rule file's (to try a change to a hook). Returns a map: `considered` (customers), `reimbursements` (maps: customer, vendor, one_time_vendor, currency, amount, voucher, vendor_invoice), `skipped` (maps: customer, currency, balance, reason), `failed` (maps: customer, error), `totals` (currency → amount) and `output` (lines the rules printed). A customer whose rules fail is listed in `failed`. Work done earlier in the session is seen by the dry run and kept. Only in `reimburse repl` and `reimburse script`.",
        move || -> RhaiResult<Map> { dry_run(&s, crate::process::Selection::All) },
    );
    let s = s!();
    api.add(
        "dry_run",
        &["customer: String"],
        "Map",
        "A dry run for one customer (see `dry_run()`), e.g. `dry_run(\"C-003\")`.",
        move |customer: &str| -> RhaiResult<Map> {
            dry_run(
                &s,
                crate::process::Selection::Customers(vec![customer.to_string()]),
            )
        },
    );
    let s = s!();
    api.add(
        "dry_run",
        &["customers: Array"],
        "Map",
        "A dry run for these customer accounts (see `dry_run()`), e.g. `dry_run([\"C-001\", \"C-002\"])`.",
        move |customers: Array| -> RhaiResult<Map> {
            let accounts = customers
                .into_iter()
                .map(|c| {
                    c.into_string().map_err(|t| {
                        runtime_error(format!("dry_run: customer accounts must be strings, not {t}"))
                    })
                })
                .collect::<RhaiResult<Vec<String>>>()?;
            dry_run(&s, crate::process::Selection::Customers(accounts))
        },
    );
}

fn unit_or<T: Into<Dynamic>>(value: Option<T>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Into::into)
}

/// A reimbursement as scripts see it.
fn reimbursement_map(r: &crate::process::Reimbursement) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), r.id.into());
    m.insert("run".into(), r.run.into());
    m.insert("date".into(), r.date.to_string().into());
    m.insert("customer".into(), r.customer.clone().into());
    m.insert("vendor".into(), r.vendor.clone().into());
    m.insert("one_time_vendor".into(), r.one_time_vendor.into());
    m.insert("currency".into(), r.currency.clone().into());
    m.insert("amount".into(), Dynamic::from(r.amount));
    m.insert("voucher".into(), r.voucher.clone().into());
    m.insert("vendor_invoice".into(), r.vendor_invoice.clone().into());
    m.insert("status".into(), r.status.clone().into());
    m.insert("payment_voucher".into(), unit_or(r.payment_voucher.clone()));
    m.insert(
        "paid_date".into(),
        unit_or(r.paid_date.map(|d| d.to_string())),
    );
    m
}

fn reimbursement_maps(session: &Session, filter: &Map) -> RhaiResult<Array> {
    let m = MapArgs::new(
        "reimbursements",
        filter,
        &["status", "customer", "vendor", "run", "from", "to"],
    )?;
    let run = match filter.get("run") {
        None => None,
        Some(v) if v.is_unit() => None,
        Some(v) => Some(v.as_int().map_err(|t| {
            runtime_error(format!("reimbursements: 'run' must be an int, not {t}"))
        })?),
    };
    let date = |key: &str| -> RhaiResult<Option<NaiveDate>> {
        m.string(key)?.map(|d| parse_date(&d)).transpose()
    };
    let filter = crate::process::ReimbursementFilter {
        status: m.string("status")?,
        customer: m.string("customer")?,
        vendor: m.string("vendor")?,
        run,
        from: date("from")?,
        to: date("to")?,
        ..Default::default()
    };
    let rows = crate::process::reimbursements(&session.ledger, &filter).map_err(ledger_error)?;
    Ok(rows
        .iter()
        .map(|r| Dynamic::from(reimbursement_map(r)))
        .collect())
}

/// A recorded run as scripts see it.
fn run_map(r: &crate::process::RunRecord) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), r.id.into());
    m.insert("kind".into(), r.kind.clone().into());
    m.insert("started_at".into(), r.started_at.clone().into());
    m.insert("finished_at".into(), unit_or(r.finished_at.clone()));
    m.insert("user".into(), r.user.clone().into());
    m.insert("posting_date".into(), r.posting_date.clone().into());
    m.insert("selection".into(), r.selection.clone().into());
    m.insert("rules_path".into(), unit_or(r.rules_path.clone()));
    m.insert("rules_hash".into(), unit_or(r.rules_hash.clone()));
    m.insert("parameters_hash".into(), r.parameters_hash.clone().into());
    m.insert("considered".into(), r.considered.into());
    m.insert("reimbursed".into(), r.reimbursed.into());
    m.insert("skipped".into(), r.skipped.into());
    m.insert("failed".into(), r.failed.into());
    m
}

/// Runs the process as a dry run inside the session's open transaction (a nested transaction,
/// see [`crate::store::Store::begin`]) and returns its report as a map. The session's earlier
/// output, posting date and current run are kept.
fn dry_run(session: &Rc<Session>, selection: crate::process::Selection) -> RhaiResult<Map> {
    let rules = session.rules_file().ok_or_else(|| {
        runtime_error(
            "dry_run: this session has no rule file (dry_run works in `reimburse repl` and `reimburse script`)",
        )
    })?;
    if session.in_dry_run.replace(true) {
        return Err(runtime_error(
            "dry_run cannot be called while a dry run is going on (from the rules)",
        ));
    }
    let conn = session.ledger.store().conn();
    let changes_before = conn.total_changes();
    let output_before = session.take_output();
    let run_before = session.ledger.run_id();
    let date = session.date();
    let options = crate::process::RunOptions {
        selection,
        date,
        rules,
        dry_run: true,
        keep_going: true,
        user: crate::process::current_user(),
    };
    let result = crate::process::run(session, &options);
    session.set_date(date);
    session.ledger.set_run(run_before);
    *session.output.borrow_mut() = output_before;
    session
        .undone_changes
        .set(session.undone_changes.get() + (conn.total_changes() - changes_before));
    session.in_dry_run.set(false);
    let report = result.map_err(runtime_error)?;
    let mut m = Map::new();
    m.insert("considered".into(), (report.considered as i64).into());
    m.insert(
        "reimbursements".into(),
        report
            .reimbursements
            .iter()
            .map(|r| {
                let mut row = reimbursement_map(r);
                for key in [
                    "id",
                    "run",
                    "status",
                    "payment_voucher",
                    "paid_date",
                    "date",
                ] {
                    row.remove(key);
                }
                Dynamic::from(row)
            })
            .collect::<Array>()
            .into(),
    );
    m.insert(
        "skipped".into(),
        report
            .skipped
            .iter()
            .map(|k| {
                let mut row = Map::new();
                row.insert("customer".into(), k.customer.clone().into());
                row.insert("currency".into(), k.currency.clone().into());
                row.insert("balance".into(), Dynamic::from(k.balance));
                row.insert("reason".into(), k.reason.clone().into());
                Dynamic::from(row)
            })
            .collect::<Array>()
            .into(),
    );
    m.insert(
        "failed".into(),
        report
            .failed
            .iter()
            .map(|f| {
                let mut row = Map::new();
                row.insert("customer".into(), f.customer.clone().into());
                row.insert("error".into(), f.error.clone().into());
                Dynamic::from(row)
            })
            .collect::<Array>()
            .into(),
    );
    let totals: Map = report
        .totals
        .iter()
        .map(|(c, t)| (c.as_str().into(), Dynamic::from(*t)))
        .collect();
    m.insert("totals".into(), totals.into());
    m.insert(
        "output".into(),
        report
            .output
            .into_iter()
            .map(Dynamic::from)
            .collect::<Array>()
            .into(),
    );
    Ok(m)
}

/// Where a script error happened and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFault {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The script functions the error passed through, outermost first.
    pub functions: Vec<String>,
    /// The innermost message.
    pub message: String,
    /// The value of `skip(reason)`, when the error is a skip.
    pub skip: Option<String>,
}

impl ScriptFault {
    /// Unwraps nested function-call errors down to the real position and message.
    pub fn from_error(err: &EvalAltResult) -> ScriptFault {
        let mut functions = Vec::new();
        let mut current = err;
        loop {
            match current {
                EvalAltResult::ErrorInFunctionCall(name, _, inner, _) => {
                    functions.push(name.clone());
                    current = inner;
                }
                EvalAltResult::ErrorInModule(_, inner, _) => current = inner,
                _ => break,
            }
        }
        let skip = match current {
            EvalAltResult::ErrorRuntime(value, _) => value.clone().try_cast::<Skip>().map(|s| s.0),
            _ => None,
        };
        let pos = current.position();
        let message = match current {
            EvalAltResult::ErrorRuntime(value, _) if value.is_string() => value.to_string(),
            EvalAltResult::ErrorTooManyOperations(_) => {
                "too many operations: the script ran past its operations limit (an endless loop?) (limits.max_operations)"
                    .to_string()
            }
            EvalAltResult::ErrorTerminated(token, _) if token.is::<MemoryLimit>() => {
                "out of memory: the script's data grew past its memory limit (limits.max_memory_mb)"
                    .to_string()
            }
            EvalAltResult::ErrorStackOverflow(_) => {
                "call stack overflow: too deep recursion (limits.max_call_levels)".to_string()
            }
            EvalAltResult::ErrorDataTooLarge(what, _) => match what.as_str() {
                "Length of string" => {
                    "a string grew past the string size limit (limits.max_string_size)".to_string()
                }
                "Size of array/BLOB" => {
                    "an array grew past the array size limit (limits.max_array_size)".to_string()
                }
                "Size of object map" => {
                    "an object map grew past the map size limit (limits.max_map_size)".to_string()
                }
                other => format!("{other} too large"),
            },
            other => {
                let text = other.to_string();
                // Rhai appends " (line L, position C)"; the position is reported separately.
                match text.rfind(" (line ") {
                    Some(i) => text[..i].to_string(),
                    None => text,
                }
            }
        };
        ScriptFault {
            line: pos.line(),
            column: pos.position(),
            functions,
            message,
            skip,
        }
    }
}

/// Compiles a script file with the engine, for errors naming the file.
pub fn compile_file(engine: &Engine, file: &Path) -> Result<rhai::AST, CompileError> {
    let text = std::fs::read_to_string(file).map_err(|e| CompileError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
    })?;
    compile_text(engine, file, &text)
}

/// Compiles script text; `file` names it in errors.
pub fn compile_text(engine: &Engine, file: &Path, text: &str) -> Result<rhai::AST, CompileError> {
    let mut ast = engine.compile(text).map_err(|e| {
        let pos = e.position();
        CompileError {
            file: file.to_path_buf(),
            line: pos.line(),
            column: pos.position(),
            message: format!("syntax error: {}", e.err_type()),
        }
    })?;
    ast.set_source(file.to_string_lossy().as_ref());
    Ok(ast)
}

/// A script that cannot be read or does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), position(*line, *column))]
pub struct CompileError {
    /// The script file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Formats `:line:column` (or nothing when unknown).
pub fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// Runs a whole script (top-level statements) in a scope; returns its value.
pub fn eval(engine: &Engine, scope: &mut Scope, ast: &rhai::AST) -> Result<Dynamic, ScriptFault> {
    ScriptMemory::arm();
    engine
        .eval_ast_with_scope::<Dynamic>(scope, ast)
        .map_err(|e| ScriptFault::from_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detached() -> Detached {
        let company = crate::sample_company().unwrap();
        let ledger = Ledger::new(
            crate::store::Store::in_memory().unwrap(),
            company.params.clone(),
        )
        .unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let api = Session::new(ledger, date, Echo::Collect).api();
        Detached::new(company.params, date, None, &api, None)
    }

    fn eval(d: &Detached, code: &str) -> Result<String, String> {
        d.engine
            .eval::<Dynamic>(code)
            .map(|v| v.to_string())
            .map_err(|e| ScriptFault::from_error(&e).message)
    }

    #[test]
    fn a_detached_engine_has_the_pure_functions_and_notes_every_other_one() {
        let d = detached();
        // The parameters, conversions, the date and dates work as in a session.
        assert_eq!(eval(&d, "params().minimum_reimbursement").unwrap(), "25.00");
        assert_eq!(eval(&d, "posting_date()").unwrap(), "2026-11-30");
        assert_eq!(eval(&d, "to_accounting(10.00, \"USD\")").unwrap(), "10.00");
        assert_eq!(
            eval(&d, "days_between(\"2026-11-01\", posting_date())").unwrap(),
            "29"
        );
        assert!(!d.touched());
        // A function that needs the session fails and is noted, even when the failure is caught.
        assert!(eval(&d, "find_vendor(\"V-1\")").is_err());
        assert!(d.touched());
        assert!(!d.touched(), "touched() forgets");
        assert_eq!(
            eval(&d, "try { customer(\"C-1\") } catch { 1 }; 2").unwrap(),
            "2"
        );
        assert!(d.touched());
        // So are output and the clock.
        for code in ["print(1)", "debug(1)", "timestamp()", "log(1)"] {
            let _ = eval(&d, code);
            assert!(d.touched(), "{code}");
        }
        // Functions of Rhai's standard library are not.
        assert_eq!(eval(&d, "\"abc\".len() + [1, 2].len()").unwrap(), "5");
        assert!(!d.touched());
    }
}
