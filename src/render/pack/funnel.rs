//! The funnel plot of an indicator page: every local authority's value
//! against the size of the count behind it, with 95% and 99.8% control
//! limits around the region's value. How the limits are computed depends
//! on the kind of value ([`LimitModel`]); the chart and its description say
//! which method was used.
//!
//! - rates and actual/expected ratios: exact Poisson limits for the count
//!   of events, at each denominator or expected count (PHE's funnels for
//!   rates and indirectly standardised ratios);
//! - `excess_percent` (NI18): the same Poisson limits on actual/expected,
//!   an approximation of the binomial its significance test uses (slightly
//!   wider where the event is common);
//! - percentages: Wilson score limits at each denominator, or at the Kish
//!   effective sample size when the percentage is survey-weighted (the sum
//!   of the weights is not a number of respondents);
//! - `percent_change` (NI30): both 12-month counts are Poisson, so the
//!   limits are conditional binomial ones: Wilson score limits for the
//!   share of the later count in the total of both, at each total.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::assess::ResultRow;
use crate::definition::ValueKind;
use crate::render::RenderError;
use crate::stats::{self, Comparison, PoissonFunnelMethod};

use super::charts::{
    BLUE, CHART_WIDTH, Chart, Draw, DrawResult, GREY, KEY_SIZE, LABEL_SIZE, Mark, TITLE_SIZE,
    VERMILLION, axis_decimals, chart_stem, draw_key, err, fmt, font, key_height, left_out_note,
    padded, render,
};
use super::model::{Focus, IndicatorView};

/// How the control limits of a funnel are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LimitModel {
    /// Poisson counts with `rate` events per unit of x at the benchmark;
    /// exact limits from gamma quantiles.
    Poisson {
        /// Events per unit of x.
        rate: f64,
    },
    /// A share (0 to 1) of x trials; Wilson score limits around `share`.
    Share {
        /// The benchmark share.
        share: f64,
    },
}

/// How an indicator's values sit on a funnel.
pub struct FunnelScale {
    /// The x axis.
    pub x_desc: String,
    /// The x of a row.
    pub x_of: fn(&ResultRow) -> Option<f64>,
    /// The limit model around the benchmark.
    pub model: LimitModel,
    /// The indicator's value at a limit of the model's scale (a rate per
    /// unit, a ratio, or a share).
    pub to_value: Box<dyn Fn(f64) -> f64 + Send + Sync>,
    /// One sentence naming the method, shown under the chart.
    pub method: String,
}

