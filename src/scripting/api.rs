//! The registry of the script API: [`Api`] registers each function, property and printer with
//! its signature and documentation, recorded as [`ApiDoc`] entries (this feeds `reimburse api`
//! and docs/api.md); `signature_key` matches them against the engine's own list for the
//! documentation check.
//!
//! It must not depend on the session, the ledger or the registered types and functions: they
//! depend on it.

use rhai::{Engine, FuncRegistration, RhaiNativeFunc, Variant};

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

/// Registers functions and records their documentation.
pub struct Api<'e> {
    pub(super) engine: &'e mut Engine,
    pub(super) docs: Vec<ApiDoc>,
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

    /// Records the documentation of a registered type.
    pub(super) fn type_doc(&mut self, name: &str, doc: &str) {
        self.docs.push(ApiDoc {
            name: name.to_string(),
            signature: format!("type {name}"),
            doc: doc.to_string(),
        });
    }
}

/// What identifies a function for the documentation check: its name and parameter types, without
/// parameter names, spaces or case (`balances(customer)`); a getter as `type.property`;
/// `to_debug` as `to_string`. `None` for type entries.
pub(super) fn signature_key(signature: &str) -> Option<String> {
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
