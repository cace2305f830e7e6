//! The rule file's hooks: [`Rules`] (compiled once per run, every hook checked to exist), calling
//! a hook (a `skip(reason)` is a verdict, a failure a [`HookError`] with its position), reading
//! what `eligible` and `vendor_for` answered, and evaluating the `--where` expression. Knows
//! nothing of blocks, pages or the ledger's writes: the engine's checks of a hook's work are in
//! `check` and `credit`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rhai::{CallFnOptions, Dynamic, Engine, Scope};

use super::audit::sha256;
use super::error::{HookError, RunError};
use crate::ledger::{Balance, Customer, Vendor};
use crate::scripting::{ApiDoc, CompileError, ScriptFault, ScriptMemory, Session, compile_text};

/// The hooks a rule file must define, with their number of parameters.
pub const HOOKS: &[(&str, usize)] = &[
    ("eligible", 2),
    ("vendor_for", 2),
    ("create_one_time_vendor", 2),
    ("post_reimbursement", 3),
];

/// The fifth hook, `write_off(customer, credit)`: called only by the write-off run
/// (`process::write_off`), so a rule file without it still runs; the write-off run refuses such a
/// file with [`RunError::MissingHook`] naming it.
pub const WRITE_OFF_HOOK: (&str, usize) = ("write_off", 2);

/// The compiled rules and the engine that runs them.
pub struct Rules {
    pub(super) engine: Engine,
    ast: rhai::AST,
    pub(super) file: PathBuf,
    pub(super) hash: String,
    /// The rule file's text, its folder (for `import`) and the engine's API listing: what an
    /// engine on another thread needs to evaluate the same rules ([`ReadAhead`](super::read_ahead::ReadAhead)).
    pub(super) text: String,
    pub(super) dir: PathBuf,
    pub(super) api: Vec<ApiDoc>,
    /// The session's definitions that override the rule file's functions (a dry run from the
    /// REPL or a script).
    pub(super) overrides: Option<Overrides>,
}

/// The session's definitions that override functions of the rule file.
#[derive(Debug, Clone)]
pub(super) struct Overrides {
    /// Where they were written (the REPL or a script).
    source: PathBuf,
    /// The names of the functions they define.
    names: Vec<String>,
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
                Overrides {
                    source: d.source,
                    names,
                }
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

    /// The SHA-256 of the rule file's text.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Refuses rules that do not define `hook` with `arity` parameters (a hook [`Rules::load`]
    /// does not require, such as [`WRITE_OFF_HOOK`]).
    pub fn require(&self, (hook, arity): (&str, usize)) -> Result<(), RunError> {
        if self
            .ast
            .iter_functions()
            .any(|f| f.name == hook && f.params.len() == arity)
        {
            return Ok(());
        }
        Err(RunError::MissingHook {
            file: self.file.clone(),
            hook: hook.to_string(),
            arity,
        })
    }

    pub(super) fn call(
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

    pub(super) fn refuse(
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
            Some(Overrides { source, names }) if names.iter().any(|n| n == function) => {
                source.clone()
            }
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
        let Some((_, arity)) = HOOKS
            .iter()
            .chain([&WRITE_OFF_HOOK])
            .find(|(name, _)| *name == hook)
        else {
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

pub(super) enum Hooked {
    Value(Dynamic),
    Skip(String),
}

/// Calls a hook of the compiled rules (without running their top level), with the memory limit
/// counted from here.
pub(super) fn call_hook(
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

/// Evaluates the `--where` expression for one customer, with the memory limit counted from here.
pub(super) fn eval_filter(
    engine: &Engine,
    ast: &rhai::AST,
    customer: &Customer,
) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
    let mut scope = Scope::new();
    scope.push_constant("customer", customer.clone());
    ScriptMemory::arm();
    crate::scripting::guard::finish(engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast))
}

/// What `eligible` said of a credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Eligibility {
    /// Reimburse it.
    Eligible,
    /// Skip it, for this reason.
    Skip(String),
}

/// Reads `eligible`'s answer: true, false (skipped as "not eligible") or a reason text, or a
/// `skip(reason)`. `Err(value)` for any other value.
pub(super) fn eligibility(hooked: Hooked) -> Result<Eligibility, Dynamic> {
    let value = match hooked {
        Hooked::Skip(reason) => return Ok(Eligibility::Skip(reason)),
        Hooked::Value(value) => value,
    };
    if let Ok(yes) = value.as_bool() {
        Ok(if yes {
            Eligibility::Eligible
        } else {
            Eligibility::Skip("not eligible".into())
        })
    } else if value.is_string() {
        Ok(Eligibility::Skip(value.to_string()))
    } else {
        Err(value)
    }
}

/// What `vendor_for` said of a credit.
#[derive(Debug, Clone)]
pub(super) enum VendorChoice {
    /// This vendor, as the ledger gave it to the script.
    Existing(Box<Vendor>),
    /// The vendor with this account, still to be looked up.
    ByAccount(String),
    /// A one-time vendor (`()`): the one already created for the customer in this run, else one
    /// `create_one_time_vendor` creates.
    OneTime,
    /// Skip the credit, for this reason.
    Skip(String),
}

/// Reads `vendor_for`'s answer; `Err(value)` for a value it may not give.
pub(super) fn vendor_choice(hooked: Hooked) -> Result<VendorChoice, Dynamic> {
    let value = match hooked {
        Hooked::Skip(reason) => return Ok(VendorChoice::Skip(reason)),
        Hooked::Value(value) => value,
    };
    // A Vendor value is as the ledger gave it to the script (scripts cannot change one, and the
    // posting checks the vendor again), so only an account has to be looked up.
    if value.is_unit() {
        Ok(VendorChoice::OneTime)
    } else if value.is_string() {
        Ok(VendorChoice::ByAccount(value.to_string()))
    } else if let Some(vendor) = value.clone().try_cast::<Vendor>() {
        Ok(VendorChoice::Existing(Box::new(vendor)))
    } else {
        Err(value)
    }
}