fn capitalised(s: &str) -> String {
    let s = s.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

fn decapitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The funnel of a value kind around the benchmark value `bench` (the
/// region's), or `None` for a count, which has no denominator. `den` and
/// `num` are the names of the denominator and numerator measures.
// Long because: one arm per value kind, each its axis, limit model and
// method sentence, read side by side; split up, the kinds hide each other.
pub fn funnel_scale(
    kind: ValueKind,
    per: Option<f64>,
    weighted: bool,
    bench: f64,
    num: &str,
    den: &str,
) -> Option<FunnelScale> {
    let den_desc = format!("{} (denominator)", capitalised(den));
    let poisson = |what: &str| {
        format!("Control limits: exact Poisson limits for the {what}, around the region's value.")
    };
    match kind {
        ValueKind::Count => None,
        ValueKind::Percentage if weighted => Some(FunnelScale {
            x_desc: "Effective sample size (Kish, from the survey weights)".into(),
            x_of: |r| r.sample_size,
            model: LimitModel::Share {
                share: bench / 100.0,
            },
            to_value: Box::new(|p| 100.0 * p),
            method: "Control limits: Wilson score limits for a proportion at each effective sample size (the weighted survey's n), around the region's value.".into(),
        }),
        ValueKind::Percentage => Some(FunnelScale {
            x_desc: den_desc,
            x_of: |r| r.denominator,
            model: LimitModel::Share {
                share: bench / 100.0,
            },
            to_value: Box::new(|p| 100.0 * p),
            method: "Control limits: Wilson score limits for a proportion at each denominator, around the region's value.".into(),
        }),
        ValueKind::Rate => {
            let per = per.unwrap_or(1.0);
            Some(FunnelScale {
                x_desc: den_desc,
                x_of: |r| r.denominator,
                model: LimitModel::Poisson { rate: bench / per },
                to_value: Box::new(move |l| l * per),
                method: poisson(&format!(
                    "count ({}) at each denominator ({})",
                    num.replace('_', " "),
                    den.replace('_', " ")
                )),
            })
        }
        ValueKind::Ratio => Some(FunnelScale {
            x_desc: format!("Expected count ({})", den.replace('_', " ")),
            x_of: |r| r.expected.or(r.denominator),
            model: LimitModel::Poisson { rate: bench },
            to_value: Box::new(|l| l),
            method: poisson("observed count at each expected count"),
        }),
        ValueKind::ExcessPercent => Some(FunnelScale {
            x_desc: "Expected count".into(),
            x_of: |r| r.expected,
            model: LimitModel::Poisson {
                rate: 1.0 + bench / 100.0,
            },
            to_value: Box::new(|l| 100.0 * (l - 1.0)),
            method: "Control limits: exact Poisson limits for the actual count at each expected count, around the region's actual/expected ratio (a Poisson approximation of the binomial significance test; slightly wider).".into(),
        }),
        ValueKind::PercentChange => {
            // the region's after/before ratio R is a share R / (1 + R) of the total
            let r = 1.0 + bench / 100.0;
            Some(FunnelScale {
                x_desc: format!(
                    "Total count ({} + {})",
                    num.replace('_', " "),
                    den.replace('_', " ")
                ),
                x_of: |r| Some(r.numerator? + r.denominator?),
                model: LimitModel::Share {
                    share: r / (1.0 + r),
                },
                to_value: Box::new(|p| 100.0 * (p / (1.0 - p) - 1.0)),
                method: "Control limits: both counts are Poisson, so the limits are conditional binomial (Wilson score) limits for the later count's share of the total, around the region's share.".into(),
            })
        }
    }
}

/// The lower and upper limit lines at one level.
pub type LimitLines = [Vec<(f64, f64)>; 2];

/// The 95% and 99.8% limit lines from x = 0 to `x_max`, in value units,
/// sorted by x; points whose value is not finite are left out.
pub fn funnel_limits(scale: &FunnelScale, x_max: f64) -> (LimitLines, LimitLines) {
    let mut l95: LimitLines = [Vec::new(), Vec::new()];
    let mut l998: LimitLines = [Vec::new(), Vec::new()];
    match scale.model {
        LimitModel::Share { share } => {
            for k in 1..=240 {
                let n = x_max * k as f64 / 240.0;
                if let Some(l) = stats::proportion_funnel_limits(share, n) {
                    l95[0].push((n, (scale.to_value)(l.lower95)));
                    l95[1].push((n, (scale.to_value)(l.upper95)));
                    l998[0].push((n, (scale.to_value)(l.lower998)));
                    l998[1].push((n, (scale.to_value)(l.upper998)));
                }
            }
        }
        LimitModel::Poisson { rate } if rate > 0.0 && rate.is_finite() => {
            let max_events = (x_max * rate * 1.6 + 40.0).ceil() as u64;
            let mut counts: Vec<u64> = (0..240)
                .map(|k| (max_events as f64).powf(k as f64 / 239.0).round() as u64)
                .collect();
            counts.dedup();
            for o in counts {
                if let Some(f) = stats::rate_funnel_points(o, rate, PoissonFunnelMethod::Exact) {
                    let pt =
                        |p: stats::PoissonFunnelPoint| (p.denominator, (scale.to_value)(p.limit));
                    l95[0].push(pt(f.lower95));
                    l95[1].push(pt(f.upper95));
                    l998[0].push(pt(f.lower998));
                    l998[1].push(pt(f.upper998));
                }
            }
        }
        LimitModel::Poisson { .. } => {}
    }
    for v in l95.iter_mut().chain(l998.iter_mut()) {
        v.retain(|(x, y)| x.is_finite() && y.is_finite());
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        // end each line at x_max, on the chord to the first point beyond
        if let Some(i) = v.iter().position(|p| p.0 > x_max) {
            let end = interpolate(v, x_max).map(|y| (x_max, y));
            v.truncate(i);
            v.extend(end);
        }
    }
    (l95, l998)
}

/// The value on a limit line at `x`, by linear interpolation; `None`
/// outside the line.
pub fn interpolate(l: &[(f64, f64)], x: f64) -> Option<f64> {
    let i = l.iter().position(|p| p.0 >= x)?;
    if i == 0 {
        return (l[0].0 == x).then_some(l[0].1);
    }
    let (a, b) = (l[i - 1], l[i]);
    let t = if b.0 > a.0 {
        (x - a.0) / (b.0 - a.0)
    } else {
        0.0
    };
    Some(a.1 + t * (b.1 - a.1))
}

/// The runs of a polyline inside `lo..=hi` in y, cut where it crosses the
/// bounds (so a line leaving the plot ends on its frame).
fn clip(l: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let inside = |y: f64| y >= lo && y <= hi;
    let cross = |a: (f64, f64), b: (f64, f64)| {
        let bound = if a.1.max(b.1) > hi { hi } else { lo };
        let t = (bound - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), bound)
    };
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (i, &p) in l.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| l[j]);
        match (prev, inside(p.1)) {
            (Some(a), true) if !inside(a.1) => cur.push(cross(a, p)),
            (Some(a), false) if inside(a.1) => {
                cur.push(cross(a, p));
                runs.push(std::mem::take(&mut cur));
            }
            _ => {}
        }
        if inside(p.1) {
            cur.push(p);
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs.retain(|r| r.len() >= 2);
    runs
}

/// A point's comparison with the region, as drawn and named in the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PointKind {
    Better,
    Similar,
    Worse,
    NotCompared,
}

