//! The pack's charts, drawn once with plotters and written both as SVG
//! (inline in `index.html` and under `charts/`) and PNG. Text is set in
//! DejaVu Sans, bundled with the binary, so PNGs do not depend on system
//! fonts. Colours are from the Okabe-Ito palette, every colour has a text
//! label beside it, and each SVG carries a `<title>` and a `<desc>`.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::assess::ResultRow;
use crate::definition::ValueKind;
use crate::period::{Grain, Period};
use crate::render::RenderError;
use crate::stats::{self, PoissonFunnelMethod};

use super::model::{Focus, IndicatorView};

static FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Okabe-Ito blue: the focus area, and `better`.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe-Ito sky blue: interval bands.
pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Okabe-Ito vermillion: `worse`, target trajectories.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe-Ito bluish green: baselines.
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Dark grey (7:1 on white): `similar`, England and Wales.
pub const GREY: RGBColor = RGBColor(0x59, 0x59, 0x59);

/// A rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem under `charts/`, e.g. `NI38-trend`.
    pub stem: String,
    /// Title (also the SVG `<title>`).
    pub title: String,
    /// Description (the SVG `<desc>` and the HTML caption).
    pub desc: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG file.
    pub png: Vec<u8>,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // a failure leaves plotters without a font: text is then not drawn,
        // which the PNG tests would catch
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

type DrawResult = Result<(), String>;

trait Draw {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn render(stem: String, title: String, desc: String, d: &impl Draw) -> Result<Chart, RenderError> {
    register_font();
    let enc = |message: String| RenderError::Encode {
        format: "chart",
        message: format!("{stem}: {message}"),
    };
    let (w, h) = d.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| enc(err(e)))?;
        d.draw(&root).map_err(&enc)?;
        root.present().map_err(|e| enc(err(e)))?;
    }
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| enc(err(e)))?;
        d.draw(&root).map_err(&enc)?;
        root.present().map_err(|e| enc(err(e)))?;
    }
    let png = encode_png(&buf, w, h).map_err(enc)?;
    let svg = label_svg(&svg, &stem, &title, &desc);
    Ok(Chart {
        stem,
        title,
        desc,
        svg,
        png,
    })
}

/// Add `<title>`, `<desc>` and ARIA attributes to plotters' SVG.
fn label_svg(svg: &str, stem: &str, title: &str, desc: &str) -> String {
    let Some(start) = svg.find("<svg") else {
        return svg.to_string();
    };
    let Some(end) = svg[start..].find('>').map(|e| start + e) else {
        return svg.to_string();
    };
    format!(
        "{} role=\"img\" aria-labelledby=\"{stem}-title {stem}-desc\">\n<title id=\"{stem}-title\">{}</title>\n<desc id=\"{stem}-desc\">{}</desc>{}",
        &svg[start..end],
        xml_escape(title),
        xml_escape(desc),
        &svg[end + 1..]
    )
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, w, h);
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Eight);
        let mut wr = e.write_header().map_err(err)?;
        wr.write_image_data(rgb).map_err(err)?;
        wr.finish().map_err(err)?;
    }
    Ok(out)
}

fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// Colour and label of a comparison with the region.
pub fn comparison_colour(c: Option<&str>) -> RGBColor {
    match c {
        Some("better" | "best") => BLUE,
        Some("worse" | "worst") => VERMILLION,
        _ => GREY,
    }
}

fn fmt(v: f64, d: usize) -> String {
    format!("{v:.d$}")
}

/// Display decimals for an axis whose values span `lo..hi`.
fn axis_decimals(lo: f64, hi: f64, decimals: u8) -> usize {
    let span = (hi - lo).abs();
    let need = if span > 0.0 && span < 10.0 {
        (1.0 - span.log10().floor()).max(0.0) as usize
    } else {
        0
    };
    need.max(decimals as usize).min(6)
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = (hi - lo).abs().max(hi.abs().max(lo.abs()) * 0.05).max(1e-9);
    (lo - span * 0.08, hi + span * 0.08)
}

// ---------------------------------------------------------------- trend

/// One trend point: period ordinal, value, 95% interval.
type TrendPoint = (i32, f64, Option<(f64, f64)>);

struct Trend {
    title: String,
    y_desc: String,
    labels: Vec<String>,
    focus_label: String,
    focus: Vec<TrendPoint>,
    national: Vec<(i32, f64)>,
    baseline: Option<(String, f64)>,
    trajectory: Vec<(i32, f64)>,
    trajectory_label: String,
    decimals: u8,
}

