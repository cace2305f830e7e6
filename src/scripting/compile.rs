//! Compiling a script file or text with an engine (errors name the file) and evaluating a whole
//! script under the memory and time limits.
//!
//! It must not depend on the session or the API: it works with any hardened engine.

use std::path::Path;

use rhai::{Dynamic, Engine, Scope};

use super::errors::{CompileError, ScriptFault};
use super::guard;
use super::memory::ScriptMemory;

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

/// Runs a whole script (top-level statements) in a scope; returns its value.
pub fn eval(engine: &Engine, scope: &mut Scope, ast: &rhai::AST) -> Result<Dynamic, ScriptFault> {
    ScriptMemory::arm();
    guard::finish(engine.eval_ast_with_scope::<Dynamic>(scope, ast))
        .map_err(|e| ScriptFault::from_error(&e))
}