impl PointKind {
    fn of(c: Option<Comparison>) -> PointKind {
        match c {
            Some(c) if c.is_better() => PointKind::Better,
            Some(c) if c.is_worse() => PointKind::Worse,
            Some(_) => PointKind::Similar,
            None => PointKind::NotCompared,
        }
    }

    fn colour(self) -> RGBColor {
        match self {
            PointKind::Better => BLUE,
            PointKind::Worse => VERMILLION,
            PointKind::Similar | PointKind::NotCompared => GREY,
        }
    }

    fn label(self, region: &str) -> String {
        match self {
            PointKind::Better => format!("Significantly better than {region}"),
            PointKind::Similar => format!("Similar to {region}"),
            PointKind::Worse => format!("Significantly worse than {region}"),
            PointKind::NotCompared => "Local authority (no interval: not compared)".into(),
        }
    }

    /// Filled dots, except hollow for "not compared" so it differs from
    /// "similar" by shape, not only by label.
    fn style(self) -> ShapeStyle {
        match self {
            PointKind::NotCompared => self.colour().stroke_width(2),
            _ => self.colour().filled(),
        }
    }

    fn mark(self) -> Mark {
        match self {
            PointKind::NotCompared => Mark::Ring(self.colour()),
            _ => Mark::Dot(self.colour()),
        }
    }
}

struct Funnel {
    title: String,
    x_desc: String,
    y_desc: String,
    region: String,
    points: Vec<(f64, f64, PointKind)>,
    benchmark: (String, f64),
    limits95: LimitLines,
    limits998: LimitLines,
    x_max: f64,
    y_range: (f64, f64),
    decimals: u8,
    method: String,
}

/// Split `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Characters a line of the method note holds at `KEY_SIZE`, and its height.
const NOTE_WIDTH: usize = 100;
const NOTE_ROW: i32 = 19;

