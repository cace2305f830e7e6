//! What keeps one script operation from crashing or hanging the process (issue 17): the
//! wall-clock limit (`limits.max_seconds`), the standard-library functions scripts do not get
//! (`sleep`), renderings of arrays and maps that stop at the string size limit instead of
//! building a string of gigabytes in one operation, and the large stack scripts run on.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rhai::{
    Array, Dynamic, Engine, EvalAltResult, FuncRegistration, Map, Module, NativeCallContext,
    Position, Shared,
};

use super::RhaiResult;

/// The stack of every thread that evaluates scripts: the command's own thread
/// ([`on_script_stack`]) and the run's read-ahead thread. Values nested deeply (arrays in
/// arrays, closures calling closures) are cloned, compared, rendered and dropped by recursion in
/// Rust; within the default limits (operations, array and map sizes, memory, time) the deepest
/// such value a script can build fits in it, in a debug build too, so a limit stops the script
/// before the stack ends. Address space only: pages become resident as they are used.
pub const SCRIPT_STACK: usize = 256 << 20;

// The read-ahead thread of a run evaluates hooks too.
const _: () = assert!(crate::ledger::READ_AHEAD_STACK == SCRIPT_STACK);

/// Runs `work` on a thread with a [`SCRIPT_STACK`] stack and returns its result; the calling
/// thread waits. A panic in `work` is resumed on the calling thread.
pub fn on_script_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let spawned = std::thread::Builder::new()
        .name("reimburse".into())
        .stack_size(SCRIPT_STACK)
        .spawn(work);
    match spawned {
        Ok(handle) => match handle.join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(_) => no_thread(),
    }
}

/// A thread that cannot be created is a resource failure the caller cannot work around.
#[cold]
fn no_thread() -> ! {
    eprintln!(
        "error: cannot start a thread with a {} MiB stack",
        SCRIPT_STACK >> 20
    );
    std::process::exit(1)
}

thread_local! {
    /// When the evaluation running on this thread began ([`start_clock`]).
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Progress calls since the clock was last read ([`out_of_time`]).
    static TICKS: Cell<u32> = const { Cell::new(0) };
    /// A rendering was cut at the string size limit ([`Bounded`]) and the evaluation must stop.
    static CUT: Cell<bool> = const { Cell::new(false) };
}

/// Starts the wall clock of an evaluation on this thread (called with
/// [`super::ScriptMemory::arm`], which every caller of the engine calls before evaluating).
pub fn start_clock() {
    let _ = STARTED.try_with(|s| s.set(Some(Instant::now())));
    let _ = CUT.try_with(|c| c.set(false));
}

/// The token with which the engine stops a script whose rendering of an array or map was cut at
/// the string size limit.
#[derive(Debug, Clone, Copy)]
pub struct StringLimit;

/// Whether a rendering was cut since the evaluation began: the progress callback stops the
/// script at the next operation, and [`finish`] an evaluation that had none.
pub fn was_cut() -> bool {
    CUT.try_with(Cell::get).unwrap_or(false)
}

/// An evaluation's result, or the string limit's error when a rendering was cut in its last
/// operation (no operation followed to stop it). Every caller of the engine passes its result
/// through.
pub fn finish<T>(result: RhaiResult<T>) -> RhaiResult<T> {
    super::ScriptMemory::clear_ceiling();
    match result {
        Ok(_) if was_cut() => {
            Err(EvalAltResult::ErrorTerminated(Dynamic::from(StringLimit), Position::NONE).into())
        }
        other => other,
    }
}

/// How many operations pass between two looks at the clock (reading it costs about as much as
/// a few operations).
const CLOCK_EVERY: u32 = 256;

/// Whether the evaluation on this thread has run longer than `limit`; looks at the clock only
/// every `CLOCK_EVERY` calls (counted here: the count Rhai passes to its progress callback
/// starts again in functions called from native code, such as `reduce`'s).
pub fn out_of_time(limit: Duration) -> bool {
    let tick = TICKS
        .try_with(|t| {
            let n = t.get().wrapping_add(1);
            t.set(n);
            n
        })
        .unwrap_or(0);
    if !tick.is_multiple_of(CLOCK_EVERY) {
        return false;
    }
    STARTED
        .try_with(Cell::get)
        .ok()
        .flatten()
        .is_some_and(|started| started.elapsed() > limit)
}

/// The token with which the engine stops a script past `limits.max_seconds` (the limit's
/// seconds).
#[derive(Debug, Clone, Copy)]
pub struct TimeLimit(pub u64);

impl TimeLimit {
    /// The error message, naming the limit.
    pub fn message(self) -> String {
        format!(
            "too slow: the script ran past its time limit of {} s (limits.max_seconds)",
            self.0
        )
    }
}

