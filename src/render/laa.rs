//! The `laa` command's outputs: an area's LAA lines as CSV and as an
//! aligned text table (JSON is the lines' serde form).

use crate::assess::LaaLine;
use crate::period::Period;
use crate::stats::TargetStatus;

/// The lines as CSV, one row per line, numbers at full precision.
pub fn laa_csv(lines: &[LaaLine]) -> String {
    let f = |v: Option<f64>| v.map(super::format_number).unwrap_or_default();
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::from(
        "area_code,area_name,year,indicator,title,units,baseline_period,baseline_value,\
     latest_period,latest_value,ci_lower,ci_upper,target,trajectory,significant,status\n",
    );
    for l in lines {
        let cells = [
            field(&l.area_code),
            field(&l.area_name),
            l.year.to_string(),
            field(&l.indicator),
            field(&l.title),
            field(&l.units),
            field(&l.baseline_period),
            f(Some(l.baseline_value)),
            l.latest_period.map(|p| p.to_string()).unwrap_or_default(),
            f(l.latest_value),
            f(l.ci_lower),
            f(l.ci_upper),
            f(l.target),
            f(l.trajectory),
            l.significant.map(|b| b.to_string()).unwrap_or_default(),
            l.status.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The lines as an aligned text table with a title and a summary of statuses.
pub fn laa_table(lines: &[LaaLine], area: &str, name: &str, year: Period) -> String {
    let header = [
        "indicator",
        "title",
        "baseline",
        "latest",
        "95% CI",
        "target",
        "trajectory",
        "significant",
        "status",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    table.extend(lines.iter().map(table_cells));
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    // text columns left-aligned, figures right-aligned
    let left = [true, true, false, false, false, false, false, true, true];
    let mut out = format!("LAA targets of {area} {name}, {year}\n\n");
    for (i, row) in table.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if left[c] || i == 0 {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    format!("{s:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    let summary = status_counts(lines);
    out.push_str(&format!(
    "\n{} designated: {}. Trajectory: the straight line from baseline to the {year} target, at the latest period.\n",
    lines.len(),
    summary.join(", ")
));
    out
}

/// The text table's cells of one line.
fn table_cells(l: &LaaLine) -> Vec<String> {
    let with_period = |v: String, p: &str| {
        if v.is_empty() {
            v
        } else {
            format!("{v} ({p})")
        }
    };
    let d = line_decimals(l.baseline_value, l.decimals);
    let n = |v: Option<f64>| display_number(v, d);
    let ci = match (l.ci_lower, l.ci_upper) {
        (Some(a), Some(b)) => format!("{} to {}", n(Some(a)), n(Some(b))),
        _ => String::new(),
    };
    vec![
        l.indicator.clone(),
        l.title.clone(),
        with_period(n(Some(l.baseline_value)), &l.baseline_period),
        with_period(
            n(l.latest_value),
            &l.latest_period.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ci,
        n(l.target),
        n(l.trajectory),
        match l.significant {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        l.status.to_string(),
    ]
}

/// `k status` for each status some line is in, in a fixed order.
fn status_counts(lines: &[LaaLine]) -> Vec<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in [
        TargetStatus::Met,
        TargetStatus::OnTrack,
        TargetStatus::OffTrack,
        TargetStatus::Worse,
        TargetStatus::NotYetAvailable,
    ] {
        let k = lines.iter().filter(|l| l.status == s).count();
        if k > 0 {
            counts.push((s.as_str(), k));
        }
    }
    counts.iter().map(|(s, k)| format!("{k} {s}")).collect()
}

/// Decimals to show a line with: the indicator's, or more when its
/// baseline is below 1 in magnitude, to keep three significant digits
/// (NI16 rates of a small extract are about 0.1 per 1,000).
fn line_decimals(baseline: f64, decimals: u8) -> usize {
    let d = decimals as usize;
    if baseline.is_finite() && baseline != 0.0 && baseline.abs() < 1.0 {
        d.max((2.0 - baseline.abs().log10().floor()) as usize)
            .min(6)
    } else {
        d
    }
}

fn display_number(v: Option<f64>, d: usize) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return String::new();
    };
    let s = format!("{v:.d$}");
    if s.trim_start_matches('-')
        .bytes()
        .all(|b| b == b'0' || b == b'.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}