fn step(g: Grain) -> i64 {
    match g {
        Grain::Quarter | Grain::RollingQuarter => 1,
        _ => 4,
    }
}

impl Draw for Trend {
    fn size(&self) -> (u32, u32) {
        (900, 460)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let ys = self
            .focus
            .iter()
            .flat_map(|(_, v, ci)| {
                let mut o = vec![*v];
                if let Some((a, b)) = ci {
                    o.extend([*a, *b]);
                }
                o
            })
            .chain(self.national.iter().map(|p| p.1))
            .chain(self.trajectory.iter().map(|p| p.1))
            .chain(self.baseline.iter().map(|b| b.1));
        let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        let (lo, hi) = padded(lo, hi);
        let n = self.labels.len() as i32;
        let d = axis_decimals(lo, hi, self.decimals);
        let labels = &self.labels;
        let xfmt = |x: &i32| labels.get(*x as usize).cloned().unwrap_or_default();
        let yfmt = |y: &f64| fmt(*y, d);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(18.0))
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(78)
            .build_cartesian_2d(-1..n, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .x_desc("Period")
            .y_desc(&self.y_desc)
            .label_style(font(13.0))
            .axis_desc_style(font(14.0))
            .max_light_lines(2)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(err)?;
        let band: Vec<(i32, f64)> = self
            .focus
            .iter()
            .filter_map(|(x, _, ci)| ci.map(|c| (*x, c.1)))
            .chain(
                self.focus
                    .iter()
                    .rev()
                    .filter_map(|(x, _, ci)| ci.map(|c| (*x, c.0))),
            )
            .collect();
        if band.len() >= 4 {
            chart
                .draw_series(std::iter::once(Polygon::new(band, SKY.mix(0.35).filled())))
                .map_err(err)?
                .label("95% confidence interval")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], SKY.mix(0.35).filled())
                });
        }
        if let Some((label, b)) = &self.baseline {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(-1, *b), (n, *b)],
                    6,
                    4,
                    GREEN.stroke_width(2),
                ))
                .map_err(err)?
                .label(label.clone())
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], GREEN.stroke_width(2))
                });
        }
        if self.trajectory.len() >= 2 {
            chart
                .draw_series(DashedLineSeries::new(
                    self.trajectory.clone(),
                    10,
                    5,
                    VERMILLION.stroke_width(2),
                ))
                .map_err(err)?
                .label(self.trajectory_label.clone())
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], VERMILLION.stroke_width(2))
                });
        }
        if !self.national.is_empty() {
            chart
                .draw_series(DashedLineSeries::new(
                    self.national.clone(),
                    3,
                    3,
                    GREY.stroke_width(2),
                ))
                .map_err(err)?
                .label("England and Wales")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(2)));
        }
        chart
            .draw_series(LineSeries::new(
                self.focus.iter().map(|(x, v, _)| (*x, *v)),
                BLUE.stroke_width(3),
            ))
            .map_err(err)?
            .label(self.focus_label.clone())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        chart
            .draw_series(
                self.focus
                    .iter()
                    .map(|(x, v, _)| Circle::new((*x, *v), 4, BLUE.filled())),
            )
            .map_err(err)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font(font(12.0))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// The periods from `first` to `last` of one grain, in order.
fn period_axis(first: Period, last: Period) -> Vec<Period> {
    let s = step(first.grain());
    let n = ((last.end_quarter_index() - first.end_quarter_index()) / s).max(0);
    (0..=n).map(|k| first.offset(k as i32)).collect()
}

fn ordinal(first: Period, p: Period) -> i32 {
    ((p.end_quarter_index() - first.end_quarter_index()) / step(first.grain())) as i32
}

