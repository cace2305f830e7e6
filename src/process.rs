//! The reimbursement process: the run (rule hooks driven per customer and currency, checked by the
//! engine), the reimbursement page, and payment.
//!
//! # The run, in order
//! Customers are taken in account order (all, a list, groups, or those a `--where` expression
//! selects). For each customer, each currency in which it has open credits is a *candidate*, in
//! currency-code order. For each candidate the engine calls the rule hooks:
//! 1. `eligible(customer, credit)` → `true`, or `false` / a reason text to skip;
//! 2. `vendor_for(customer, credit)` → a vendor account, or `()` for a one-time vendor;
//! 3. `create_one_time_vendor(customer, credit)` → the new vendor; called at most once per customer
//!    and run (a second currency reuses the vendor);
//! 4. `post_reimbursement(customer, credit, vendor)` → posts the vendor invoice and settles the
//!    customer's reimbursement transaction against its open credits.
//!
//! Any hook may call `skip(reason)`. After the hooks the engine checks their work (a refusal is a
//! [`HookError`] with `refused` set): exactly one vendor invoice, to the chosen vendor, in the
//! credit's currency, for a positive amount, whose customer transaction is fully settled against
//! open credits (so it can never exceed the credit there is, and the same credit can never be
//! reimbursed twice); and hooks change only their own customer, so a page of customers can be read
//! before the hooks of the customers before it have run. The whole run is one `BEGIN IMMEDIATE`
//! transaction: any error rolls it all back; a dry run takes the same path and rolls back at the
//! end. With `keep_going`, a failing customer's work is undone (savepoint) and the run goes on.
//!
//! A run that began its transaction reads the pages of customers ahead, on a thread of its own,
//! where a second script engine also works out `--where`, `eligible` and `vendor_for` as far as
//! they read only the customer, the credit, the parameters, the date and the vendors the run
//! began with (`Foresight`); the run decides the rest itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rhai::{CallFnOptions, Dynamic, Engine, Scope};
use rusqlite::params;
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ledger::{
    AheadReads, Balance, ChangeOrigin, Customer, CustomerPage, CustomerPages, Journal, Ledger,
    LedgerError, LineDraft, PostedVoucher, Side, Target, Vendor, VoucherDraft,
};
use crate::parameters::hex;
use crate::scripting::{
    ApiDoc, CompileError, Detached, ScriptFault, ScriptMemory, Session, compile_text, position,
    shown,
};
use crate::store::StoreError;

/// The hooks a rule file must define, with their number of parameters.
pub const HOOKS: &[(&str, usize)] = &[
    ("eligible", 2),
    ("vendor_for", 2),
    ("create_one_time_vendor", 2),
    ("post_reimbursement", 3),
];

/// Which customers a run takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// All customers.
    All,
    /// These customer accounts.
    Customers(Vec<String>),
    /// Customers in these groups.
    Groups(Vec<String>),
    /// Customers for which this Rhai expression over `customer` is true.
    Where(String),
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::All => f.write_str("all customers"),
            Selection::Customers(list) => write!(f, "customers {}", list.join(",")),
            Selection::Groups(list) => write!(f, "groups {}", list.join(",")),
            Selection::Where(expr) => write!(f, "where {expr}"),
        }
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Which customers.
    pub selection: Selection,
    /// Posting date.
    pub date: NaiveDate,
    /// The rule file.
    pub rules: PathBuf,
    /// Roll back at the end (a proposal).
    pub dry_run: bool,
    /// Skip a failing customer (its work undone) instead of rolling back the run.
    pub keep_going: bool,
    /// Who runs it (recorded).
    pub user: String,
}

/// A reimbursement, as the run reports it and the reimbursement page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reimbursement {
    /// Row id (0 in a dry run's report after rollback).
    pub id: i64,
    /// The run that made it.
    pub run: i64,
    /// Customer account.
    pub customer: String,
    /// Vendor account that received the credit.
    pub vendor: String,
    /// True when the vendor is a one-time vendor created for it by the run.
    pub one_time_vendor: bool,
    /// Currency.
    pub currency: String,
    /// Amount reimbursed (positive).
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// Posting date.
    pub date: NaiveDate,
    /// Voucher number.
    pub voucher: String,
    /// Vendor invoice number.
    pub vendor_invoice: String,
    /// `open` or `paid` (`proposed` in a dry run).
    pub status: String,
    /// Payment voucher, once paid.
    pub payment_voucher: Option<String>,
    /// Payment date, once paid.
    pub paid_date: Option<NaiveDate>,
}

/// Serializes a decimal as its exact text.
pub fn as_text<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// A candidate the rules did not reimburse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Customer account.
    pub customer: String,
    /// Currency of the credit.
    pub currency: String,
    /// Credit balance.
    #[serde(serialize_with = "as_text")]
    pub balance: Decimal,
    /// The reason the rules gave.
    pub reason: String,
}

/// A customer whose processing failed under `keep_going` (its work was undone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failed {
    /// Customer account.
    pub customer: String,
    /// The error.
    pub error: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The run's id (a dry run's id is not kept).
    pub run: i64,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// Posting date.
    pub date: NaiveDate,
    /// The selection.
    pub selection: String,
    /// The rule file.
    pub rules: PathBuf,
    /// SHA-256 of the rule file.
    pub rules_hash: String,
    /// SHA-256 of the parameters.
    pub parameters_hash: String,
    /// Customers considered.
    pub considered: u64,
    /// Number of reimbursements made (or proposed).
    pub reimbursed_count: u64,
    /// Number of credits skipped.
    pub skipped_count: u64,
    /// Number of customers failed (with `keep_going`).
    pub failed_count: u64,
    /// The reimbursements made (or proposed); empty from [`run_observed`].
    pub reimbursements: Vec<Reimbursement>,
    /// Candidates skipped, with the rules' reasons.
    pub skipped: Vec<Skipped>,
    /// Customers that failed (with `keep_going`).
    pub failed: Vec<Failed>,
    /// Total reimbursed per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
    /// What the rules printed or logged.
    pub output: Vec<String>,
}

fn totals_as_text<S: serde::Serializer>(
    totals: &BTreeMap<String, Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(totals.len()))?;
    for (k, v) in totals {
        map.serialize_entry(k, &v.to_string())?;
    }
    map.end()
}

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

/// Who runs this process, for the audit trails (see [`crate::ledger::current_user`]).
pub use crate::ledger::current_user;

/// SHA-256 (hex) of a text.
pub fn sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The compiled rules and the engine that runs them.
pub struct Rules {
    engine: Engine,
    ast: rhai::AST,
    file: PathBuf,
    hash: String,
    /// The rule file's text, its folder (for `import`) and the engine's API listing: what an
    /// engine on another thread needs to evaluate the same rules ([`Foresight`]).
    text: String,
    dir: PathBuf,
    api: Vec<ApiDoc>,
    /// The session's definitions that override the rule file's functions (a dry run from the
    /// REPL or a script), with the names they define.
    overrides: Option<(PathBuf, Vec<String>)>,
}

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules").field("file", &self.file).finish()
    }
}

