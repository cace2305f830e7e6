//! What goes wrong in scripts: the error type of registered functions ([`RhaiResult`],
//! [`runtime_error`]), `skip(reason)` ([`Skip`]), a script error unwrapped to its position and
//! message ([`ScriptFault`]), a script that does not compile ([`CompileError`]), and values as
//! error messages show them ([`shown`]).
//!
//! It must not depend on the session or the API; only on the limit tokens of the sandbox
//! ([`super::guard`], [`super::memory`]) whose messages it words.

use std::fmt;
use std::path::PathBuf;

use rhai::{Dynamic, Engine, EvalAltResult, Position};

use super::guard;
use super::memory::MemoryLimit;
use crate::ledger::LedgerError;

/// The result type of registered functions.
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A runtime error raised by an API function (position filled in by Rhai at the call site).
pub fn runtime_error(message: impl fmt::Display) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.to_string().into(), Position::NONE).into()
}

/// A ledger primitive's refusal as a script error.
pub(super) fn ledger_error(e: LedgerError) -> Box<EvalAltResult> {
    runtime_error(e)
}

/// Thrown by `skip(reason)`: the engine skips the current customer and currency with that reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip(pub String);

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
        ScriptFault {
            line: pos.line(),
            column: pos.position(),
            functions,
            message: message_of(current),
            skip,
        }
    }
}

/// The message of an innermost script error, in the words of the limit it hit when it hit one.
/// One `match` over the kinds of error: clearer whole than split.
fn message_of(current: &EvalAltResult) -> String {
    match current {
        EvalAltResult::ErrorRuntime(value, _) if value.is_string() => value.to_string(),
        EvalAltResult::ErrorTooManyOperations(_) => {
            "too many operations: the script ran past its operations limit (an endless loop?) (limits.max_operations)"
                .to_string()
        }
        EvalAltResult::ErrorTerminated(token, _) if token.is::<MemoryLimit>() => {
            "out of memory: the script's data grew past its memory limit (limits.max_memory_mb)"
                .to_string()
        }
        EvalAltResult::ErrorTerminated(token, _) if token.is::<guard::StringLimit>() => {
            "a string grew past the string size limit (limits.max_string_size)".to_string()
        }
        EvalAltResult::ErrorTerminated(token, _) if token.is::<guard::TimeLimit>() => {
            token.clone_cast::<guard::TimeLimit>().message()
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
    }
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
