//! Issue 17, "No script can crash or hang the process": one operation cannot allocate far past
//! the memory limit, deep values and import cycles are errors instead of stack overflows, no
//! script sleeps or runs past `limits.max_seconds`, a FIFO in the rules folder is not read, and
//! `max_modules: 0` is refused like the other limits. Each limit also lets a legitimate script
//! under it run.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Company, company_yaml};

/// Runs `reimburse --company <yaml> <args>` with the address space capped at `cap_mb` MiB
/// (`ulimit -v`) and killed after `seconds` (a failure: it hung). Checks it did not panic.
fn run_bounded(c: &Company, cap_mb: u64, seconds: u64, args: &[&str]) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", cap_mb * 1024))
        .arg(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&c.yaml)
        .args(args)
        .env_remove("REIMBURSE_COMPANY")
        .current_dir(c.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the reimburse binary");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("reimburse {args:?} still ran after {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    crate::common::no_panic(&out);
    out
}

/// Runs `reimburse script <name>` (written with `text`) under an address-space cap of `cap_mb`;
/// it must stop by itself with exit code 1, one error line, within `seconds`, and leave the
/// database unchanged. Returns the error line.
fn script_stops(c: &Company, name: &str, text: &str, cap_mb: u64, seconds: u64) -> String {
    let file = c.write(name, text);
    let before = c.snapshot();
    let out = run_bounded(c, cap_mb, seconds, &["script", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{name}: {}\n{err}", out.status);
    assert_eq!(err.lines().count(), 1, "{err}");
    c.assert_unchanged(&before, name);
    err
}

/// The error line of `reimburse script` for `name` at `position`.
fn script_error(c: &Company, name: &str, position: &str, message: &str) -> String {
    format!(
        "error: {}:{position}: {message} (nothing was written)\n",
        c.path(name).display()
    )
}

const STRING_LIMIT: &str = "a string grew past the string size limit (limits.max_string_size)";

// ----- 11. memory -----

#[test]
fn rendering_an_array_of_one_string_many_times_stops_at_a_limit_quickly() {
    // The case: 99,999 references to one 65 kB string (index assignment checks only the
    // assigned value), rendered in one operation: 6.5 GB of text. Under a 4 GB address space.
    let c = Company::contoso();
    let fill = "let s = \"x\";\ns.pad(65000, \"y\");\nlet a = [];\na.pad(99999, 0);\nfor i in 0..99999 { a[i] = s; }\n";
    let err = script_stops(
        &c,
        "render.rhai",
        &format!("{fill}let t = `${{a}}`;\n"),
        4000,
        60,
    );
    assert_eq!(
        err,
        "error: out of memory: one operation of a script allocated more than twice its memory limit (limits.max_memory_mb); nothing was written\n"
    );
    // Through the bounded renderers: `to_string`, `print`, a map's `to_json`.
    let small = "let s = \"x\";\ns.pad(40000, \"y\");\nlet a = [0, 0];\na[0] = s;\na[1] = s;\n";
    for (name, last, column) in [
        ("to_string.rhai", "a.to_string()", 3),
        ("print.rhai", "print(a)", 1),
    ] {
        let text = format!("{small}{last}\n");
        let err = script_stops(&c, name, &text, 4000, 60);
        assert_eq!(
            err,
            script_error(&c, name, &format!("6:{column}"), STRING_LIMIT)
        );
    }
    let text =
        "let s = \"x\";\ns.pad(40000, \"y\");\nlet m = #{};\nm.a = s;\nm.b = s;\nm.to_json()\n";
    let err = script_stops(&c, "json.rhai", text, 4000, 60);
    assert!(
        err.ends_with(&format!(": {STRING_LIMIT} (nothing was written)\n")),
        "{err}"
    );
}

#[test]
fn arrays_and_maps_under_the_limit_render_as_before() {
    let c = Company::contoso();
    let file = c.write(
        "render_ok.rhai",
        "let a = [1, \"x\", #{b: [2, 3], c: ()}, true];\nprint(a);\nprint(`${a[2]}`);\nprint(a[2].to_json());\nprint(\"z\" + a);\n",
    );
    let out = c.run(&["script", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned()
        + String::from_utf8_lossy(&out.stderr).as_ref();
    for line in [
        "[1, \"x\", #{\"b\": [2, 3], \"c\": ()}, true]",
        "#{\"b\": [2, 3], \"c\": ()}",
        "{\"b\":[2,3],\"c\":null}",
        "z[1, \"x\", #{\"b\": [2, 3], \"c\": ()}, true]",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
}

// ----- 12. stack -----

#[test]
fn an_import_cycle_is_refused_naming_the_files() {
    let c = Company::contoso();
    c.write("a.rhai", "import \"b\" as b;\nfn x() { 1 }\n");
    c.write("b.rhai", "import \"a\" as a;\nfn y() { 2 }\n");
    let err = script_stops(
        &c,
        "main.rhai",
        "import \"a\" as a;\nprint(\"ok\");\n",
        4000,
        30,
    );
    assert_eq!(
        err,
        script_error(
            &c,
            "main.rhai",
            "1:8",
            "cannot import \"a\": import cycle a.rhai → b.rhai → a.rhai (modules may not import each other)"
        )
    );
    // An import that is no cycle still works.
    c.write("c.rhai", "fn z() { 3 }\n");
    let file = c.write(
        "fine.rhai",
        "import \"c\" as c;\nimport \"c\" as d;\nprint(c::z() + d::z());\n",
    );
    let out = c.run(&["script", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_chain_of_closures_stops_at_a_limit_not_the_stack() {
    // 200,000 closures each calling the previous (the operations limit raised so that the chain
    // is built): calling it trips the call depth limit; building, rendering and dropping it do
    // not overflow the stack.
    let yaml = company_yaml() + "limits:\n  max_operations: 100000000\n";
    let fixture = std::fs::read_to_string(crate::common::contoso_ledger()).unwrap();
    let c = Company::with(&yaml, &fixture);
    let chain = "let f = || 0;\nfor i in 0..200000 { let g = f; f = || g.call() + 1; }\n";
    let err = script_stops(&c, "call.rhai", &format!("{chain}f.call()\n"), 4000, 120);
    assert_eq!(
        err,
        script_error(
            &c,
            "call.rhai",
            "3:3",
            "call stack overflow: too deep recursion (limits.max_call_levels)"
        )
    );
    let file = c.write("drop.rhai", &format!("{chain}let s = `${{f}}`;\nf = ();\n"));
    let out = c.run(&["script", "--dry-run", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn deeply_nested_arrays_stop_at_a_limit_not_the_stack() {
    // `a = [take(a)]` nests without copying; Rhai's size check walks the whole value after each
    // step, so it slows down: the time limit stops it (with the default stack it overflowed at
    // about 30,000 levels in a debug build), and what was built is dropped without overflowing.
    let yaml = company_yaml() + "limits:\n  max_seconds: 3\n";
    let fixture = std::fs::read_to_string(crate::common::contoso_ledger()).unwrap();
    let c = Company::with(&yaml, &fixture);
    let text = "let a = [];\nfor i in 0..60000 { a = [take(a)]; }\n";
    let err = script_stops(&c, "deep.rhai", text, 4000, 60);
    let (at, message) = err
        .strip_prefix(&format!("error: {}:", c.path("deep.rhai").display()))
        .and_then(|rest| rest.split_once(": "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(at.starts_with("2:"), "{err}");
    assert_eq!(
        message,
        "too slow: the script ran past its time limit of 3 s (limits.max_seconds) (nothing was written)\n"
    );
    // 5,000 levels: compared (Rhai's own `==` took 7 kB of stack a level in a debug build, 35 MB
    // here, past a default 8 MB stack), rendered up to the string limit, dropped. Building them is
    // quadratic (the size check), so the time limit is raised: on a loaded machine a debug build
    // can take a minute.
    let yaml = company_yaml() + "limits:\n  max_seconds: 900\n";
    let c = Company::with(&yaml, &fixture);
    let text = "let a = [];\nfor i in 0..5000 { a = [take(a)]; }\nlet b = a;\nprint(a == b);\nprint(`${a}`.len());\na = ();\n";
    let file = c.write("deep_ok.rhai", text);
    let out = run_bounded(&c, 4000, 900, &["script", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("true\n10002\n") || stderr.ends_with("true\n10002\n"),
        "{stdout}{stderr}"
    );
}

// ----- 13. time -----

#[test]
fn sleep_is_not_available() {
    let c = Company::contoso();
    let err = script_stops(&c, "sleep.rhai", "sleep(9223372036854775807);\n", 4000, 10);
    assert_eq!(
        err,
        script_error(&c, "sleep.rhai", "1:1", "Function not found: sleep (i64)")
    );
    // Not in the API listing either.
    let api = c.ok(&["api"]);
    assert!(!api.contains("sleep"), "{api}");
}

#[test]
fn the_wall_clock_limit_stops_a_slow_script_and_a_slow_hook() {
    let yaml = company_yaml() + "limits:\n  max_seconds: 1\n  max_operations: 1000000000\n";
    let fixture = std::fs::read_to_string(crate::common::contoso_ledger()).unwrap();
    let c = Company::with(&yaml, &fixture);
    let message = "too slow: the script ran past its time limit of 1 s (limits.max_seconds)";
    let err = script_stops(&c, "slow.rhai", "let i = 0;\nloop { i += 1; }\n", 4000, 30);
    assert!(
        err.starts_with(&format!("error: {}:2:", c.path("slow.rhai").display()))
            && err.ends_with(&format!(": {message} (nothing was written)\n")),
        "{err}"
    );
    // A hook: the run stops with the hook and customer named, the database unchanged.
    let eligible = "fn eligible(customer, credit) {\n";
    let rules = c.rules(
        "slow_rules.rhai",
        eligible,
        &format!("{eligible}    let i = 0;\n    loop {{ i += 1; }}\n"),
    );
    let started = Instant::now();
    let err = c.broken_run(&rules);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        err.ends_with(&format!("hook eligible, customer C-001 (USD): {message}\n")),
        "{err}"
    );
    // `--where` (an expression: `reduce` over 10,000 characters, each step making 10,000 more).
    let x = "x".repeat(10_000);
    let slow = format!("\"{x}\".to_chars().reduce(|s, c| s + \"{x}\".to_chars().len(), 0) > 0");
    let before = c.snapshot();
    let started = Instant::now();
    let err = c.fails(1, &["run", "--date", "2026-11-30", "--where", &slow]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(err.contains(message), "{err}");
    c.assert_unchanged(&before, "--where");
    // A script under the limit runs.
    let file = c.write(
        "quick.rhai",
        "let i = 0;\nwhile i < 1000 { i += 1; }\nprint(i);\n",
    );
    let out = c.run(&["script", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// `max_seconds: 0` and `max_modules: 0` are refused: hostile_scripts::a_limit_of_zero_is_refused_not_read_as_unlimited.

// ----- 14. a FIFO in the rules folder -----

#[test]
fn a_fifo_in_the_rules_folder_is_not_imported() {
    let c = Company::contoso();
    let fifo = c.path("pipe.rhai");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let err = script_stops(&c, "fifo.rhai", "import \"pipe\" as p;\n", 4000, 10);
    assert_eq!(
        err,
        script_error(
            &c,
            "fifo.rhai",
            "1:8",
            "cannot import \"pipe\": not a regular file"
        )
    );
}

// ----- 12. the same in a run (the read-ahead thread evaluates `eligible` first) and the REPL -----

/// A company whose operations limit lets a hook build a chain of 200,000 closures.
fn company_with_many_operations() -> Company {
    let yaml = company_yaml() + "limits:\n  max_operations: 100000000\n";
    let fixture = std::fs::read_to_string(crate::common::contoso_ledger()).unwrap();
    Company::with(&yaml, &fixture)
}

#[test]
fn a_closure_chain_and_an_import_cycle_in_a_hook_are_errors() {
    let c = company_with_many_operations();
    let eligible = "fn eligible(customer, credit) {\n";
    for (name, insert, message) in [
        (
            "chain_rules.rhai",
            "    let f = || 0;\n    for i in 0..200000 { let g = f; f = || g.call() + 1; }\n    f.call();\n",
            "call stack overflow: too deep recursion (limits.max_call_levels)",
        ),
        (
            "cycle_rules.rhai",
            "    import \"a\" as a;\n",
            "cannot import \"a\": import cycle a.rhai → b.rhai → a.rhai (modules may not import each other)",
        ),
    ] {
        c.write("a.rhai", "import \"b\" as b;\nfn x() { 1 }\n");
        c.write("b.rhai", "import \"a\" as a;\nfn y() { 2 }\n");
        let rules = c.rules(name, eligible, &format!("{eligible}{insert}"));
        let before = c.snapshot();
        let out = run_bounded(&c, 4000, 120, &crate::common::run_with(&rules));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{name}: {}\n{err}", out.status);
        assert!(
            err.ends_with(&format!("hook eligible, customer C-001 (USD): {message}\n")),
            "{err}"
        );
        c.assert_unchanged(&before, name);
    }
}

#[test]
fn a_closure_chain_and_an_import_cycle_in_the_repl_are_errors() {
    // The rules in the company's folder, beside the modules.
    let rules_line = format!("rules: {}", crate::common::default_rules().display());
    let yaml = crate::common::edit(&company_yaml(), &rules_line, "rules: reimburse.rhai")
        + "limits:\n  max_operations: 100000000\n";
    let c = Company::with_parameters(&yaml);
    c.write("reimburse.rhai", &crate::common::default_rules_text());
    c.ok(&[
        "init",
        "--fixture",
        crate::common::contoso_ledger().to_str().unwrap(),
    ]);
    c.write("a.rhai", "import \"b\" as b;\nfn x() { 1 }\n");
    c.write("b.rhai", "import \"a\" as a;\nfn y() { 2 }\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&c.yaml)
        .arg("repl")
        .current_dir(c.dir.path())
        .env("REIMBURSE_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = "let f = || 0; for i in 0..200000 { let g = f; f = || g.call() + 1; }\nf.call()\nimport \"a\" as a;\n\"still here\"\n";
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(lines.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = crate::common::no_panic(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("call stack overflow: too deep recursion (limits.max_call_levels)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("import cycle a.rhai → b.rhai → a.rhai"),
        "{stderr}"
    );
    assert!(stdout.contains("still here"), "{stdout}");
    assert!(
        stderr.ends_with("error: 2 entries of the session failed (see above)\n"),
        "{stderr}"
    );
}