impl Rules {
    /// Compiles the rule file once for a session and checks that every hook is defined.
    pub fn load(session: &Rc<Session>, file: &Path) -> Result<Rules, RunError> {
        let text = std::fs::read_to_string(file).map_err(|e| CompileError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: format!("cannot read the rule file: {e} (set `rules:` in the company parameters or use --rules)"),
        })?;
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (engine, api) = session.engine(Some(dir));
        let mut ast = compile_text(&engine, file, &text)?;
        // Functions defined in the REPL or a script replace the rule file's of the same name
        // and arity, as they do there.
        let overrides = session
            .definitions()
            .filter(|d| d.functions.iter_functions().next().is_some())
            .map(|d| {
                ast = ast.merge(&d.functions);
                let names = d
                    .functions
                    .iter_functions()
                    .map(|f| f.name.to_string())
                    .collect();
                (d.source, names)
            });
        for (hook, arity) in HOOKS {
            if !ast
                .iter_functions()
                .any(|f| f.name == *hook && f.params.len() == *arity)
            {
                return Err(RunError::MissingHook {
                    file: file.to_path_buf(),
                    hook: hook.to_string(),
                    arity: *arity,
                });
            }
        }
        Ok(Rules {
            engine,
            ast,
            file: file.to_path_buf(),
            hash: sha256(&text),
            text,
            dir: dir.to_path_buf(),
            api,
            overrides,
        })
    }

    /// The engine (with the session's API).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled rules.
    pub fn ast(&self) -> &rhai::AST {
        &self.ast
    }

    /// The rule file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    fn call(
        &self,
        hook: &str,
        customer: &Customer,
        credit: &Balance,
        args: &dyn Fn() -> Vec<Dynamic>,
    ) -> Result<Hooked, Box<HookError>> {
        match call_hook(&self.engine, &self.ast, hook, args()) {
            Ok(value) => Ok(Hooked::Value(value)),
            Err(e) => {
                let fault = ScriptFault::from_error(&e);
                if let Some(reason) = fault.skip {
                    return Ok(Hooked::Skip(reason));
                }
                // A limit (operations, memory, sizes, call depth) loses its position on the way
                // out of a function: find it again, else point at the hook.
                let (line, column) = if fault.line.is_some() {
                    (fault.line, fault.column)
                } else {
                    self.limit_position(hook, &e, args())
                        .unwrap_or_else(|| self.hook_position(hook))
                };
                // The innermost function the error passed through says whose text it is in.
                let innermost = fault.functions.last().map_or(hook, String::as_str);
                Err(Box::new(HookError {
                    file: self.file_of(innermost),
                    hook: hook.to_string(),
                    customer: customer.account.clone(),
                    currency: credit.currency.clone(),
                    line,
                    column,
                    message: fault.message,
                    refused: false,
                }))
            }
        }
    }

    fn refuse(
        &self,
        hook: &str,
        customer: &Customer,
        credit: &Balance,
        message: String,
    ) -> Box<HookError> {
        let (line, column) = self.hook_position(hook);
        Box::new(HookError {
            file: self.file_of(hook),
            hook: hook.to_string(),
            customer: customer.account.clone(),
            currency: credit.currency.clone(),
            line,
            column,
            message,
            refused: true,
        })
    }

    /// The file a function of the rules is written in: the rule file, or where the session's
    /// definitions that override it were written.
    fn file_of(&self, function: &str) -> PathBuf {
        match &self.overrides {
            Some((source, names)) if names.iter().any(|n| n == function) => source.clone(),
            _ => self.file.clone(),
        }
    }

    /// Where a limit stopped a hook. Rhai reports a limit (an endless loop running out of
    /// operations, the memory limit, a size limit, the call depth) at the position of the
    /// function call it passed through, which for a hook called by the engine is none. This
    /// evaluates the hook's body again, with the same arguments, as the statements of a script
    /// (its parameters as variables), where the error keeps the position of the statement at
    /// which the limit tripped (within the hook's own text; in a function the hook calls, at that
    /// call). `None` when the second evaluation does not fail the same way. Only on this error
    /// path: what the first evaluation wrote is undone with the customer, as for any failure.
    fn limit_position(
        &self,
        hook: &str,
        err: &rhai::EvalAltResult,
        args: Vec<Dynamic>,
    ) -> Option<(Option<usize>, Option<usize>)> {
        if !err.is_system_exception() {
            return None;
        }
        let arity = args.len();
        let def = self
            .ast
            .iter_fn_def()
            .find(|f| f.name == hook && f.params.len() == arity)?;
        // (`clone_functions_only_filtered` keeps every function when it starts from none.)
        let mut only = self.ast.clone_functions_only();
        only.retain_functions(|_, _, name, n| name == hook && n == arity);
        let mut body = Vec::new();
        only.walk(&mut |path: &[rhai::ASTNode]| {
            if let [rhai::ASTNode::Stmt(stmt)] = path {
                body.push((*stmt).clone());
            }
            true
        });
        let script = self
            .ast
            .clone_functions_only()
            .merge(&rhai::AST::new(body, rhai::Module::new()));
        let mut scope = Scope::new();
        for (name, value) in def.params.iter().zip(args) {
            scope.push_dynamic(name.as_str(), value);
        }
        ScriptMemory::arm();
        let again = crate::scripting::guard::finish(
            self.engine
                .eval_ast_with_scope::<Dynamic>(&mut scope, &script),
        )
        .err()?;
        let pos = again.position();
        let same = std::mem::discriminant(&*again) == std::mem::discriminant(err);
        (same && !pos.is_none()).then(|| (pos.line(), pos.position()))
    }

    /// Where a hook is defined in the rule file (the opening brace of its body), for errors that
    /// have no position of their own (refusals by the engine).
    fn hook_position(&self, hook: &str) -> (Option<usize>, Option<usize>) {
        let Some((_, arity)) = HOOKS.iter().find(|(name, _)| *name == hook) else {
            return (None, None);
        };
        self.ast
            .iter_fn_def()
            .find(|f| f.name == hook && f.params.len() == *arity)
            .map(|f| {
                let pos = f.body.start_position();
                (pos.line(), pos.position())
            })
            .unwrap_or((None, None))
    }
}

enum Hooked {
    Value(Dynamic),
    Skip(String),
}

/// Calls a hook of the compiled rules (without running their top level), with the memory limit
/// counted from here.
fn call_hook(
    engine: &Engine,
    ast: &rhai::AST,
    hook: &str,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
    let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    ScriptMemory::arm();
    let result = engine.call_fn_with_options(options, &mut Scope::new(), ast, hook, args);
    crate::scripting::guard::finish(result)
}

/// What `eligible` said of a credit: `Ok(())` to reimburse it, `Err(reason)` to skip it.
type Verdict = Result<(), String>;

/// Reads `eligible`'s answer: true, false (skipped as "not eligible") or a reason text, or a
/// `skip(reason)`. `Err(value)` for any other value.
fn eligibility(hooked: Hooked) -> Result<Verdict, Dynamic> {
    let value = match hooked {
        Hooked::Skip(reason) => return Ok(Err(reason)),
        Hooked::Value(value) => value,
    };
    if let Ok(yes) = value.as_bool() {
        Ok(if yes {
            Ok(())
        } else {
            Err("not eligible".into())
        })
    } else if value.is_string() {
        Ok(Err(value.to_string()))
    } else {
        Err(value)
    }
}

/// What `vendor_for` said of a credit: `Ok(None)` for a one-time vendor, `Ok(Some(Ok(vendor)))`
/// for a vendor, `Ok(Some(Err(account)))` for an account still to be looked up; `Err(reason)` to
/// skip the credit.
type Choice = Result<Option<Result<Vendor, String>>, String>;

/// Reads `vendor_for`'s answer; `Err(value)` for a value it may not give.
fn vendor_choice(hooked: Hooked) -> Result<Choice, Dynamic> {
    let value = match hooked {
        Hooked::Skip(reason) => return Ok(Err(reason)),
        Hooked::Value(value) => value,
    };
    // A Vendor value is as the ledger gave it to the script (scripts cannot change one, and the
    // posting checks the vendor again), so only an account has to be looked up.
    if value.is_unit() {
        Ok(Ok(None))
    } else if value.is_string() {
        Ok(Ok(Some(Err(value.to_string()))))
    } else if let Some(vendor) = value.clone().try_cast::<Vendor>() {
        Ok(Ok(Some(Ok(vendor))))
    } else {
        Err(value)
    }
}

/// What the read-ahead thread worked out for one candidate credit (`None`: the run calls the
/// hook itself).
#[derive(Debug, Clone, Default)]
struct Ahead {
    eligible: Option<Verdict>,
    vendor: Option<Choice>,
}

/// A credit the run considers, with what was worked out ahead for it.
struct Candidate {
    credit: Balance,
    ahead: Ahead,
}

/// Whether a balance is one the run considers: it has open credits.
fn is_candidate(balance: &Balance) -> bool {
    balance.open_credit < Decimal::ZERO
}

/// What the read-ahead thread worked out for one customer of a page (one per customer, in page
/// order).
#[derive(Debug, Default)]
struct Foreseen {
    /// Whether the `--where` expression selects the customer; `None`: the run evaluates it.
    selected: Option<bool>,
    /// Per candidate credit, in balance order.
    credits: Vec<Ahead>,
}

/// What the read-ahead thread does with each page.
type PageWork = Box<dyn FnMut(&CustomerPage) -> Vec<Foreseen>>;

/// The `--where` expression, `eligible` and `vendor_for` worked out ahead, on the thread that
/// reads the customers ahead of the run, by an engine of its own ([`Detached`]): it sees the
/// customer and the credit as the run will hand them over, the parameters, the posting date and
/// the vendors that existed when the run began. Where a hook or the expression uses anything else
/// (the ledger, output, a vendor the run may have created), its result is left out and the run
/// works it out itself. The run uses a result only while the customer is as the page has it (an
/// earlier currency's hooks may have linked a vendor to it).
struct Foresight {
    detached: Detached,
    ast: rhai::AST,
    filter: Option<rhai::AST>,
    /// Set by the first result that does not count, of each hook and of the expression: it uses
    /// more than it may here, or fails (and the run will most likely stop at that customer), so
    /// working it out ahead would only double the work.
    eligible_given_up: std::cell::Cell<bool>,
    vendor_given_up: std::cell::Cell<bool>,
    filter_given_up: std::cell::Cell<bool>,
}