impl Funnel {
    fn kinds(&self) -> Vec<PointKind> {
        let mut kinds: Vec<PointKind> = self.points.iter().map(|p| p.2).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    fn key(&self) -> Vec<(Mark, String)> {
        let mut k = vec![
            (Mark::Line(BLUE, 2), self.benchmark.0.clone()),
            (Mark::Line(BLACK, 1), "99.8% control limits".into()),
            (Mark::Dashed(GREY, 2, 6, 4), "95% control limits".into()),
        ];
        k.extend(
            self.kinds()
                .into_iter()
                .map(|p| (p.mark(), p.label(&self.region))),
        );
        k
    }

    fn note_height(&self) -> u32 {
        8 + NOTE_ROW as u32 * wrap(&self.method, NOTE_WIDTH).len() as u32
    }
}

impl Draw for Funnel {
    fn size(&self) -> (u32, u32) {
        (
            CHART_WIDTH,
            470 + key_height(&self.key()) + self.note_height(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let key = self.key();
        let (_, h) = root.dim_in_pixel();
        let (plot, rest) = root.split_vertically(h - key_height(&key) - self.note_height());
        let (key_area, note_area) = rest.split_vertically(key_height(&key));
        draw_key(&key_area, &key)?;
        for (i, line) in wrap(&self.method, NOTE_WIDTH).iter().enumerate() {
            note_area
                .draw(&Text::new(
                    line.clone(),
                    (24, 2 + NOTE_ROW * i as i32),
                    font(KEY_SIZE),
                ))
                .map_err(err)?;
        }
        let (lo, hi) = self.y_range;
        let d = axis_decimals(lo, hi, self.decimals);
        let yfmt = |y: &f64| fmt(*y, d);
        let xd = axis_decimals(0.0, self.x_max, 0);
        let xfmt = |x: &f64| fmt(*x, xd);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(TITLE_SIZE))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(86)
            .build_cartesian_2d(0.0..self.x_max, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .label_style(font(LABEL_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .max_light_lines(2)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(err)?;
        for l in &self.limits998 {
            for run in clip(l, lo, hi) {
                chart
                    .draw_series(LineSeries::new(run, BLACK.stroke_width(1)))
                    .map_err(err)?;
            }
        }
        for l in &self.limits95 {
            for run in clip(l, lo, hi) {
                chart
                    .draw_series(DashedLineSeries::new(run, 6, 4, GREY.stroke_width(2)))
                    .map_err(err)?;
            }
        }
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, self.benchmark.1), (self.x_max, self.benchmark.1)],
                BLUE.stroke_width(2),
            ))
            .map_err(err)?;
        for k in self.kinds() {
            let style = k.style();
            chart
                .draw_series(
                    self.points
                        .iter()
                        .filter(|p| p.2 == k)
                        .map(|(x, y, _)| Circle::new((*x, *y), 5, style)),
                )
                .map_err(err)?;
        }
        Ok(())
    }
}

/// The y range: every point, the benchmark, and the 99.8% limits at the
/// middle (median x) of the points, so the funnel's shape shows without
/// its narrow end stretching the axis.
fn y_range(pts: &[(f64, f64)], bench: f64, l998: &LimitLines) -> (f64, f64) {
    let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    let mid = xs.get(xs.len() / 2).copied().unwrap_or(0.0);
    let (lo, hi) = pts
        .iter()
        .map(|p| p.1)
        .chain([bench])
        .chain(l998.iter().filter_map(|l| interpolate(l, mid)))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    padded(lo, hi)
}

/// A funnel's point: across, up, its comparison, and its row.
type FunnelPoint<'a> = (f64, f64, PointKind, &'a ResultRow);

/// The points of the page's LAs that are published and placed on the
/// scale's axes.
fn funnel_points<'a>(v: &IndicatorView<'a>, scale: &FunnelScale) -> Vec<FunnelPoint<'a>> {
    v.las
        .iter()
        .filter(|r| !r.suppressed)
        .filter_map(|r| Some(((scale.x_of)(r)?, r.value?, PointKind::of(r.vs_region), *r)))
        .filter(|(x, y, _, _)| x.is_finite() && *x > 0.0 && y.is_finite())
        .collect()
}

