//! The module resolver of the sandbox: `import "name"` loads `name.rhai` from one folder only,
//! a regular file, and never a module that is being imported already (a cycle would recurse
//! until the stack ends).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rhai::{
    Engine, EvalAltResult, Module, ModuleResolver, Position, Shared,
    module_resolvers::FileModuleResolver,
};

/// Resolves `import "name"` to `name.rhai` inside one folder, refusing anything that escapes it,
/// anything but a regular file (a FIFO would block the read for ever) and import cycles.
pub struct ConfinedResolver {
    root: Option<PathBuf>,
    inner: Option<FileModuleResolver>,
    /// The files being imported, outermost first: each is evaluated while it imports the next.
    chain: RefCell<Vec<PathBuf>>,
}

impl ConfinedResolver {
    /// A resolver confined to `root` (no imports at all without one).
    pub fn new(root: Option<&Path>) -> Self {
        let root = root.and_then(|r| r.canonicalize().ok());
        let inner = root.as_ref().map(|r| {
            let mut f = FileModuleResolver::new_with_path(r.clone());
            f.enable_cache(true);
            f
        });
        ConfinedResolver {
            root,
            inner,
            chain: RefCell::new(Vec::new()),
        }
    }

    /// `a.rhai → b.rhai → a.rhai`: the chain of imports that leads back to `real`.
    fn cycle(&self, root: &Path, real: &Path) -> String {
        let chain = self.chain.borrow();
        let from = chain.iter().position(|f| f == real).unwrap_or(0);
        chain[from..]
            .iter()
            .chain(std::iter::once(&real.to_path_buf()))
            .map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string())
            .collect::<Vec<_>>()
            .join(" → ")
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
        let real = match file.canonicalize() {
            Ok(real) if real.starts_with(root) => real,
            Ok(_) => return Err(refuse("outside the rules folder")),
            Err(_) => return Err(refuse("no such module in the rules folder")),
        };
        if !std::fs::metadata(&real).is_ok_and(|m| m.is_file()) {
            return Err(refuse("not a regular file"));
        }
        if self.chain.borrow().contains(&real) {
            return Err(refuse(&format!(
                "import cycle {} (modules may not import each other)",
                self.cycle(root, &real)
            )));
        }
        self.chain.borrow_mut().push(real.clone());
        // Resolve by the absolute path so the file resolver does not re-anchor it.
        let resolved = inner.resolve(
            engine,
            source,
            &real.with_extension("").to_string_lossy(),
            pos,
        );
        let popped = self.chain.borrow_mut().pop();
        debug_assert_eq!(popped.as_ref(), Some(&real), "imports nest");
        resolved
    }
}