impl Foresight {
    /// What the read-ahead thread runs to work out a page's verdicts (see
    /// [`Ledger::read_ahead_customers_with`]); it gives none if the rules do not compile there.
    fn prepare(
        rules: &Rules,
        session: &Session,
        selection: &Selection,
    ) -> impl FnOnce(AheadReads) -> PageWork + Send + 'static {
        let filter = match selection {
            Selection::Where(expr) => Some(expr.clone()),
            _ => None,
        };
        let (text, file, dir, api) = (
            rules.text.clone(),
            rules.file.clone(),
            rules.dir.clone(),
            rules.api.clone(),
        );
        let (params, date) = (session.ledger().params().clone(), session.date());
        move |reads| -> PageWork {
            let detached = Detached::new(params, date, Some(&dir), &api, Some(reads));
            let filter_given_up = std::cell::Cell::new(false);
            let filter = filter.and_then(|expr| {
                let ast = detached.engine.compile_expression(&expr).ok();
                filter_given_up.set(ast.is_none());
                ast
            });
            match compile_text(&detached.engine, &file, &text) {
                Ok(ast) => {
                    let foresight = Foresight {
                        detached,
                        ast,
                        filter,
                        eligible_given_up: std::cell::Cell::new(false),
                        vendor_given_up: std::cell::Cell::new(false),
                        filter_given_up,
                    };
                    Box::new(move |page| foresight.page(page))
                }
                Err(_) => Box::new(|_| Vec::new()),
            }
        }
    }

    fn page(&self, page: &CustomerPage) -> Vec<Foreseen> {
        page.customers
            .iter()
            .map(|customer| {
                let selected = self.filter.as_ref().and_then(|ast| {
                    trusted(&self.filter_given_up, || {
                        let value = eval_filter(&self.detached.engine, ast, customer);
                        if self.detached.touched() {
                            return None;
                        }
                        value.ok()?.as_bool().ok()
                    })
                });
                if selected == Some(false) {
                    return Foreseen::default();
                }
                let credits = page
                    .balances
                    .get(&customer.account)
                    .into_iter()
                    .flatten()
                    .filter(|b| is_candidate(b))
                    .map(|credit| self.credit(customer, credit))
                    .collect();
                Foreseen { selected, credits }
            })
            .collect()
    }

    /// `eligible`, and `vendor_for` for an eligible credit.
    fn credit(&self, customer: &Customer, credit: &Balance) -> Ahead {
        let eligible = trusted(&self.eligible_given_up, || {
            eligibility(self.call(customer, credit, "eligible")?).ok()
        });
        let vendor = match eligible {
            Some(Ok(())) => trusted(&self.vendor_given_up, || {
                vendor_choice(self.call(customer, credit, "vendor_for")?).ok()
            }),
            _ => None,
        };
        Ahead { eligible, vendor }
    }

    /// A hook called as [`Rules::call`] calls it; `None` when its result does not count (it
    /// used more than it may here, or failed).
    fn call(&self, customer: &Customer, credit: &Balance, hook: &str) -> Option<Hooked> {
        let args = vec![
            Dynamic::from(customer.clone()).into_shared(),
            Dynamic::from(credit.clone()).into_shared(),
        ];
        let result = call_hook(&self.detached.engine, &self.ast, hook, args);
        if self.detached.touched() {
            return None;
        }
        Some(match result {
            Ok(value) => Hooked::Value(value),
            Err(e) => Hooked::Skip(ScriptFault::from_error(&e).skip?),
        })
    }
}

/// `work()` unless `given_up`; the first `None` it gives sets `given_up`.
fn trusted<T>(given_up: &std::cell::Cell<bool>, work: impl FnOnce() -> Option<T>) -> Option<T> {
    if given_up.get() {
        return None;
    }
    let result = work();
    given_up.set(result.is_none());
    result
}

enum Outcome {
    Reimbursed(Reimbursement),
    Skipped(String),
}

/// Receives a run's results as they are made, so that a run over millions of customers need not
/// hold them all in memory. Rows of a customer arrive once its work is final (after its
/// savepoint); in a dry run their status is `proposed`. Nothing received is written unless the
/// run returns `Ok` (and is not a dry run).
pub trait RunObserver {
    /// `done` of `total` selected customers processed.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// A reimbursement made (or proposed).
    fn reimbursement(&mut self, _row: &Reimbursement) {}
    /// A credit the rules skipped.
    fn skipped(&mut self, _row: &Skipped) {}
    /// A customer that failed under `keep_going`.
    fn failed(&mut self, _row: &Failed) {}
}

/// Collects every row into the report (what [`run`] uses).
struct Collect<'a> {
    reimbursements: Vec<Reimbursement>,
    skipped: Vec<Skipped>,
    failed: Vec<Failed>,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl RunObserver for Collect<'_> {
    fn progress(&mut self, done: u64, total: u64) {
        (self.progress)(done, total);
    }
    fn reimbursement(&mut self, row: &Reimbursement) {
        self.reimbursements.push(row.clone());
    }
    fn skipped(&mut self, row: &Skipped) {
        self.skipped.push(row.clone());
    }
    fn failed(&mut self, row: &Failed) {
        self.failed.push(row.clone());
    }
}

/// Runs the reimbursement process. Atomic: on error nothing is written.
pub fn run(session: &Rc<Session>, options: &RunOptions) -> Result<RunReport, RunError> {
    run_with_progress(session, options, &mut |_, _| {})
}

