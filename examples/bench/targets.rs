//! The targets (issue 22), each with the figures measured and whether it is met.

use super::*;

/// The targets, each with the figures measured and whether they are met.
pub(crate) fn targets(rows: &[SizeResult], start_ms: Option<f64>) -> Vec<String> {
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let per_size = |f: &dyn Fn(&SizeResult) -> f64, limit: f64, unit: &str| -> String {
        rows.iter()
            .map(|r| {
                let v = f(r);
                format!("{}: {v:.2}{unit} {}", thousands(r.n), verdict(v <= limit))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut lines = vec![
        format!(
            "engine/baseline <= 1.15x       {}",
            per_size(&|r| r.run / r.baseline, 1.15, "x")
        ),
        format!(
            "write floor new/old <= 0.6     {} (the target is at 1,000,000)",
            per_size(&|r| r.floor / r.old_floor, 0.6, "")
        ),
        format!(
            "committed run/floor <= 1.4x    {}",
            per_size(&|r| r.run / r.floor, 1.4, "x")
        ),
        format!(
            "import/floor per row <= 1.3x   {}",
            per_size(&|r| r.import_ratio, 1.3, "x")
        ),
        format!(
            "command peak RSS <= 150 MB     {}",
            rows.iter()
                .map(|r| match r.command_rss_mb {
                    Some(mb) => format!("{}: {mb} MB {}", thousands(r.n), verdict(mb <= 150)),
                    None => format!("{}: - (build the release binary)", thousands(r.n)),
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
    ];
    if let (Some(small), Some(large)) = (rows.first(), rows.last())
        && large.n > small.n
    {
        let per = |r: &SizeResult| r.run / r.n as f64;
        let growth = per(large) / per(small);
        lines.push(format!(
            "cost linear in N               µs/customer at {} over at {}: {growth:.2}x {} (linear: at most 1.25x)",
            thousands(large.n),
            thousands(small.n),
            verdict(growth <= 1.25)
        ));
    }
    lines.push(match start_ms {
        Some(ms) => format!(
            "CLI start <= 30 ms             {ms:.1} ms {}",
            verdict(ms <= 30.0)
        ),
        None => "CLI start <= 30 ms             - (build the release binary)".into(),
    });
    lines
}

/// `n` with thousands separators.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