/// The trend chart of a page.
pub fn trend_chart(v: &IndicatorView<'_>, focus: &Focus) -> Result<Option<Chart>, RenderError> {
    let pts: Vec<(Period, &ResultRow)> = v
        .series
        .iter()
        .filter_map(|r| Some((r.period_parsed?, *r)))
        .collect();
    let Some(first) = pts.first().map(|p| p.0) else {
        return Ok(None);
    };
    let mut last = pts.last().map(|p| p.0).unwrap_or(first);
    for (p, _) in &v.trajectory {
        if p.grain() == first.grain() && p.end() > last.end() {
            last = *p;
        }
    }
    let axis = period_axis(first, last);
    let labels: Vec<String> = axis.iter().map(|p| p.to_string()).collect();
    let focus_pts: Vec<TrendPoint> = pts
        .iter()
        .filter_map(|(p, r)| Some((ordinal(first, *p), r.value?, r.ci_lower.zip(r.ci_upper))))
        .collect();
    let national: Vec<(i32, f64)> = v
        .national_series
        .iter()
        .filter_map(|r| Some((ordinal(first, r.period_parsed?), r.value?)))
        .collect();
    let baseline = v.series.first().and_then(|r| {
        let b = r.baseline_period.as_deref()?;
        let bv = v
            .series
            .iter()
            .find(|s| s.period == b)
            .and_then(|s| s.value)?;
        Some((format!("Baseline {b}"), bv))
    });
    let trajectory: Vec<(i32, f64)> = v
        .trajectory
        .iter()
        .filter(|(p, _)| p.grain() == first.grain())
        .map(|(p, x)| (ordinal(first, *p), *x))
        .collect();
    let ind = &v.ind.def;
    let title = format!(
        "{} {}: {}, {} to {}",
        ind.id,
        ind.title,
        focus.name,
        first,
        labels.last().cloned().unwrap_or_default()
    );
    let desc = format!(
        "Line chart of {} for {} by period from {} to {} in {}, with its 95% confidence interval as a shaded band{}{}{}. Latest value {}.",
        ind.id,
        focus.name,
        first,
        pts.last().map(|p| p.0.to_string()).unwrap_or_default(),
        ind.units,
        if national.is_empty() {
            ""
        } else {
            ", England and Wales as a dotted line"
        },
        if baseline.is_some() {
            ", the baseline as a dashed green line"
        } else {
            ""
        },
        if trajectory.len() >= 2 {
            ", and the target trajectory as a dashed vermillion line"
        } else {
            ""
        },
        focus_pts
            .last()
            .map(|p| fmt(p.1, v.decimals as usize))
            .unwrap_or_default()
    );
    let t = Trend {
        title: title.clone(),
        y_desc: ind.units.clone(),
        labels,
        focus_label: focus.name.clone(),
        focus: focus_pts,
        national,
        baseline,
        trajectory,
        trajectory_label: v.trajectory_label.clone(),
        decimals: v.decimals,
    };
    render(chart_stem(&ind.id, "trend"), title, desc, &t).map(Some)
}

/// `ID-kind`, with characters outside `[A-Za-z0-9._-]` replaced.
pub fn chart_stem(id: &str, kind: &str) -> String {
    format!("{}-{kind}", super::safe_name(id))
}

// ----------------------------------------------------------- comparison

struct Comparison {
    title: String,
    x_desc: String,
    names: Vec<String>,
    bars: Vec<(f64, f64, f64, RGBColor)>,
    region: (String, f64),
    national: Option<f64>,
    decimals: u8,
}