/// Like [`run`], calling `progress(done, total)` as customers are processed.
pub fn run_with_progress(
    session: &Rc<Session>,
    options: &RunOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RunReport, RunError> {
    let mut collect = Collect {
        reimbursements: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
        progress,
    };
    let mut report = run_observed(session, options, &mut collect)?;
    report.reimbursements = collect.reimbursements;
    report.skipped = collect.skipped;
    report.failed = collect.failed;
    Ok(report)
}

/// Runs the reimbursement process, handing each row to `observer` instead of keeping it: the
/// returned report has the counts and totals but empty row lists. Atomic like [`run`].
pub fn run_observed(
    session: &Rc<Session>,
    options: &RunOptions,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, RunError> {
    session.set_date(options.date);
    let rules = Rules::load(session, &options.rules)?;
    let ledger = session.ledger();
    let store = ledger.store();
    let filter = match &options.selection {
        Selection::Where(expr) => Some(rules.engine.compile_expression(expr).map_err(|e| {
            RunError::Selection(format!(
                "--where: {} at column {}",
                e.err_type(),
                e.position().position().unwrap_or(0)
            ))
        })?),
        _ => None,
    };
    if let Selection::Customers(list) = &options.selection {
        for account in list {
            if ledger.customer(account)?.is_none() {
                return Err(RunError::Selection(format!("unknown customer '{account}'")));
            }
        }
    }
    if let Selection::Groups(list) = &options.selection {
        for group in list {
            if !ledger.customer_group_exists(group)? {
                return Err(RunError::Selection(format!(
                    "no customer is in group '{group}' (groups are case-sensitive)"
                )));
            }
        }
    }
    // A run that begins the transaction itself reads its customers ahead on a second connection;
    // inside a REPL or script transaction, that connection would not see what is uncommitted.
    // The read-ahead thread works the hooks out from the rule file's text alone: not with
    // definitions that override it.
    let read_ahead = !store.in_transaction() && rules.overrides.is_none();
    store.begin()?;
    let result = run_in_transaction(
        session,
        &rules,
        options,
        filter.as_ref(),
        read_ahead,
        observer,
    );
    match result {
        Ok(report) if !options.dry_run => {
            store.commit()?;
            ledger.set_run(None);
            Ok(report)
        }
        Ok(report) => {
            store.rollback();
            ledger.set_run(None);
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            ledger.set_run(None);
            ledger.take_journal();
            Err(e)
        }
    }
}

fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn run_in_transaction(
    session: &Rc<Session>,
    rules: &Rules,
    options: &RunOptions,
    filter: Option<&rhai::AST>,
    read_ahead: bool,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, RunError> {
    let ledger = session.ledger();
    let store = ledger.store();
    let conn = store.conn();
    let sql = |e| RunError::from(StoreError::sqlite(store.path(), e));
    let params_hash = parameters_hash(ledger);
    let run_id: i64 = conn
        .query_row(
            "INSERT INTO runs(kind, started_at, user_name, posting_date, selection, rules_path,
                 rules_hash, parameters_hash) VALUES ('reimbursement', ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             RETURNING id",
            params![
                now_text(),
                options.user,
                options.date.to_string(),
                options.selection.to_string(),
                rules.file.to_string_lossy(),
                rules.hash,
                params_hash
            ],
            |r| r.get(0),
        )
        .map_err(sql)?;
    ledger.set_run(Some(run_id));
    // A run's postings are bounded by what other postings bound (see MAX_PROCESS_TOTAL).
    let _bound = ledger.process_postings();
    ledger.set_origin(ChangeOrigin {
        user: options.user.clone(),
        source: "run".into(),
        line: None,
    });
    ledger.take_journal();
    session.take_output();

    let mut report = RunReport {
        run: run_id,
        dry_run: options.dry_run,
        date: options.date,
        selection: options.selection.to_string(),
        rules: rules.file.clone(),
        rules_hash: rules.hash.clone(),
        parameters_hash: params_hash,
        considered: 0,
        reimbursed_count: 0,
        skipped_count: 0,
        failed_count: 0,
        reimbursements: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
        totals: BTreeMap::new(),
        output: Vec::new(),
    };

    let total = count_selection(ledger, &options.selection)?;
    let mut done = 0u64;
    let mut pager = CustomerPager::new(
        &options.selection,
        ledger,
        read_ahead.then_some((rules, &**session)),
    );
    let mut block = Vec::with_capacity(BLOCK);
    let flush = |block: &mut Vec<_>, report: &mut RunReport, observer: &mut dyn RunObserver| {
        run_block(session, rules, run_id, options, block, report, observer)
    };
    // A page's balances are read with it, before its customers are processed: hooks only change
    // their own customer.
    while let Some((
        CustomerPage {
            customers,
            mut balances,
        },
        mut foreseen,
    )) = pager.next(ledger)?
    {
        for (i, customer) in customers.into_iter().enumerate() {
            done += 1;
            if done.is_multiple_of(256) {
                observer.progress(done, total);
            }
            let ahead = foreseen.get_mut(i).map(std::mem::take).unwrap_or_default();
            if let Some(ast) = filter {
                let selected = match ahead.selected {
                    Some(selected) => selected,
                    None => selected_by(session, rules, ast, &customer)?,
                };
                if !selected {
                    continue;
                }
            }
            report.considered += 1;
            let mut credits = ahead.credits.into_iter();
            let candidates: Vec<Candidate> = balances
                .remove(&customer.account)
                .unwrap_or_default()
                .into_iter()
                .filter(is_candidate)
                .map(|credit| Candidate {
                    credit,
                    ahead: credits.next().unwrap_or_default(),
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            block.push((customer, candidates));
            if block.len() == BLOCK {
                flush(&mut block, &mut report, observer)?;
            }
        }
        flush(&mut block, &mut report, observer)?;
    }
    observer.progress(total, total);
    conn.execute(
        "UPDATE runs SET finished_at = ?2, considered = ?3, reimbursed = ?4, skipped = ?5,
             failed = ?6 WHERE id = ?1",
        params![
            run_id,
            now_text(),
            report.considered as i64,
            report.reimbursed_count as i64,
            report.skipped_count as i64,
            report.failed_count as i64
        ],
    )
    .map_err(sql)?;
    report.output = session.take_output();
    Ok(report)
}

/// Evaluates the `--where` expression for one customer. It only selects: one that writes to the
/// ledger (it has the whole API) is an error.
fn selected_by(
    session: &Session,
    rules: &Rules,
    ast: &rhai::AST,
    customer: &Customer,
) -> Result<bool, RunError> {
    let conn = session.ledger().store().conn();
    let changes = conn.total_changes();
    let value = eval_filter(&rules.engine, ast, customer).map_err(|e| {
        let f = ScriptFault::from_error(&e);
        RunError::Selection(format!(
            "--where, customer {}: {}",
            customer.account, f.message
        ))
    })?;
    if conn.total_changes() != changes {
        return Err(RunError::Selection(format!(
            "--where must only select customers: it wrote to the ledger (customer {})",
            customer.account
        )));
    }
    value.as_bool().map_err(|t| {
        RunError::Selection(format!(
            "--where must give true or false, not {t} (customer {})",
            customer.account
        ))
    })
}

/// Evaluates the `--where` expression for one customer, with the memory limit counted from here.
fn eval_filter(
    engine: &Engine,
    ast: &rhai::AST,
    customer: &Customer,
) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
    let mut scope = Scope::new();
    scope.push_constant("customer", customer.clone());
    ScriptMemory::arm();
    crate::scripting::guard::finish(engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast))
}

/// How many customers share one savepoint in a run (see [`run_block`]).
const BLOCK: usize = 128;

/// A customer's reimbursements and skipped credits.
type Made = (Vec<Reimbursement>, Vec<Skipped>);

/// What the hooks made of one customer.
enum CustomerOutcome {
    Done(Made),
    Failed(Failed),
}

/// Runs the hooks for a block of customers and hands the results to the report and the observer.
///
/// The work of a skipped credit must be undone, and so must a failing customer's under
/// `keep_going`. A savepoint per credit does that, but costs a copy of every page the credit
/// touches. So a block first runs under one savepoint, without savepoints per credit: a skip
/// before any write needs no undo (the usual case: `eligible` says no). When the hooks skip after
/// writing, or a customer fails under `keep_going`, the block is rolled back and run again
/// carefully: a savepoint per credit, and one per customer under `keep_going` when it has several
/// credits. The careful pass is the one that counts; the first pass's results and output are
/// dropped. Without `keep_going` an error ends the run, and the whole transaction is rolled back.
fn run_block(
    session: &Rc<Session>,
    rules: &Rules,
    run_id: i64,
    options: &RunOptions,
    block: &mut Vec<(Customer, Vec<Candidate>)>,
    report: &mut RunReport,
    observer: &mut dyn RunObserver,
) -> Result<(), RunError> {
    if block.is_empty() {
        return Ok(());
    }
    let ledger = session.ledger();
    let mark = session.hold_output();
    let outcomes =
        run_block_fast(session, rules, run_id, options, block).and_then(|fast| match fast {
            Some(outcomes) => Ok(outcomes),
            None => {
                ledger.take_journal();
                session.discard_output(mark);
                run_block_carefully(session, rules, run_id, options, block)
            }
        });
    session.release_output();
    for outcome in outcomes? {
        match outcome {
            CustomerOutcome::Done((made, skipped)) => {
                for mut r in made {
                    if options.dry_run {
                        r.status = "proposed".into();
                        r.id = 0;
                    }
                    *report
                        .totals
                        .entry(r.currency.clone())
                        .or_insert(Decimal::ZERO) += r.amount;
                    report.reimbursed_count += 1;
                    observer.reimbursement(&r);
                }
                for k in skipped {
                    report.skipped_count += 1;
                    observer.skipped(&k);
                }
            }
            CustomerOutcome::Failed(f) => {
                report.failed_count += 1;
                observer.failed(&f);
            }
        }
    }
    block.clear();
    Ok(())
}

/// The first pass over a block, under one savepoint; `None` (with the block's work rolled back)
/// when it must be run again carefully.
fn run_block_fast(
    session: &Rc<Session>,
    rules: &Rules,
    run_id: i64,
    options: &RunOptions,
    block: &[(Customer, Vec<Candidate>)],
) -> Result<Option<Vec<CustomerOutcome>>, RunError> {
    let store = session.ledger().store();
    store.savepoint("block")?;
    let mut outcomes = Vec::with_capacity(block.len());
    for (customer, candidates) in block {
        match process_customer(session, rules, run_id, customer, candidates, false) {
            Ok(Some(made)) => outcomes.push(CustomerOutcome::Done(made)),
            Ok(None) => {
                store.rollback_to("block")?;
                return Ok(None);
            }
            Err(_) if options.keep_going => {
                store.rollback_to("block")?;
                return Ok(None);
            }
            Err(e) => return Err(RunError::Hook(e)),
        }
    }
    store.release("block")?;
    Ok(Some(outcomes))
}

/// The careful pass over a block: a savepoint per credit (and per customer under `keep_going`).
fn run_block_carefully(
    session: &Rc<Session>,
    rules: &Rules,
    run_id: i64,
    options: &RunOptions,
    block: &[(Customer, Vec<Candidate>)],
) -> Result<Vec<CustomerOutcome>, RunError> {
    let ledger = session.ledger();
    let store = ledger.store();
    let mut outcomes = Vec::with_capacity(block.len());
    for (customer, candidates) in block {
        let outer = options.keep_going && candidates.len() > 1;
        if outer {
            store.savepoint("customer")?;
        }
        match process_customer(session, rules, run_id, customer, candidates, true) {
            Ok(Some(made)) => {
                if outer {
                    store.release("customer")?;
                }
                outcomes.push(CustomerOutcome::Done(made));
            }
            Ok(None) => unreachable!("a careful pass undoes its own skips"),
            Err(e) if options.keep_going => {
                store.rollback_to(if outer { "customer" } else { "credit" })?;
                ledger.take_journal();
                outcomes.push(CustomerOutcome::Failed(Failed {
                    customer: customer.account.clone(),
                    error: e.to_string(),
                }));
            }
            Err(e) => return Err(RunError::Hook(e)),
        }
    }
    Ok(outcomes)
}

/// Runs the hooks for each candidate credit of one customer. `careful`: each credit's work sits in
/// a savepoint (rolled back when the rules skip it; left open on an error, for the caller).
/// Otherwise there are no savepoints, and `Ok(None)` says that the rules skipped a credit after
/// writing: the caller must undo and run again carefully.
fn process_customer(
    session: &Rc<Session>,
    rules: &Rules,
    run_id: i64,
    customer: &Customer,
    candidates: &[Candidate],
    careful: bool,
) -> Result<Option<Made>, Box<HookError>> {
    let ledger = session.ledger();
    let store = ledger.store();
    let conn = store.conn();
    let mut one_time_vendor: Option<Vendor> = None;
    // The customer as the hooks see it: re-read only when an earlier currency linked a vendor.
    let mut current = std::borrow::Cow::Borrowed(customer);
    let mut made = Vec::new();
    let mut skipped = Vec::new();
    let store_err =
        |credit: &Balance, e: StoreError| rules.refuse("(engine)", customer, credit, e.to_string());
    for (i, Candidate { credit, ahead }) in candidates.iter().enumerate() {
        if careful {
            store
                .savepoint("credit")
                .map_err(|e| store_err(credit, e))?;
        }
        let changes = conn.total_changes();
        let had_vendor = one_time_vendor.is_some();
        // What was worked out ahead saw the customer as the page has it.
        let nothing = Ahead::default();
        let ahead = match current {
            std::borrow::Cow::Borrowed(_) => ahead,
            std::borrow::Cow::Owned(_) => &nothing,
        };
        let outcome = process_credit(
            session,
            rules,
            run_id,
            &current,
            credit,
            ahead,
            &mut one_time_vendor,
        );
        // An earlier currency's hooks may have linked a vendor: the next currency sees it.
        if let Ok(Outcome::Reimbursed(_)) = &outcome
            && i + 1 < candidates.len()
            && one_time_vendor.is_some()
            && !had_vendor
            && let Ok(Some(c)) = ledger.customer(&customer.account)
        {
            current = std::borrow::Cow::Owned(c);
        }
        match outcome {
            Ok(Outcome::Reimbursed(r)) => {
                if careful {
                    store.release("credit").map_err(|e| store_err(credit, e))?;
                }
                made.push(r);
            }
            Ok(Outcome::Skipped(reason)) => {
                if careful {
                    store
                        .rollback_to("credit")
                        .map_err(|e| store_err(credit, e))?;
                } else if conn.total_changes() != changes {
                    return Ok(None);
                }
                ledger.take_journal();
                if !had_vendor {
                    one_time_vendor = None;
                }
                skipped.push(Skipped {
                    customer: customer.account.clone(),
                    currency: credit.currency.clone(),
                    balance: credit.balance,
                    reason,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Some((made, skipped)))
}

fn process_credit(
    session: &Rc<Session>,
    rules: &Rules,
    run_id: i64,
    customer: &Customer,
    credit: &Balance,
    ahead: &Ahead,
    one_time_vendor: &mut Option<Vendor>,
) -> Result<Outcome, Box<HookError>> {
    let ledger = session.ledger();
    ledger.take_journal();
    // 0. The engine's own rule: a reimbursement is never dated before what it settles.
    if let Some(latest) = credit.latest_open
        && latest > session.date()
    {
        return Ok(Outcome::Skipped(format!(
            "open transactions dated after the posting date (up to {latest})"
        )));
    }
    // A credit larger than one voucher line can hold cannot be reimbursed in one invoice (the
    // posting would fail, and the run with it, every time).
    if let Ok(currency) = ledger.currency(&credit.currency)
        && -credit.open_credit > currency.from_minor(crate::money::MAX_MINOR)
    {
        return Ok(Outcome::Skipped(format!(
            "the open credit of {} is more than one voucher line can hold ({}): reimburse it by hand, in parts",
            -credit.open_credit,
            currency.from_minor(crate::money::MAX_MINOR)
        )));
    }
    // One shared value each, handed to every hook: cloning a shared value copies a pointer, not
    // the customer (scripts cannot change either: they have no setters).
    let customer_value = Dynamic::from(customer.clone()).into_shared();
    let credit_value = Dynamic::from(credit.clone()).into_shared();
    let c = || customer_value.clone();
    let b = || credit_value.clone();
    let refuse = |hook: &str, message: String| rules.refuse(hook, customer, credit, message);

    // 1. Eligibility (worked out ahead when it could be).
    let verdict = match &ahead.eligible {
        Some(verdict) => verdict.clone(),
        None => eligibility(rules.call("eligible", customer, credit, &|| vec![c(), b()])?)
            .map_err(|value| {
                refuse(
                    "eligible",
                    format!(
                        "must return true, false or a reason text, not {}",
                        shown(&rules.engine, &value)
                    ),
                )
            })?,
    };
    if let Err(reason) = verdict {
        return Ok(Outcome::Skipped(reason));
    }
    check_no_postings(ledger, "eligible", &refuse)?;

    // 2. Vendor mapping.
    let choice = match &ahead.vendor {
        Some(choice) => choice.clone(),
        None => vendor_choice(rules.call("vendor_for", customer, credit, &|| vec![c(), b()])?)
            .map_err(|value| {
                refuse(
                    "vendor_for",
                    format!(
                        "must return a vendor account, a Vendor or () for a one-time vendor, not {}",
                        shown(&rules.engine, &value)
                    ),
                )
            })?,
    };
    let chosen = match choice {
        Ok(chosen) => chosen,
        Err(reason) => return Ok(Outcome::Skipped(reason)),
    };
    check_no_postings(ledger, "vendor_for", &refuse)?;
    let (vendor, created) = match chosen {
        Some(chosen) => {
            let vendor = match chosen {
                Ok(vendor) => vendor,
                Err(account) => ledger
                    .vendor(&account)
                    .map_err(|e| refuse("vendor_for", e.to_string()))?
                    .ok_or_else(|| {
                        refuse("vendor_for", format!("vendor '{account}' does not exist"))
                    })?,
            };
            let created = one_time_vendor
                .as_ref()
                .is_some_and(|v| v.account == vendor.account);
            (vendor, created)
        }
        None => match one_time_vendor {
            Some(v) => (v.clone(), true),
            None => {
                // 3. One-time vendor creation, at most once per customer and run.
                let value = match rules.call("create_one_time_vendor", customer, credit, &|| {
                    vec![c(), b()]
                })? {
                    Hooked::Skip(reason) => return Ok(Outcome::Skipped(reason)),
                    Hooked::Value(v) => v,
                };
                let journal = ledger.take_journal();
                let Some(vendor) = value.clone().try_cast::<Vendor>() else {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!(
                            "must return the new Vendor (from create_vendor), not {}",
                            shown(&rules.engine, &value)
                        ),
                    ));
                };
                if journal.vendors_created != [vendor.account.clone()] {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!(
                            "must create exactly one vendor and return it (created: {})",
                            if journal.vendors_created.is_empty() {
                                "none".to_string()
                            } else {
                                journal.vendors_created.join(", ")
                            }
                        ),
                    ));
                }
                if !journal.vouchers.is_empty() || !journal.settlements.is_empty() {
                    return Err(refuse(
                        "create_one_time_vendor",
                        "must not post or settle".into(),
                    ));
                }
                if !journal.master_data.is_empty() {
                    return Err(refuse(
                        "create_one_time_vendor",
                        "must not create or change customers or vendors besides the one vendor"
                            .into(),
                    ));
                }
                // Hooks change only their own customer (the run reads its customers ahead).
                if let Some((other, _)) = journal.links.iter().find(|(c, _)| *c != customer.account)
                {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!("may link the new vendor to its own customer only, not to {other}"),
                    ));
                }
                // ... and only to the vendor it created: another link would redirect the
                // customer's future refunds.
                if let Some((_, other)) = journal.links.iter().find(|(_, v)| *v != vendor.account) {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!(
                            "may link its customer only to the vendor it created ({}), not to {}",
                            vendor.account,
                            if other.is_empty() { "no vendor" } else { other }
                        ),
                    ));
                }
                // The one vendor the hook created, as `create_vendor` returned it.
                *one_time_vendor = Some(vendor.clone());
                (vendor, true)
            }
        },
    };
    if vendor.blocked {
        return Err(refuse(
            "vendor_for",
            format!(
                "vendor '{}' is blocked; skip this customer in the rules or unblock the vendor",
                vendor.account
            ),
        ));
    }

    // 4. Posting.
    let before = ledger.take_journal();
    if !before.vouchers.is_empty() {
        return Err(refuse(
            "vendor_for",
            "hooks before post_reimbursement must not post".into(),
        ));
    }
    match rules.call("post_reimbursement", customer, credit, &|| {
        vec![c(), b(), Dynamic::from(vendor.clone())]
    })? {
        Hooked::Skip(reason) => return Ok(Outcome::Skipped(reason)),
        Hooked::Value(_) => {}
    }
    let journal = ledger.take_journal();
    let posted = check_posting(ledger, customer, credit, &vendor, journal)
        .map_err(|m| refuse("post_reimbursement", m))?;
    let (voucher, amount, customer_txn, vendor_txn, invoice) = posted;
    let id = record(
        ledger,
        run_id,
        customer,
        &vendor,
        created,
        credit,
        amount,
        &voucher,
        customer_txn,
        vendor_txn,
        &invoice,
        session.date(),
    )
    .map_err(|e| refuse("post_reimbursement", e.to_string()))?;
    Ok(Outcome::Reimbursed(Reimbursement {
        id,
        run: run_id,
        customer: customer.account.clone(),
        vendor: vendor.account.clone(),
        one_time_vendor: created,
        currency: credit.currency.clone(),
        amount,
        date: voucher.date,
        voucher: voucher.number.clone(),
        vendor_invoice: invoice,
        status: "open".into(),
        payment_voucher: None,
        paid_date: None,
    }))
}