/// Functions of Rhai's standard library that scripts do not get, with the argument types Rhai
/// names in its "Function not found" message. `sleep` blocks the thread in one operation,
/// beyond every limit (the run would hold the write lock for as long as it says).
pub const REMOVED: &[(&str, &str)] = &[("sleep", "i64")];

/// Registers the replacements of standard-library functions: the removed ones fail as if they
/// did not exist, and arrays and maps render with a bound. They go into a global module ahead
/// of the standard library (so they win), outside the API listing.
pub fn install(engine: &mut Engine) {
    let mut module = Module::new();
    for (name, types) in REMOVED {
        let missing = format!("{name} ({types})");
        FuncRegistration::new(*name).set_into_module(
            &mut module,
            move |_: i64| -> RhaiResult<()> {
                Err(EvalAltResult::ErrorFunctionNotFound(missing.clone(), Position::NONE).into())
            },
        );
    }
    // Rhai calls `to_string`/`to_debug` for interpolation and `+` with a string, and on an
    // error renders the value itself, without a bound: those give the text cut at the limit and
    // stop the script at the next operation ([`was_cut`]). `print` and `debug` fail at once.
    for (name, fails) in [
        ("to_string", false),
        ("to_debug", false),
        ("print", true),
        ("debug", true),
    ] {
        FuncRegistration::new(name)
            .with_params_info(["array: &mut Array", "String"])
            .set_into_module(
                &mut module,
                move |ctx: NativeCallContext, a: &mut Array| -> RhaiResult<String> {
                    let mut out = Bounded::new(&ctx);
                    let done = out.array(a);
                    out.finish(done, fails)
                },
            );
        FuncRegistration::new(name)
            .with_params_info(["map: &mut Map", "String"])
            .set_into_module(
                &mut module,
                move |ctx: NativeCallContext, m: &mut Map| -> RhaiResult<String> {
                    let mut out = Bounded::new(&ctx);
                    let done = out.map(m);
                    out.finish(done, fails)
                },
            );
    }
    FuncRegistration::new("to_json")
        .with_params_info(["map: &mut Map", "String"])
        .set_into_module(
            &mut module,
            |ctx: NativeCallContext, m: &mut Map| -> RhaiResult<String> { to_json(&ctx, m) },
        );
    install_equality(&mut module);
    engine.register_global_module(Shared::new(module));
}

/// `==` and `!=` of arrays and of maps, recursing into nested arrays and maps here: Rhai's own
/// recurse through a function call per level, kilobytes of stack each, so comparing arrays
/// nested 30,000 deep overflowed even a large stack.
fn install_equality(module: &mut Module) {
    for (name, negate) in [("==", false), ("!=", true)] {
        FuncRegistration::new(name)
            .with_params_info(["array1: &mut Array", "array2: Array", "bool"])
            .set_into_module(
                module,
                move |ctx: NativeCallContext, a: &mut Array, mut b: Array| -> RhaiResult<bool> {
                    Ok(arrays_equal(&ctx, a, &mut b)? != negate)
                },
            );
        FuncRegistration::new(name)
            .with_params_info(["map1: &mut Map", "map2: Map", "bool"])
            .set_into_module(
                module,
                move |ctx: NativeCallContext, a: &mut Map, mut b: Map| -> RhaiResult<bool> {
                    Ok(maps_equal(&ctx, a, &mut b)? != negate)
                },
            );
    }
}