impl Draw for Comparison {
    fn size(&self) -> (u32, u32) {
        (900, 120 + 26 * self.names.len().max(3) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (lo, hi) = self
            .bars
            .iter()
            .flat_map(|b| [b.0, b.2])
            .chain([self.region.1])
            .chain(self.national)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                (a.min(y), b.max(y))
            });
        let (lo, hi) = padded(lo, hi);
        let n = self.names.len() as i32;
        let d = axis_decimals(lo, hi, self.decimals);
        let names = &self.names;
        let yfmt = |y: &i32| {
            names
                .get((n - 1 - *y).max(0) as usize)
                .filter(|_| *y >= 0 && *y < n)
                .cloned()
                .unwrap_or_default()
        };
        let xfmt = |x: &f64| fmt(*x, d);
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(10) as u32;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(18.0))
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size((longest * 8 + 16).min(360))
            .build_cartesian_2d(lo..hi, -1..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels((n + 2) as usize)
            .y_label_formatter(&yfmt)
            .x_label_formatter(&xfmt)
            .x_desc(&self.x_desc)
            .label_style(font(13.0))
            .axis_desc_style(font(14.0))
            .max_light_lines(2)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                vec![(self.region.1, -1), (self.region.1, n)],
                BLACK.stroke_width(2),
            ))
            .map_err(err)?
            .label(self.region.0.clone())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
        if let Some(nv) = self.national {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(nv, -1), (nv, n)],
                    3,
                    3,
                    GREY.stroke_width(2),
                ))
                .map_err(err)?
                .label("England and Wales")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(2)));
        }
        for (i, (a, v, b, c)) in self.bars.iter().enumerate() {
            let y = n - 1 - i as i32;
            chart
                .draw_series(std::iter::once(ErrorBar::new_horizontal(
                    y,
                    *a,
                    *v,
                    *b,
                    c.stroke_width(2),
                    8,
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new((*v, y), 4, c.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font(font(12.0))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

fn comparison_word(c: Option<&str>) -> &'static str {
    match c {
        Some("best") => "better (99.8%)",
        Some("better") => "better",
        Some("worst") => "worse (99.8%)",
        Some("worse") => "worse",
        Some("similar") => "similar",
        _ => "not compared",
    }
}

/// The LA comparison chart of a page.
pub fn comparison_chart(
    v: &IndicatorView<'_>,
    focus: &Focus,
) -> Result<Option<Chart>, RenderError> {
    let (Some(region), Some(p)) = (v.region.and_then(|r| r.value), v.period) else {
        return Ok(None);
    };
    let shown: Vec<&ResultRow> = v
        .las
        .iter()
        .copied()
        .filter(|r| !r.suppressed && r.value.is_some())
        .collect();
    if shown.is_empty() {
        return Ok(None);
    }
    let left_out: Vec<&str> = v
        .las
        .iter()
        .filter(|r| r.suppressed || r.value.is_none())
        .map(|r| r.area_name.as_str())
        .collect();
    let names: Vec<String> = shown
        .iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.area_name,
                comparison_word(r.vs_region.as_deref())
            )
        })
        .collect();
    let bars = shown
        .iter()
        .filter_map(|r| {
            let v = r.value?;
            Some((
                r.ci_lower.unwrap_or(v),
                v,
                r.ci_upper.unwrap_or(v),
                comparison_colour(r.vs_region.as_deref()),
            ))
        })
        .collect();
    let ind = &v.ind.def;
    let title = format!("{} by local authority, {} {p}", ind.id, focus.region_name);
    let worse: Vec<&str> = shown
        .iter()
        .filter(|r| matches!(r.vs_region.as_deref(), Some("worse" | "worst")))
        .map(|r| r.area_name.as_str())
        .collect();
    let better: Vec<&str> = shown
        .iter()
        .filter(|r| matches!(r.vs_region.as_deref(), Some("better" | "best")))
        .map(|r| r.area_name.as_str())
        .collect();
    let desc = format!(
        "Dot-and-interval chart of {} in {p} for {} local authorities of {}, each with its 95% confidence interval, against the region's value {} (solid line){}. Significantly worse than the region: {}. Significantly better: {}.{}",
        ind.id,
        shown.len(),
        focus.region_name,
        fmt(region, v.decimals as usize),
        if v.national.and_then(|r| r.value).is_some() {
            " and England and Wales (dotted line)"
        } else {
            ""
        },
        if worse.is_empty() {
            "none".to_string()
        } else {
            worse.join(", ")
        },
        if better.is_empty() {
            "none".to_string()
        } else {
            better.join(", ")
        },
        if left_out.is_empty() {
            String::new()
        } else {
            format!(
                " Left out (suppressed or no value): {}.",
                left_out.join(", ")
            )
        }
    );
    let c = Comparison {
        title: title.clone(),
        x_desc: ind.units.clone(),
        names,
        bars,
        region: (focus.region_name.clone(), region),
        national: v.national.and_then(|r| r.value),
        decimals: v.decimals,
    };
    render(chart_stem(&ind.id, "la-comparison"), title, desc, &c).map(Some)
}

// ---------------------------------------------------------------- funnel

struct Funnel {
    title: String,
    x_desc: String,
    y_desc: String,
    points: Vec<(f64, f64, RGBColor)>,
    benchmark: (String, f64),
    limits95: [Vec<(f64, f64)>; 2],
    limits998: [Vec<(f64, f64)>; 2],
    x_max: f64,
    y_range: (f64, f64),
    decimals: u8,
}

impl Draw for Funnel {
    fn size(&self) -> (u32, u32) {
        (900, 500)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (lo, hi) = self.y_range;
        let d = axis_decimals(lo, hi, self.decimals);
        let yfmt = |y: &f64| fmt(*y, d);
        let xd = axis_decimals(0.0, self.x_max, 0);
        let xfmt = |x: &f64| fmt(*x, xd);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(18.0))
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..self.x_max, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .label_style(font(13.0))
            .axis_desc_style(font(14.0))
            .max_light_lines(2)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(err)?;
        let inside = |pts: &Vec<(f64, f64)>| -> Vec<(f64, f64)> {
            pts.iter()
                .copied()
                .filter(|(x, y)| *y >= lo && *y <= hi && *x <= self.x_max)
                .collect()
        };
        for (i, l) in self.limits998.iter().enumerate() {
            let s = chart
                .draw_series(LineSeries::new(inside(l), BLACK.stroke_width(1)))
                .map_err(err)?;
            if i == 0 {
                s.label("99.8% control limits").legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(1))
                });
            }
        }
        for (i, l) in self.limits95.iter().enumerate() {
            let s = chart
                .draw_series(DashedLineSeries::new(inside(l), 6, 4, GREY.stroke_width(2)))
                .map_err(err)?;
            if i == 0 {
                s.label("95% control limits").legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(2))
                });
            }
        }
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, self.benchmark.1), (self.x_max, self.benchmark.1)],
                BLUE.stroke_width(2),
            ))
            .map_err(err)?
            .label(self.benchmark.0.clone())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|(x, y, c)| Circle::new((*x, *y), 5, c.filled())),
            )
            .map_err(err)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font(font(12.0))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// How an indicator's LA values sit on a funnel: the x of a row, the