fn check_no_postings(
    ledger: &Ledger,
    hook: &str,
    refuse: &dyn Fn(&str, String) -> Box<HookError>,
) -> Result<(), Box<HookError>> {
    let journal = ledger.take_journal();
    if journal != Journal::default() {
        return Err(refuse(
            hook,
            "must only decide: it may not post, settle, take numbers, create or link vendors"
                .into(),
        ));
    }
    Ok(())
}

type Checked = (PostedVoucher, Decimal, i64, i64, String);

/// The engine's check of what `post_reimbursement` did, from the journal of its writes (the
/// ledger primitives already refused anything unbalanced, over-settled or cross-account).
fn check_posting(
    ledger: &Ledger,
    customer: &Customer,
    credit: &Balance,
    vendor: &Vendor,
    mut journal: Journal,
) -> Result<Checked, String> {
    if !journal.vendors_created.is_empty() {
        return Err("must not create vendors".into());
    }
    if !journal.links.is_empty() {
        return Err("must not link vendors".into());
    }
    if !journal.master_data.is_empty() {
        return Err("must not create or change customers or vendors".into());
    }
    for v in &journal.vouchers {
        for (_, currency, amount) in &v.lines {
            if *currency != credit.currency {
                return Err(format!(
                    "voucher {} posts {amount} {currency}, but the credit is in {}",
                    v.number, credit.currency
                ));
            }
        }
    }
    for s in &journal.settlements {
        if s.side == Side::Vendor {
            return Err("must not settle vendor transactions".into());
        }
        if s.account != customer.account {
            return Err(format!(
                "settled transactions of another customer ({})",
                s.account
            ));
        }
    }
    // A run posts refunds: the reimbursement's vendor invoice and nothing else. Other postings
    // belong to scripts, which are recorded as runs of their own.
    if let Some(other) = journal.vouchers.iter().find(|v| v.sub_ledger.is_empty()) {
        return Err(format!(
            "voucher {} is not the reimbursement's vendor invoice: a run posts the reimbursement \
             and nothing else (post other vouchers with `reimburse script`, which records them as a \
             run of their own)",
            other.number
        ));
    }
    let mut invoices = Vec::new();
    for (i, v) in journal.vouchers.iter().enumerate() {
        for line in &v.sub_ledger {
            if line.side == Side::Customer && line.account != customer.account {
                return Err(format!(
                    "voucher {} posts to another customer ({})",
                    v.number, line.account
                ));
            }
        }
        if !v.sub_ledger.is_empty() {
            invoices.push(i);
        }
    }
    let voucher = match invoices.as_slice() {
        [one] => journal.vouchers.swap_remove(*one),
        [] => return Err("posted no vendor invoice (call post_vendor_invoice)".into()),
        many => {
            return Err(format!(
                "posted {} vouchers on the customer or vendor; a reimbursement is exactly one vendor invoice",
                many.len()
            ));
        }
    };
    let customer_lines: Vec<_> = voucher
        .sub_ledger
        .iter()
        .filter(|l| l.side == Side::Customer)
        .collect();
    let vendor_lines: Vec<_> = voucher
        .sub_ledger
        .iter()
        .filter(|l| l.side == Side::Vendor)
        .collect();
    let ([ct], [vt]) = (customer_lines.as_slice(), vendor_lines.as_slice()) else {
        return Err(format!(
            "voucher {} must have exactly one customer line and one vendor line",
            voucher.number
        ));
    };
    if vt.account != vendor.account {
        return Err(format!(
            "the invoice went to vendor {}, but vendor_for chose {}",
            vt.account, vendor.account
        ));
    }
    if ct.amount <= Decimal::ZERO || vt.amount != -ct.amount {
        return Err(format!(
            "a reimbursement debits the customer and credits the vendor by the same positive amount (customer {}, vendor {})",
            ct.amount, vt.amount
        ));
    }
    // The invoice's customer transaction was made in this hook, open for its whole amount, and
    // only `Ledger::apply_settlement` moves an open amount, journaling each settlement: what is
    // still open is the amount less the settlements of it in the journal (no read needed).
    let currency = ledger
        .currency(&credit.currency)
        .map_err(|e| e.to_string())?;
    let settled: i64 = journal
        .settlements
        .iter()
        .filter(|s| s.side == Side::Customer && (s.debit == ct.id || s.credit == ct.id))
        .map(|s| s.minor)
        .sum();
    let open = currency.to_minor(ct.amount).map_err(|e| e.to_string())? - settled;
    if open != 0 {
        return Err(format!(
            "the reimbursement of {} {} is not covered by the customer's open credits ({} left unsettled): a reimbursement cannot exceed the credit there is (open credit was {})",
            ct.amount,
            credit.currency,
            currency.from_minor(open),
            -credit.open_credit
        ));
    }
    if ct.amount > -credit.open_credit {
        return Err(format!(
            "{} is more than the open credit of {}",
            ct.amount, -credit.open_credit
        ));
    }
    let (amount, customer_txn, vendor_txn, invoice) =
        (ct.amount, ct.id, vt.id, vt.document.clone());
    Ok((voucher, amount, customer_txn, vendor_txn, invoice))
}

