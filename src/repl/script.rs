//! `reimburse script`: one Rhai file run against the company database in one transaction,
//! committed at the end unless a dry run or an error, with the rule hooks loaded.
//!
//! Must not depend on the REPL's loop, commands or completion, nor on `cli`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rhai::{Dynamic, Scope};

use super::workspace::Workspace;
use crate::Error;
use crate::ledger::{ChangeOrigin, RunId};
use crate::parameters::Company;
use crate::process::{self, PostingMark, PostingSource};
use crate::scripting::{CompileError, Definitions, ScriptMemory, compile_text};

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
    pub run: Option<RunId>,
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
    let (mut ws, rules_warning) = open_workspace(company, options)?;
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
    let result = crate::scripting::guard::finish(
        ws.engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &merged),
    );
    ws.session.take_output();
    let changes = ws.changes_since(&base);
    let mut run = None;
    match result {
        Ok(value) => {
            if options.dry_run {
                store.rollback();
            } else {
                run = record_and_commit(&ws, options, &mark, &text)?;
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

/// The workspace of a script: `import` inside the script's folder, its `--arg`s, and its
/// master-data changes attributed to the script.
fn open_workspace(
    company: &Company,
    options: &ScriptOptions,
) -> Result<(Workspace, Option<String>), Error> {
    let root = options
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let (ws, rules_warning) = Workspace::open(company, options.date, &root)?;
    ws.session.set_args(options.args.clone());
    ws.session.ledger().set_origin(ChangeOrigin {
        user: options.user.clone(),
        source: format!("script {}", options.file.display()),
        line: None,
    });
    Ok((ws, rules_warning))
}

/// Records the script's postings as a run of kind `script` (none when it posted nothing) and
/// commits; rolls back when recording fails.
fn record_and_commit(
    ws: &Workspace,
    options: &ScriptOptions,
    mark: &PostingMark,
    text: &str,
) -> Result<Option<RunId>, Error> {
    let store = ws.session.ledger().store();
    let selection: Vec<String> = options
        .args
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let recorded = process::record_postings(
        ws.session.ledger(),
        mark,
        &PostingSource {
            kind: "script",
            path: Some(&options.file),
            text,
            selection: &selection.join(" "),
            user: &options.user,
            date: options.date,
        },
    );
    let run = match recorded {
        Ok(run) => run,
        Err(e) => {
            store.rollback();
            return Err(e.into());
        }
    };
    store.commit()?;
    Ok(run)
}

/// Refuses a file that cannot be read, with the reason (not as a syntax error).
/// A script's text (the text that is compiled, and whose hash a commit records).
pub(super) fn read_script(file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("{}: cannot read: {e}", file.display())))
}