/// event rate the region's value implies, and the value at a rate.
struct FunnelScale {
    x_desc: String,
    x_of: fn(&ResultRow) -> Option<f64>,
    /// Poisson events per unit of x at the benchmark; `None`: proportion.
    rate: Option<f64>,
    to_value: Box<dyn Fn(f64) -> f64>,
}

fn funnel_scale(kind: ValueKind, per: Option<f64>, bench: f64, den: &str) -> Option<FunnelScale> {
    let den_desc = format!("Denominator ({})", den.replace('_', " "));
    match kind {
        ValueKind::Count => None,
        ValueKind::Percentage => Some(FunnelScale {
            x_desc: den_desc.clone(),
            x_of: |r| r.denominator,
            rate: None,
            to_value: Box::new(|p| 100.0 * p),
        }),
        ValueKind::Rate => {
            let per = per.unwrap_or(1.0);
            Some(FunnelScale {
                x_desc: den_desc.clone(),
                x_of: |r| r.denominator,
                rate: Some(bench / per),
                to_value: Box::new(move |l| l * per),
            })
        }
        ValueKind::Ratio => Some(FunnelScale {
            x_desc: "Expected count".into(),
            x_of: |r| r.denominator,
            rate: Some(bench),
            to_value: Box::new(|l| l),
        }),
        ValueKind::ExcessPercent => Some(FunnelScale {
            x_desc: "Expected count".into(),
            x_of: |r| r.expected,
            rate: Some(1.0 + bench / 100.0),
            to_value: Box::new(|l| 100.0 * (l - 1.0)),
        }),
        ValueKind::PercentChange => Some(FunnelScale {
            x_desc: "Count in the 12 months before".into(),
            x_of: |r| r.denominator,
            rate: Some(1.0 + bench / 100.0),
            to_value: Box::new(|l| 100.0 * (l - 1.0)),
        }),
    }
}

type Limits = ([Vec<(f64, f64)>; 2], [Vec<(f64, f64)>; 2]);