#[allow(clippy::too_many_arguments)]
fn record(
    ledger: &Ledger,
    run_id: i64,
    customer: &Customer,
    vendor: &Vendor,
    one_time: bool,
    credit: &Balance,
    amount: Decimal,
    voucher: &PostedVoucher,
    customer_txn: i64,
    vendor_txn: i64,
    invoice: &str,
    date: NaiveDate,
) -> Result<i64, LedgerError> {
    let minor = ledger.currency(&credit.currency)?.to_minor(amount)?;
    ledger
        .store()
        .conn()
        .prepare_cached(
            "INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                 amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open')",
        )
        .and_then(|mut s| {
            s.insert(params![
                    run_id,
                    customer.account,
                    vendor.account,
                    one_time,
                    credit.currency,
                    minor,
                    date.to_string(),
                    voucher.id,
                    invoice,
                    customer_txn,
                    vendor_txn
                ])
        })
        .map_err(|e| LedgerError::Store(StoreError::sqlite(ledger.store().path(), e)))
}

fn count_selection(ledger: &Ledger, selection: &Selection) -> Result<u64, RunError> {
    let conn = ledger.store().conn();
    let n: i64 = match selection {
        Selection::Customers(list) => list.len() as i64,
        Selection::Groups(groups) => {
            let placeholders = vec!["?"; groups.len()].join(",");
            conn.query_row(
                &format!("SELECT count(*) FROM customers WHERE customer_group IN ({placeholders})"),
                rusqlite::params_from_iter(groups.iter()),
                |r| r.get(0),
            )
            .map_err(|e| StoreError::sqlite(ledger.store().path(), e))?
        }
        _ => conn
            .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
            .map_err(|e| StoreError::sqlite(ledger.store().path(), e))?,
    };
    Ok(n.max(0) as u64)
}

/// Streams the selected customers in account order, a page at a time with their balances (memory
/// stays flat).
struct CustomerPager<'a> {
    selection: &'a Selection,
    after: Option<String>,
    list_pos: usize,
    done: bool,
    /// The pages of all customers or of groups, read ahead by a thread of their own when the run
    /// began the transaction itself (see [`Ledger::read_ahead_customers`]).
    ahead: Option<CustomerPages<'a, Vec<Foreseen>>>,
}

const PAGE: usize = 1000;

impl<'a> CustomerPager<'a> {
    /// `read_ahead`: the run began the write transaction itself, so nothing it has not written
    /// yet is uncommitted, and a second connection reads the customers as they are; the reading
    /// thread also works out `--where`, `eligible` and `vendor_for` where it can ([`Foresight`]).
    fn new(
        selection: &'a Selection,
        ledger: &'a Ledger,
        read_ahead: Option<(&Rules, &Session)>,
    ) -> Self {
        let groups = match selection {
            Selection::Customers(_) => None,
            Selection::Groups(groups) => Some(Some(groups.clone())),
            Selection::All | Selection::Where(_) => Some(None),
        };
        let ahead = groups
            .zip(read_ahead)
            .and_then(|(groups, (rules, session))| {
                ledger.read_ahead_customers_with(
                    groups,
                    PAGE,
                    Foresight::prepare(rules, session, selection),
                )
            });
        CustomerPager {
            selection,
            after: None,
            list_pos: 0,
            done: false,
            ahead,
        }
    }

    /// The next page, with the verdicts worked out ahead (none when read in place).
    fn next(&mut self, ledger: &Ledger) -> Result<Option<(CustomerPage, Vec<Foreseen>)>, RunError> {
        if self.done {
            return Ok(None);
        }
        let mut foreseen = Vec::new();
        let page =
            match (&mut self.ahead, self.selection) {
                (Some(ahead), _) => match ahead.next().transpose()? {
                    Some((page, verdicts)) => {
                        foreseen = verdicts;
                        page
                    }
                    None => CustomerPage::default(),
                },
                (None, Selection::Customers(list)) => {
                    let mut sorted: Vec<&String> = list.iter().collect();
                    sorted.sort();
                    sorted.dedup();
                    let customers: Vec<Customer> = sorted
                        .iter()
                        .skip(self.list_pos)
                        .take(PAGE)
                        .map(|a| ledger.require_customer(a))
                        .collect::<Result<_, _>>()?;
                    self.list_pos += customers.len();
                    ledger.with_balances(customers)?
                }
                (None, Selection::Groups(groups)) => ledger.with_balances(
                    ledger.customers_page(self.after.as_deref(), PAGE, Some(groups))?,
                )?,
                (None, Selection::All | Selection::Where(_)) => ledger
                    .with_balances(ledger.customers_page(self.after.as_deref(), PAGE, None)?)?,
            };
        if page.customers.len() < PAGE {
            self.done = true;
        }
        self.after = page.customers.last().map(|c| c.account.clone());
        Ok(if page.customers.is_empty() {
            None
        } else {
            Some((page, foreseen))
        })
    }
}

// ----- the reimbursement page -----

/// Filters of the reimbursement page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReimbursementFilter {
    /// `open` or `paid`.
    pub status: Option<String>,
    /// Customer account.
    pub customer: Option<String>,
    /// Vendor account.
    pub vendor: Option<String>,
    /// Run id.
    pub run: Option<i64>,
    /// From this date (inclusive).
    pub from: Option<NaiveDate>,
    /// To this date (inclusive).
    pub to: Option<NaiveDate>,
    /// Only reimbursements with a larger id (for reading page by page).
    pub after_id: Option<i64>,
    /// At most this many rows.
    pub limit: Option<usize>,
}

/// The filter as the audit trail of runs shows it (`runs`): `open reimbursements, customer C-1,
/// run 3`, `all reimbursements`. Paging fields are not part of what was chosen.
impl fmt::Display for ReimbursementFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            Some(status) => write!(f, "{status} reimbursements")?,
            None => f.write_str("all reimbursements")?,
        }
        if let Some(customer) = &self.customer {
            write!(f, ", customer {customer}")?;
        }
        if let Some(vendor) = &self.vendor {
            write!(f, ", vendor {vendor}")?;
        }
        if let Some(run) = self.run {
            write!(f, ", run {run}")?;
        }
        if let Some(from) = self.from {
            write!(f, ", from {from}")?;
        }
        if let Some(to) = self.to {
            write!(f, ", to {to}")?;
        }
        Ok(())
    }
}

/// Lists reimbursements, oldest first. A customer, vendor or run in the filter that does not
/// exist is an error (a mistyped account would otherwise look like one without reimbursements).
pub fn reimbursements(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
) -> Result<Vec<Reimbursement>, LedgerError> {
    check_filter(ledger, filter)?;
    Ok(reimbursements_with_invoices(ledger, filter)?
        .into_iter()
        .map(|(r, _)| r)
        .collect())
}

/// Refuses a filter that names a customer, vendor or run that does not exist.
fn check_filter(ledger: &Ledger, filter: &ReimbursementFilter) -> Result<(), LedgerError> {
    let missing = |what: &'static str, key: String| Err(LedgerError::NotFound { what, key });
    if let Some(account) = &filter.customer
        && ledger.customer(account)?.is_none()
    {
        return missing("customer", account.clone());
    }
    if let Some(account) = &filter.vendor
        && ledger.vendor(account)?.is_none()
    {
        return missing("vendor", account.clone());
    }
    if let Some(run) = filter.run
        && !ledger.run_exists(run)?
    {
        return missing("run", run.to_string());
    }
    Ok(())
}