fn arrays_equal(ctx: &NativeCallContext, a: &mut Array, b: &mut Array) -> RhaiResult<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        if !equal(ctx, x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn maps_equal(ctx: &NativeCallContext, a: &mut Map, b: &mut Map) -> RhaiResult<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for (key, x) in a.iter_mut() {
        let Some(y) = b.get_mut(key) else {
            return Ok(false);
        };
        if !equal(ctx, x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether two values are equal as Rhai's `==` says: arrays and maps here, anything else by the
/// `==` registered for it (two values of different types without one are unequal).
fn equal(ctx: &NativeCallContext, x: &mut Dynamic, y: &mut Dynamic) -> RhaiResult<bool> {
    if !x.is_shared() && !y.is_shared() {
        if x.is_array()
            && y.is_array()
            && let (Some(mut a), Some(mut b)) = (x.write_lock::<Array>(), y.write_lock::<Array>())
        {
            return arrays_equal(ctx, &mut a, &mut b);
        }
        if x.is_map()
            && y.is_map()
            && let (Some(mut a), Some(mut b)) = (x.write_lock::<Map>(), y.write_lock::<Map>())
        {
            return maps_equal(ctx, &mut a, &mut b);
        }
    }
    let same_type = x.type_id() == y.type_id();
    match ctx.call_native_fn_raw("==", true, &mut [x, y]) {
        Ok(v) => Ok(v.as_bool().unwrap_or(false)),
        Err(e) if !same_type && matches!(*e, EvalAltResult::ErrorFunctionNotFound(..)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether a signature from `Engine::gen_fn_signatures` is one of [`install`]'s replacements
/// (they are not part of the API listing).
pub fn is_replacement(signature: &str) -> bool {
    let Some((name, params)) = signature.split_once('(') else {
        return false;
    };
    let rendering = [
        "to_string",
        "to_debug",
        "print",
        "debug",
        "to_json",
        "==",
        "!=",
    ]
    .contains(&name)
        && ["array", "map"]
            .iter()
            .any(|t| params.to_lowercase().contains(&format!("mut {t}")));
    rendering || REMOVED.iter().any(|(removed, _)| *removed == name)
}

/// The error of a rendering past the string size limit (Rhai's own, so it is reported as
/// `limits.max_string_size`).
fn too_long() -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge("Length of string".into(), Position::NONE).into()
}

/// Text of an array or map, as Rhai renders it (`[1, "a"]`, `#{"k": 1}`), built element by
/// element and given up as soon as it is longer than the string size limit: what it would make
/// is refused anyway, and an array of 100,000 copies of one 64 kB string would take 6 GB.
struct Bounded<'c> {
    ctx: &'c NativeCallContext<'c>,
    text: String,
    max: usize,
}

impl<'c> Bounded<'c> {
    fn new(ctx: &'c NativeCallContext<'c>) -> Self {
        let max = match ctx.engine().max_string_size() {
            0 => usize::MAX,
            n => n,
        };
        Bounded {
            ctx,
            text: String::new(),
            max,
        }
    }

    /// The text, or on a cut: the error (`fails`) or the text so far, noting the cut.
    fn finish(self, done: RhaiResult<()>, fails: bool) -> RhaiResult<String> {
        match done {
            Ok(()) => Ok(self.text),
            Err(e) if fails || !matches!(*e, EvalAltResult::ErrorDataTooLarge(..)) => Err(e),
            Err(_) => {
                let _ = CUT.try_with(|c| c.set(true));
                Ok(self.text)
            }
        }
    }

    fn push(&mut self, s: &str) -> RhaiResult<()> {
        if self.text.len().saturating_add(s.len()) > self.max {
            return Err(too_long());
        }
        self.text.push_str(s);
        Ok(())
    }

    fn array(&mut self, a: &mut Array) -> RhaiResult<()> {
        self.push("[")?;
        for (i, x) in a.iter_mut().enumerate() {
            if i > 0 {
                self.push(", ")?;
            }
            self.element(x)?;
        }
        self.push("]")
    }

    fn map(&mut self, m: &mut Map) -> RhaiResult<()> {
        self.push("#{")?;
        for (i, (k, v)) in m.iter_mut().enumerate() {
            if i > 0 {
                self.push(", ")?;
            }
            let mut key = String::new();
            let _ = write!(key, "{:?}: ", k.as_str());
            self.push(&key)?;
            self.element(v)?;
        }
        self.push("}")
    }

    /// An element in debug form: arrays and maps here, anything else by its `to_debug`.
    fn element(&mut self, x: &mut Dynamic) -> RhaiResult<()> {
        if x.is_array()
            && !x.is_shared()
            && let Some(mut a) = x.write_lock::<Array>()
        {
            return self.array(&mut a);
        }
        if x.is_map()
            && !x.is_shared()
            && let Some(mut m) = x.write_lock::<Map>()
        {
            return self.map(&mut m);
        }
        let text = match self.ctx.call_native_fn_raw("to_debug", true, &mut [x]) {
            Ok(v) if v.is_string() => v.into_immutable_string().unwrap_or_default().to_string(),
            Ok(v) => v.type_name().to_string(),
            Err(e) if matches!(*e, EvalAltResult::ErrorDataTooLarge(..)) => return Err(e),
            Err(_) => format!("{x:?}"),
        };
        self.push(&text)
    }
}

/// `map.to_json()`, written into a buffer that refuses to grow past the string size limit.
fn to_json(ctx: &NativeCallContext, m: &mut Map) -> RhaiResult<String> {
    let max = match ctx.engine().max_string_size() {
        0 => usize::MAX,
        n => n,
    };
    let mut out = Capped {
        bytes: Vec::new(),
        max,
        full: false,
    };
    let sorted: BTreeMap<&str, &Dynamic> = m.iter().map(|(k, v)| (k.as_str(), v)).collect();
    match serde_json::to_writer(&mut out, &sorted) {
        Ok(()) => Ok(String::from_utf8(out.bytes).unwrap_or_default()),
        Err(_) if out.full => Err(too_long()),
        Err(e) => Err(super::runtime_error(format!("to_json: {e}"))),
    }
}

/// A byte buffer that fails a write that would take it past `max` bytes.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
    /// A write was refused.
    full: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.max {
            self.full = true;
            return Err(std::io::Error::other("past the string size limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How long `limits.max_seconds` lasts.
pub fn seconds(limit: u64) -> Duration {
    Duration::from_secs(limit)
}

/// The last resort of the memory limit, called by the allocator when one operation of a script
/// (a rendering by Rhai itself, past every bounded function) has allocated more than twice
/// `limits.max_memory_mb`: the allocation cannot fail cleanly (Rust aborts), so the process
/// stops here with the limit's message and exit code 1, like a kill: the transaction was not
/// committed, so nothing was written.
#[cold]
pub fn overdrawn() -> ! {
    use std::io::Write as _;
    // Whatever `exit` allocates must not come back here.
    super::ScriptMemory::clear_ceiling();
    let _ = std::io::stderr().write_all(
        b"error: out of memory: one operation of a script allocated more than twice its memory limit (limits.max_memory_mb); nothing was written\n",
    );
    std::process::exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::ScriptLimits;

    fn engine(max_string_size: usize) -> Engine {
        let mut engine = Engine::new();
        let limits = ScriptLimits {
            max_string_size,
            ..ScriptLimits::default()
        };
        super::super::harden(&mut engine, &limits, None);
        engine
    }

    fn eval(engine: &Engine, code: &str) -> Result<String, String> {
        super::super::ScriptMemory::arm();
        finish(engine.eval::<Dynamic>(code))
            .map(|v| v.to_string())
            .map_err(|e| super::super::ScriptFault::from_error(&e).message)
    }

    #[test]
    fn arrays_and_maps_render_as_rhai_renders_them() {
        let e = engine(1000);
        let code = "let a = [1, \"x\", #{b: [2, 3], c: ()}, true, 'c'];";
        assert_eq!(
            eval(&e, &format!("{code} a.to_string()")).unwrap(),
            // (Rhai shows a character without quotes.)
            "[1, \"x\", #{\"b\": [2, 3], \"c\": ()}, true, c]"
        );
        assert_eq!(
            eval(&e, &format!("{code} `${{a[2]}}` + a[1]")).unwrap(),
            "#{\"b\": [2, 3], \"c\": ()}x"
        );
        assert_eq!(
            eval(&e, &format!("{code} a[2].to_json()")).unwrap(),
            "{\"b\":[2,3],\"c\":null}"
        );
    }

    #[test]
    fn a_rendering_past_the_string_limit_stops_the_evaluation() {
        let e = engine(20);
        let limit = "a string grew past the string size limit (limits.max_string_size)";
        // Directly, through interpolation (Rhai would fall back to its own rendering on an
        // error), as the last operation, and as `to_json`.
        for code in [
            "let a = [12345, 12345, 12345, 12345, 12345];\na.to_string()",
            "let a = [12345, 12345, 12345, 12345, 12345];\nlet t = `${a}`;\nlet u = 1;",
            "let a = [12345, 12345, 12345, 12345, 12345];\n`${a}`",
            "let m = #{a: 12345, b: 12345, c: 12345, d: 12345};\nm.to_json()",
            "let a = [12345, 12345, 12345, 12345, 12345];\nprint(a)",
        ] {
            assert_eq!(eval(&e, code), Err(limit.to_string()), "{code}");
        }
        assert_eq!(eval(&e, "[1, 2].to_string()").unwrap(), "[1, 2]");
    }

    #[test]
    fn arrays_and_maps_compare_as_rhai_compares_them() {
        // On the scripts' stack, as the program runs them (a test thread has 2 MiB).
        on_script_stack(compare_as_rhai);
    }

    fn compare_as_rhai() {
        let e = engine(1000);
        for (code, expected) in [
            ("[1, [2, #{a: [3]}]] == [1, [2, #{a: [3]}]]", "true"),
            ("[1, [2, #{a: [3]}]] != [1, [2, #{a: [4]}]]", "true"),
            ("#{a: [1], b: \"x\"} == #{b: \"x\", a: [1]}", "true"),
            ("#{a: [1]} == #{b: [1]}", "false"),
            ("[1] == [\"1\"]", "false"),
            ("[[1], [2]].contains([2])", "true"),
            (
                "let a = []; for i in 0..3000 { a = [take(a)]; } let b = a; a == b",
                "true",
            ),
        ] {
            assert_eq!(eval(&e, code).unwrap(), expected, "{code}");
        }
    }

    #[test]
    fn sleep_does_not_exist_and_is_no_part_of_the_api() {
        let e = engine(1000);
        assert_eq!(
            eval(&e, "sleep(1)"),
            Err("Function not found: sleep (i64)".to_string())
        );
        assert!(is_replacement("sleep(seconds: i64)"));
        assert!(is_replacement("to_string(array: &mut Array) -> String"));
        assert!(!is_replacement(
            "to_string(customer: &mut Customer) -> String"
        ));
    }
}