/// The names of the points outside the 99.8% limits `l998`.
fn outside_limits(pts: &[FunnelPoint<'_>], l998: &LimitLines) -> Vec<String> {
    pts.iter()
        .filter(|(x, y, _, _)| {
            let lim = |l: &Vec<(f64, f64)>| interpolate(l, *x);
            match (lim(&l998[0]), lim(&l998[1])) {
                (Some(a), Some(b)) => *y < a.min(b) || *y > a.max(b),
                (None, Some(b)) => *y > b,
                _ => false,
            }
        })
        .map(|p| p.3.area_name.clone())
        .collect()
}

/// The funnel plot of a page, or why there is none.
pub fn funnel_chart(
    v: &IndicatorView<'_>,
    focus: &Focus,
) -> Result<Result<Chart, String>, RenderError> {
    let ind = &v.ind.def;
    let (Some(bench), Some(p)) = (v.region.and_then(|r| r.value), v.period) else {
        return Ok(Err("no regional value for the period".into()));
    };
    let weighted = ind.interval.as_ref().is_some_and(|i| i.weight.is_some());
    let Some(scale) = funnel_scale(
        ind.value.kind,
        ind.value.per,
        weighted,
        bench,
        &ind.value.numerator,
        ind.value.denominator.as_deref().unwrap_or("denominator"),
    ) else {
        return Ok(Err(format!(
            "a funnel plot needs a denominator; {} is a count",
            ind.id
        )));
    };
    let pts = funnel_points(v, &scale);
    if pts.is_empty() {
        return Ok(Err("no local authority has a value to plot".into()));
    }
    let x_max = pts.iter().map(|p| p.0).fold(0.0, f64::max) * 1.1;
    let (l95, l998) = funnel_limits(&scale, x_max);
    let xy: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
    let y_range = y_range(&xy, bench, &l998);
    let left_out: Vec<&str> = v
        .las
        .iter()
        .filter(|r| r.suppressed || r.value.is_none())
        .map(|r| r.area_name.as_str())
        .collect();
    let outside = outside_limits(&pts, &l998);
    let title = format!("{} funnel plot, {} {p}", ind.id, focus.region_name);
    let desc = format!(
        "Funnel plot of {} in {p}: each of {} of {} as a dot, across at its {} and up at its value in {}, coloured by its comparison with the region, with 95% (dashed) and 99.8% (solid) control limits around the regional value {}. {} Outside the 99.8% limits: {}.{}",
        ind.id,
        super::charts::counted(pts.len(), "local authority", "local authorities"),
        focus.region_name,
        decapitalised(&scale.x_desc),
        ind.units,
        fmt(bench, v.decimals as usize),
        scale.method,
        if outside.is_empty() {
            "none".to_string()
        } else {
            outside.join(", ")
        },
        left_out_note(&left_out)
    );
    let f = Funnel {
        title: title.clone(),
        x_desc: scale.x_desc.clone(),
        y_desc: ind.units.clone(),
        region: focus.region_name.clone(),
        points: pts.iter().map(|(x, y, k, _)| (*x, *y, *k)).collect(),
        benchmark: (
            format!(
                "{} ({})",
                focus.region_name,
                fmt(bench, v.decimals as usize)
            ),
            bench,
        ),
        limits95: l95,
        limits998: l998,
        x_max,
        y_range,
        decimals: v.decimals,
        method: scale.method,
    };
    render(chart_stem(&ind.id, "funnel"), title, desc, &f).map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits_at(scale: &FunnelScale, n: f64) -> (f64, f64, f64, f64) {
        let (l95, l998) = funnel_limits(scale, n);
        let last = |l: &Vec<(f64, f64)>| l.last().map(|p| p.1).unwrap_or(f64::NAN);
        (last(&l95[0]), last(&l95[1]), last(&l998[0]), last(&l998[1]))
    }

    /// NI30 around a region with no change (R = 1, share 1/2) at a total of
    /// 100 convictions: the Wilson limits of a share are exactly
    /// 1/2 -/+ z sqrt(1/4 / 100) = 1/2 -/+ 0.05 z, so at 95% (z = 1.959964)
    /// the share runs 0.402002 to 0.597998 and the percent change
    /// 100 (p / (1 - p) - 1) from -32.7754% to +48.7551%; at 99.8%
    /// (z = 3.090232) from 0.345488 to 0.654512, -47.2143% to +89.4453%.
    /// Treating the 50 convictions before as a fixed expected count would
    /// give Poisson 95% limits of about 50 +/- 14, about -27% to +29%: too
    /// narrow, since the count before varies as much as the count after.
    #[test]
    fn percent_change_limits_are_conditional_binomial() {
        let s = funnel_scale(
            ValueKind::PercentChange,
            None,
            false,
            0.0,
            "after",
            "before",
        )
        .expect("scale");
        assert_eq!(s.model, LimitModel::Share { share: 0.5 });
        let (a, b, c, d) = limits_at(&s, 100.0);
        for (got, want) in [(a, -32.7754), (b, 48.7551), (c, -47.2143), (d, 89.4453)] {
            assert!((got - want).abs() < 1e-3, "{got} against {want}");
        }
    }

    /// A weighted percentage is placed at its effective sample size, not
    /// at the sum of its weights; either way its limits are those of a
    /// proportion: around 12% at n = 100, exactly
    /// 0.12 -/+ 1.959964 sqrt(0.12 x 0.88 / 100) = 0.12 -/+ 0.063691, so
    /// 5.6309% to 18.3691% at 95%.
    #[test]
    fn percentages_have_proportion_limits_at_the_sample_size() {
        for weighted in [true, false] {
            let s = funnel_scale(ValueKind::Percentage, None, weighted, 12.0, "any", "all")
                .expect("scale");
            assert_eq!(s.model, LimitModel::Share { share: 0.12 });
            let (a, b, _, _) = limits_at(&s, 100.0);
            assert!((a - 5.630871).abs() < 1e-5, "{a}");
            assert!((b - 18.369129).abs() < 1e-5, "{b}");
            assert_eq!(
                s.x_desc.starts_with("Effective sample size (Kish"),
                weighted,
                "{}",
                s.x_desc
            );
        }
    }

    /// NI38 (ratio 0.8 in the region): 10 observed offences lie on the upper
    /// 95% limit where P(X >= 10) = 0.025 for a Poisson mean of 4.795389
    /// events (chi2(0.025, 20) / 2), i.e. at an expected count of
    /// 4.795389 / 0.8 = 5.994236 and a ratio of 10 / 5.994236 = 1.668269
    /// (the mean found by bisection on the Poisson tail sum).
    #[test]
    fn ratio_limits_are_exact_poisson() {
        let s = funnel_scale(ValueKind::Ratio, None, false, 0.8, "offences", "predicted")
            .expect("scale");
        assert_eq!(s.model, LimitModel::Poisson { rate: 0.8 });
        let (l95, _) = funnel_limits(&s, 7.0);
        // every whole count up to 49 is sampled, so 10 is a vertex of the line
        let at = interpolate(&l95[1], 5.994236).expect("on the line");
        assert!((at - 1.668269).abs() < 1e-5, "{at}");
    }

    #[test]
    fn clip_ends_lines_on_the_frame() {
        let l = [(0.0, 10.0), (1.0, 4.0), (2.0, 2.0), (3.0, 1.0)];
        let runs = clip(&l, 0.0, 6.0);
        assert_eq!(runs.len(), 1);
        // crosses y = 6 a third of the way from x = 0 to x = 1
        let first = runs[0][0];
        assert!((first.0 - 2.0 / 3.0).abs() < 1e-12 && first.1 == 6.0);
        assert_eq!(runs[0].len(), 4);
    }
}