/// [`reimbursements`], each with the id of its vendor invoice's transaction.
fn reimbursements_with_invoices(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
) -> Result<Vec<(Reimbursement, i64)>, LedgerError> {
    let mut sql = String::from(
        "SELECT r.id, r.run_id, r.customer, r.vendor, r.one_time_vendor, r.currency, r.amount_minor,
                r.date, v.number, r.vendor_invoice, r.status, p.number, r.paid_date, r.vendor_txn_id
         FROM reimbursements r JOIN vouchers v ON v.id = r.voucher_id
         LEFT JOIN vouchers p ON p.id = r.payment_voucher_id WHERE 1 = 1",
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    let mut add = |clause: &str, value: Box<dyn rusqlite::ToSql>| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(s) = &filter.status {
        if s != "open" && s != "paid" {
            return Err(LedgerError::Invalid(format!(
                "status must be open or paid, not '{s}'"
            )));
        }
        add("r.status =", Box::new(s.clone()));
    }
    if let Some(c) = &filter.customer {
        add("r.customer =", Box::new(c.clone()));
    }
    if let Some(v) = &filter.vendor {
        add("r.vendor =", Box::new(v.clone()));
    }
    if let Some(r) = filter.run {
        add("r.run_id =", Box::new(r));
    }
    if let Some(d) = filter.from {
        add("r.date >=", Box::new(d.to_string()));
    }
    if let Some(d) = filter.to {
        add("r.date <=", Box::new(d.to_string()));
    }
    if let Some(id) = filter.after_id {
        add("r.id >", Box::new(id));
    }
    sql.push_str(" ORDER BY r.id");
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    let store = ledger.store();
    let mut stmt = store
        .conn()
        .prepare(&sql)
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
    let rows = stmt
        .query_map(
            rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<String>>(12)?,
                    r.get::<_, i64>(13)?,
                ))
            },
        )
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
    let date = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
    rows.into_iter()
        .map(
            |(
                id,
                run,
                customer,
                vendor,
                one_time,
                currency,
                minor,
                d,
                voucher,
                invoice,
                status,
                pv,
                pd,
                vendor_txn,
            )| {
                let row = Reimbursement {
                    id,
                    run,
                    customer,
                    vendor,
                    one_time_vendor: one_time,
                    amount: ledger.currency(&currency)?.from_minor(minor),
                    currency,
                    date: date(&d),
                    voucher,
                    vendor_invoice: invoice,
                    status,
                    payment_voucher: pv,
                    paid_date: pd.as_deref().map(date),
                };
                Ok((row, vendor_txn))
            },
        )
        .collect()
}

/// Calls `observer` with each reimbursement that matches `filter`, oldest first, like
/// [`reimbursements`] but reading a page at a time (memory stays flat however many there are),
/// all pages from one read snapshot. `filter.after_id` and `filter.limit` keep their meaning.
/// Returns how many rows it passed on.
pub fn each_reimbursement(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    observer: &mut dyn FnMut(&Reimbursement),
) -> Result<u64, LedgerError> {
    let store = ledger.store();
    let conn = store.conn();
    // One read transaction (deferred: takes no write lock) unless one is already open.
    let snapshot = if conn.is_autocommit() {
        Some(
            conn.unchecked_transaction()
                .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?,
        )
    } else {
        None
    };
    let seen = reimbursement_pages(ledger, filter, |rows| -> Result<(), LedgerError> {
        for (r, _) in &rows {
            observer(r);
        }
        Ok(())
    })?;
    drop(snapshot); // rolls back the read transaction
    Ok(seen)
}

/// Hands the reimbursements that match `filter` (each with its vendor invoice's transaction id)
/// to `each_page`, oldest first, at most 1000 at a time: memory stays flat however many there
/// are. `filter.after_id` and `filter.limit` keep their meaning. Returns how many it handed on.
fn reimbursement_pages<E: From<LedgerError>>(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    mut each_page: impl FnMut(Vec<(Reimbursement, i64)>) -> Result<(), E>,
) -> Result<u64, E> {
    check_filter(ledger, filter)?;
    const PAGE: usize = 1000;
    let mut page = filter.clone();
    let mut left = filter.limit;
    let mut seen = 0u64;
    loop {
        page.limit = Some(left.map_or(PAGE, |l| l.min(PAGE)));
        if page.limit == Some(0) {
            break;
        }
        let rows = reimbursements_with_invoices(ledger, &page)?;
        let Some((last, _)) = rows.last() else { break };
        page.after_id = Some(last.id);
        let n = rows.len();
        each_page(rows)?;
        seen += n as u64;
        if let Some(l) = &mut left {
            *l -= n;
        }
    }
    Ok(seen)
}

// ----- payment -----

/// A payment made (or proposed) by [`pay`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The reimbursement paid.
    pub reimbursement: i64,
    /// Customer account.
    pub customer: String,
    /// Vendor account.
    pub vendor: String,
    /// Currency.
    pub currency: String,
    /// Amount paid.
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// The part of the invoice settled by the vendor's open debits (a payment already recorded
    /// but not settled), which `pay` settles first: only the rest is paid.
    #[serde(serialize_with = "as_text")]
    pub settled_by_debit: Decimal,
    /// Vendor invoice paid.
    pub vendor_invoice: String,
    /// Payment voucher (empty when the vendor's open debits settled the whole invoice).
    pub voucher: String,
}

/// What `pay` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayReport {
    /// The payment run's id.
    pub run: i64,
    /// True for a dry run.
    pub dry_run: bool,
    /// Payment date.
    pub date: NaiveDate,
    /// The payments.
    pub payments: Vec<Payment>,
    /// Total paid per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
    /// Total settled by the vendors' open debits per currency (none when there were none).
    #[serde(serialize_with = "totals_as_text")]
    pub settled_by_debit: BTreeMap<String, Decimal>,
}

/// The accounts-payable step: pays the open reimbursement invoices that match `filter` (its status
/// is ignored): debit the payables summary account (the vendor), credit the bank, settle the vendor
/// invoice and mark the reimbursement paid. Atomic; a dry run rolls back.
pub fn pay(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    date: NaiveDate,
    dry_run: bool,
    user: &str,
) -> Result<PayReport, RunError> {
    let mut payments = Vec::new();
    let mut report = pay_observed(ledger, filter, date, dry_run, user, &mut |p| {
        payments.push(p.clone())
    })?;
    report.payments = payments;
    Ok(report)
}