fn funnel_limits(scale: &FunnelScale, bench: f64, x_max: f64) -> Limits {
    let mut l95 = [Vec::new(), Vec::new()];
    let mut l998 = [Vec::new(), Vec::new()];
    match scale.rate {
        None => {
            let p = bench / 100.0;
            for k in 1..=200 {
                let n = x_max * k as f64 / 200.0;
                if let Some(l) = stats::proportion_funnel_limits(p, n) {
                    l95[0].push((n, (scale.to_value)(l.lower95)));
                    l95[1].push((n, (scale.to_value)(l.upper95)));
                    l998[0].push((n, (scale.to_value)(l.lower998)));
                    l998[1].push((n, (scale.to_value)(l.upper998)));
                }
            }
        }
        Some(rate) if rate > 0.0 => {
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
            for v in l95.iter_mut().chain(l998.iter_mut()) {
                v.retain(|(x, _)| *x <= x_max);
                v.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        Some(_) => {}
    }
    (l95, l998)
}

/// The funnel plot of a page, or `None` with the reason.
pub fn funnel_chart(
    v: &IndicatorView<'_>,
    focus: &Focus,
) -> Result<Result<Chart, String>, RenderError> {
    let ind = &v.ind.def;
    let (Some(bench), Some(p)) = (v.region.and_then(|r| r.value), v.period) else {
        return Ok(Err("no regional value for the period".into()));
    };
    let Some(scale) = funnel_scale(
        ind.value.kind,
        ind.value.per,
        bench,
        ind.value.denominator.as_deref().unwrap_or("denominator"),
    ) else {
        return Ok(Err(format!(
            "a funnel plot needs a denominator; {} is a count",
            ind.id
        )));
    };
    let pts: Vec<(f64, f64, RGBColor, &ResultRow)> = v
        .las
        .iter()
        .filter(|r| !r.suppressed)
        .filter_map(|r| {
            Some((
                (scale.x_of)(r)?,
                r.value?,
                comparison_colour(r.vs_region.as_deref()),
                *r,
            ))
        })
        .filter(|(x, y, _, _)| x.is_finite() && *x > 0.0 && y.is_finite())
        .collect();
    if pts.is_empty() {
        return Ok(Err("no local authority has a value to plot".into()));
    }
    let x_max = pts.iter().map(|p| p.0).fold(0.0, f64::max) * 1.1;
    let (l95, l998) = funnel_limits(&scale, bench, x_max);
    let x_min = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let near = |l: &Vec<(f64, f64)>| -> Vec<f64> {
        l.iter()
            .filter(|(x, _)| *x >= x_min * 0.9)
            .map(|p| p.1)
            .collect()
    };
    let (lo, hi) = pts
        .iter()
        .map(|p| p.1)
        .chain([bench])
        .chain(near(&l998[0]))
        .chain(near(&l998[1]))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    let y_range = padded(lo, hi);
    let left_out: Vec<&str> = v
        .las
        .iter()
        .filter(|r| r.suppressed || r.value.is_none())
        .map(|r| r.area_name.as_str())
        .collect();
    let outside: Vec<String> = pts
        .iter()
        .filter(|(x, y, _, _)| {
            let lim = |l: &Vec<(f64, f64)>| interpolate(l, *x);
            match (lim(&l998[0]), lim(&l998[1])) {
                (Some(a), Some(b)) => *y < a.min(b) || *y > a.max(b),
                _ => false,
            }
        })
        .map(|p| p.3.area_name.clone())
        .collect();
    let title = format!("{} funnel plot, {} {p}", ind.id, focus.region_name);
    let desc = format!(
        "Funnel plot of {} in {p}: each of {} local authorities of {} as a dot at its {} (x) and value in {} (y), coloured by its comparison with the region, with 95% (dashed) and 99.8% (solid) control limits around the regional value {}. Outside the 99.8% limits: {}.{}",
        ind.id,
        pts.len(),
        focus.region_name,
        scale.x_desc.to_lowercase(),
        ind.units,
        fmt(bench, v.decimals as usize),
        if outside.is_empty() {
            "none".to_string()
        } else {
            outside.join(", ")
        },
        if left_out.is_empty() {
            String::new()
        } else {
            format!(
                " Left out (suppressed or no value): {}.",
                left_out.join(", ")
            )
        }
    );
    let f = Funnel {
        title: title.clone(),
        x_desc: scale.x_desc.clone(),
        y_desc: ind.units.clone(),
        points: pts.iter().map(|(x, y, c, _)| (*x, *y, *c)).collect(),
        benchmark: (
            format!("{} {}", focus.region_name, fmt(bench, v.decimals as usize)),
            bench,
        ),
        limits95: l95,
        limits998: l998,
        x_max,
        y_range,
        decimals: v.decimals,
    };
    render(chart_stem(&ind.id, "funnel"), title, desc, &f).map(Ok)
}

fn interpolate(l: &[(f64, f64)], x: f64) -> Option<f64> {
    let i = l.iter().position(|p| p.0 >= x)?;
    if i == 0 {
        return None;
    }
    let (a, b) = (l[i - 1], l[i]);
    let t = if b.0 > a.0 {
        (x - a.0) / (b.0 - a.0)
    } else {
        0.0
    };
    Some(a.1 + t * (b.1 - a.1))
}