/// Like [`pay`], handing each payment to `observer` as it is made instead of keeping it (memory
/// stays flat however many invoices are paid): the returned report has the totals but an empty
/// payment list. Atomic like [`pay`]: nothing observed is written unless it returns `Ok` (and is
/// not a dry run).
pub fn pay_observed(
    ledger: &Ledger,
    filter: &ReimbursementFilter,
    date: NaiveDate,
    dry_run: bool,
    user: &str,
    observer: &mut dyn FnMut(&Payment),
) -> Result<PayReport, RunError> {
    let store = ledger.store();
    let mut filter = filter.clone();
    filter.status = Some("open".into());
    store.begin()?;
    // A payment pays what runs invoiced (see MAX_PROCESS_TOTAL).
    let _bound = ledger.process_postings();
    let result = (|| -> Result<PayReport, RunError> {
        let conn = store.conn();
        let sql = |e| RunError::from(StoreError::sqlite(store.path(), e));
        let run_id: i64 = conn
            .query_row(
                "INSERT INTO runs(kind, started_at, user_name, posting_date, selection, parameters_hash)
                 VALUES ('payment', ?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![now_text(), user, date.to_string(), filter.to_string(), parameters_hash(ledger)],
                |r| r.get(0),
            )
            .map_err(sql)?;
        ledger.set_run(Some(run_id));
        let mut report = PayReport {
            run: run_id,
            dry_run,
            date,
            payments: Vec::new(),
            totals: BTreeMap::new(),
            settled_by_debit: BTreeMap::new(),
        };
        let mut paid = 0i64;
        // Page through all the open invoices so memory stays flat however many there are.
        filter.limit = None;
        reimbursement_pages(ledger, &filter, |open| -> Result<(), RunError> {
            // Nothing reads what the primitives journal here: drop it a page at a time so it
            // does not grow with the number of invoices.
            ledger.take_journal();
            for (r, vendor_txn) in open {
                if let Some(payment) = pay_invoice(ledger, r, vendor_txn, date)? {
                    for (totals, amount) in [
                        (&mut report.totals, payment.amount),
                        (&mut report.settled_by_debit, payment.settled_by_debit),
                    ] {
                        if !amount.is_zero() {
                            *totals.entry(payment.currency.clone()).or_default() += amount;
                        }
                    }
                    paid += 1;
                    observer(&payment);
                }
            }
            Ok(())
        })?;
        conn.execute(
            "UPDATE runs SET finished_at = ?2, reimbursed = ?3 WHERE id = ?1",
            params![run_id, now_text(), paid],
        )
        .map_err(sql)?;
        Ok(report)
    })();
    ledger.set_run(None);
    ledger.take_journal();
    match result {
        Ok(report) => {
            if dry_run {
                store.rollback();
            } else {
                store.commit()?;
            }
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

/// Pays one open reimbursement invoice (`vendor_txn`, the vendor transaction of `r`) on `date`:
/// the vendor's open debits settle it first (a payment recorded but not settled: paying the
/// invoice in full as well would pay the vendor twice), then a payment voucher (the vendor against
/// the bank) pays the rest and settles it. `None` when nothing is open.
fn pay_invoice(
    ledger: &Ledger,
    r: Reimbursement,
    vendor_txn: i64,
    date: NaiveDate,
) -> Result<Option<Payment>, RunError> {
    let currency = ledger.currency(&r.currency)?;
    let open_amount = -currency.from_minor(ledger.open_minor(Side::Vendor, vendor_txn)?);
    if open_amount <= Decimal::ZERO {
        return Ok(None);
    }
    // A payment dated before its invoice would settle a debt not yet owed.
    if r.date > date {
        return Err(LedgerError::Invalid(format!(
            "cannot pay {} on {date}: it is dated {} (pay on or after that date, or leave it out with --customer, --vendor or --run)",
            r.vendor_invoice, r.date
        ))
        .into());
    }
    let settled_by_debit = ledger.settle_against_open_until(Side::Vendor, vendor_txn, date)?;
    let amount = open_amount - settled_by_debit;
    debug_assert!(amount >= Decimal::ZERO);
    let mut payment = Payment {
        reimbursement: r.id,
        customer: r.customer,
        vendor: r.vendor,
        currency: r.currency,
        amount: currency.from_minor(0),
        settled_by_debit,
        vendor_invoice: r.vendor_invoice,
        voucher: String::new(),
    };
    if amount.is_zero() {
        return Ok(Some(payment));
    }
    let line = |target, amount, document, kind: Option<&str>| LineDraft {
        target,
        currency: payment.currency.clone(),
        amount,
        document,
        kind: kind.map(str::to_string),
    };
    let posted = ledger
        .post_voucher(&VoucherDraft {
            sequence: "payment".into(),
            date,
            description: format!(
                "Payment of {} to vendor {} (reimbursement of {})",
                payment.vendor_invoice, payment.vendor, payment.customer
            ),
            lines: vec![
                line(
                    Target::Vendor(payment.vendor.clone()),
                    amount,
                    Some(payment.vendor_invoice.clone()),
                    Some("payment"),
                ),
                line(
                    Target::Account(ledger.params().accounts.bank.clone()),
                    -amount,
                    None,
                    None,
                ),
            ],
        })
        .map_err(|e| {
            LedgerError::Invalid(format!(
                "reimbursement {} ({} → {}): {e}",
                payment.reimbursement, payment.customer, payment.vendor
            ))
        })?;
    // Settling the invoice in full marks the reimbursement paid, with this payment and date (the
    // database's `reimbursement_paid` trigger, as for any payment).
    ledger.settle(
        Side::Vendor,
        posted.vendor_transactions[0],
        vendor_txn,
        Some(amount),
        date,
    )?;
    payment.amount = amount;
    payment.voucher = posted.number;
    Ok(Some(payment))
}

/// The hash of the parameters a run recorded (`runs.parameters_hash`).
fn parameters_hash(ledger: &Ledger) -> String {
    sha256(&format!("{:?}", ledger.params()))
}

/// Where the postings of a transaction begin: the highest id of vouchers, customer settlements
/// and vendor settlements before it (the ledger never deletes those rows, so what it posts next
/// is above). See [`record_postings`]. The default mark is the empty database's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostingMark([i64; 4]);

/// The tables a [`PostingMark`] covers: what carries a run id (master-data changes too, so a
/// script that only re-links a customer is recorded as well).
const POSTING_TABLES: [&str; 4] = [
    "vouchers",
    "customer_settlements",
    "vendor_settlements",
    "master_data_changes",
];

impl PostingMark {
    /// The mark of the database as it is now.
    pub fn now(ledger: &Ledger) -> Result<PostingMark, LedgerError> {
        let store = ledger.store();
        let mut mark = PostingMark::default();
        for (id, table) in mark.0.iter_mut().zip(POSTING_TABLES) {
            *id = store
                .conn()
                .query_row(
                    &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
        }
        Ok(mark)
    }

    /// Each table with the highest id it had.
    fn after(&self) -> impl Iterator<Item = (&'static str, i64)> {
        POSTING_TABLES.into_iter().zip(self.0)
    }
}

/// What made postings outside a run, for the audit trail ([`record_postings`]).
#[derive(Debug, Clone)]
pub struct PostingSource<'a> {
    /// `script` or `repl`.
    pub kind: &'a str,
    /// The script file (none for the REPL).
    pub path: Option<&'a Path>,
    /// The text that ran (the script, or the REPL entries since the last commit), whose SHA-256
    /// is recorded.
    pub text: &'a str,
    /// What it was given (a script's arguments).
    pub selection: &'a str,
    /// Who ran it.
    pub user: &'a str,
    /// The posting date.
    pub date: NaiveDate,
}

/// Makes the postings a script or a REPL session made in this transaction since `mark` (those
/// that carry no run) traceable like a run's: records a run of `source.kind` with the file, the
/// SHA-256 of the text that ran, the parameters' hash and the user, and gives it those vouchers
/// and settlements. Call it in the transaction, before the commit. Returns the run, or `None`
/// (nothing recorded) when nothing was posted.
pub fn record_postings(
    ledger: &Ledger,
    mark: &PostingMark,
    source: &PostingSource,
) -> Result<Option<i64>, LedgerError> {
    let store = ledger.store();
    let conn = store.conn();
    let sql = |e| LedgerError::Store(StoreError::sqlite(store.path(), e));
    let mut posted = false;
    for (table, after) in mark.after() {
        posted |= conn
            .query_row(
                &format!("SELECT EXISTS(SELECT 1 FROM {table} WHERE id > ?1 AND run_id IS NULL)"),
                [after],
                |r| r.get::<_, bool>(0),
            )
            .map_err(sql)?;
    }
    if !posted {
        return Ok(None);
    }
    let now = now_text();
    let run: i64 = conn
        .query_row(
            "INSERT INTO runs(kind, started_at, finished_at, user_name, posting_date, selection,
                 rules_path, rules_hash, parameters_hash) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             RETURNING id",
            params![
                source.kind,
                now,
                source.user,
                source.date.to_string(),
                source.selection,
                source.path.map(|p| p.to_string_lossy().into_owned()),
                sha256(source.text),
                parameters_hash(ledger)
            ],
            |r| r.get(0),
        )
        .map_err(sql)?;
    for (table, after) in mark.after() {
        conn.execute(
            &format!("UPDATE {table} SET run_id = ?1 WHERE id > ?2 AND run_id IS NULL"),
            [run, after],
        )
        .map_err(sql)?;
    }
    Ok(Some(run))
}

/// A run of another kind than a reimbursement run to record before it writes (an import).
#[derive(Debug, Clone)]
pub struct RunStart<'a> {
    /// The kind (`import`).
    pub kind: &'a str,
    /// Who.
    pub user: &'a str,
    /// Its date.
    pub date: NaiveDate,
    /// What it was given (the files).
    pub selection: &'a str,
}

/// Records a run that is starting, in the caller's transaction, with the parameters' hash;
/// returns its id for the postings and changes it makes ([`Ledger::set_run`]).
pub fn begin_run(ledger: &Ledger, start: &RunStart) -> Result<i64, LedgerError> {
    let store = ledger.store();
    let now = now_text();
    store
        .conn()
        .query_row(
            "INSERT INTO runs(kind, started_at, finished_at, user_name, posting_date, selection,
                 parameters_hash) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)
             RETURNING id",
            params![
                start.kind,
                now,
                start.user,
                start.date.to_string(),
                start.selection,
                parameters_hash(ledger)
            ],
            |r| r.get(0),
        )
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))
}

/// The runs recorded in the database (audit), newest first.
pub fn runs(ledger: &Ledger) -> Result<Vec<RunRecord>, LedgerError> {
    let store = ledger.store();
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT id, kind, started_at, finished_at, user_name, posting_date, selection,
                    rules_path, rules_hash, parameters_hash, considered, reimbursed, skipped, failed
             FROM runs ORDER BY id DESC",
        )
        .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))?;
    stmt.query_map([], |r| {
        Ok(RunRecord {
            id: r.get(0)?,
            kind: r.get(1)?,
            started_at: r.get(2)?,
            finished_at: r.get(3)?,
            user: r.get(4)?,
            posting_date: r.get(5)?,
            selection: r.get(6)?,
            rules_path: r.get(7)?,
            rules_hash: r.get(8)?,
            parameters_hash: r.get(9)?,
            considered: r.get(10)?,
            reimbursed: r.get(11)?,
            skipped: r.get(12)?,
            failed: r.get(13)?,
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(|e| LedgerError::Store(StoreError::sqlite(store.path(), e)))
}

/// A recorded run (audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// Run id.
    pub id: i64,
    /// `reimbursement`, `payment`, or `script` and `repl` for the postings of a committed script
    /// or REPL session ([`record_postings`]).
    pub kind: String,
    /// Start time (UTC).
    pub started_at: String,
    /// End time (UTC).
    pub finished_at: Option<String>,
    /// Who ran it.
    pub user: String,
    /// Posting date.
    pub posting_date: String,
    /// Selection.
    pub selection: String,
    /// Rule file.
    pub rules_path: Option<String>,
    /// Rule file hash.
    pub rules_hash: Option<String>,
    /// Parameters hash.
    pub parameters_hash: String,
    /// Customers considered.
    pub considered: i64,
    /// Reimbursements (or payments) made.
    pub reimbursed: i64,
    /// Candidates skipped.
    pub skipped: i64,
    /// Customers failed.
    pub failed: i64,
}
