//! The pack's charts, drawn once with plotters and written both as SVG
//! (inline in `index.html` and under `charts/`) and PNG. Text is set in
//! DejaVu Sans, bundled with the binary, so PNGs do not depend on system
//! fonts. Colours are from the Okabe-Ito palette, every colour has a text
//! label beside it, and each SVG carries a `<title>` and a `<desc>`.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::assess::ResultRow;
use crate::period::{Grain, Period};
use crate::render::RenderError;
use crate::stats;

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
/// Mid grey (3.4:1 on white): the other members of a most similar group,
/// set apart from the area's own `similar` dark grey.
pub const MID_GREY: RGBColor = RGBColor(0x8C, 0x8C, 0x8C);

/// A rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem under `charts/`, e.g. `NI38-trend`.
    pub stem: String,
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

pub(super) type DrawResult = Result<(), String>;

/// A chart that draws itself on any plotters backend.
pub(super) trait Draw {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

pub(super) fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn render(
    stem: String,
    title: String,
    desc: String,
    d: &impl Draw,
) -> Result<Chart, RenderError> {
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
        // zlib's fastest level: charts are flat colour, so the files stay
        // as small, at a fraction of the default level's time (the largest
        // part of a pack's rendering)
        e.set_deflate_compression(png::DeflateCompression::Level(1));
        let mut wr = e.write_header().map_err(err)?;
        wr.write_image_data(rgb).map_err(err)?;
        wr.finish().map_err(err)?;
    }
    Ok(out)
}

pub(super) fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// Colour and label of a comparison with the region.
pub fn comparison_colour(c: Option<stats::Comparison>) -> RGBColor {
    match c {
        Some(c) if c.is_better() => BLUE,
        Some(c) if c.is_worse() => VERMILLION,
        _ => GREY,
    }
}

pub(super) fn fmt(v: f64, d: usize) -> String {
    format!("{v:.d$}")
}

/// Display decimals for an axis whose values span `lo..hi`.
pub(super) fn axis_decimals(lo: f64, hi: f64, decimals: u8) -> usize {
    let span = (hi - lo).abs();
    let need = if span > 0.0 && span < 10.0 {
        (1.0 - span.log10().floor()).max(0.0) as usize
    } else {
        0
    };
    need.max(decimals as usize).min(6)
}

pub(super) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = (hi - lo).abs().max(hi.abs().max(lo.abs()) * 0.05).max(1e-9);
    (lo - span * 0.08, hi + span * 0.08)
}

/// A mark in a chart's key, drawn as its series is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mark {
    /// A solid line of a width.
    Line(RGBColor, u32),
    /// A dashed line: width, dash and gap in pixels.
    Dashed(RGBColor, u32, i32, i32),
    /// A filled dot.
    Dot(RGBColor),
    /// A hollow dot.
    Ring(RGBColor),
    /// A translucent band of an opacity.
    Band(RGBColor, f64),
    /// A cross (a most similar group's pooled value).
    Cross(RGBColor),
}

/// Width in pixels of every chart: printed across A4 (186 mm of text
/// width) at about 0.9 of its size, so 16-pixel labels print at about 8 pt.
pub const CHART_WIDTH: u32 = 800;

/// Text sizes: chart titles, tick labels and axis names, keys and notes.
pub(super) const TITLE_SIZE: f64 = 20.0;
pub(super) const LABEL_SIZE: f64 = 16.0;
pub(super) const KEY_SIZE: f64 = 15.0;

const KEY_ROW: i32 = 24;

/// Columns of a key: two when every label fits half the width, else one.
fn key_columns(entries: &[(Mark, String)]) -> usize {
    let longest = entries
        .iter()
        .map(|e| e.1.chars().count())
        .max()
        .unwrap_or(0);
    // about 7.2 pixels a character at KEY_SIZE, after a 40-pixel mark
    if (longest as f64) * 7.2 + 40.0 < (CHART_WIDTH as f64 - 48.0) / 2.0 - 12.0 {
        2
    } else {
        1
    }
}

/// Height in pixels of the key `entries` drawn under a chart.
pub(super) fn key_height(entries: &[(Mark, String)]) -> u32 {
    if entries.is_empty() {
        0
    } else {
        entries.len().div_ceil(key_columns(entries)) as u32 * KEY_ROW as u32 + 10
    }
}

/// Draw a chart's key in `area` (under its plot, so it never hides data):
/// one or two columns, each mark beside its label.
pub(super) fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Mark, String)],
) -> DrawResult {
    let (w, _) = area.dim_in_pixel();
    let columns = key_columns(entries);
    let col = (w as i32 - 48) / columns as i32;
    let text = font(KEY_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (mark, label)) in entries.iter().enumerate() {
        let x = 24 + (i % columns) as i32 * col;
        let y = 2 + (i / columns) as i32 * KEY_ROW + KEY_ROW / 2;
        let (a, b) = ((x, y), (x + 26, y));
        match *mark {
            Mark::Line(c, w) => area.draw(&PathElement::new(vec![a, b], c.stroke_width(w))),
            Mark::Dashed(c, w, d, g) => {
                area.draw(&DashedPathElement::new(vec![a, b], d, g, c.stroke_width(w)))
            }
            Mark::Dot(c) => area.draw(&Circle::new((x + 13, y), 5, c.filled())),
            Mark::Ring(c) => area.draw(&Circle::new((x + 13, y), 5, c.stroke_width(2))),
            Mark::Band(c, alpha) => area.draw(&Rectangle::new(
                [(x, y - 7), (x + 26, y + 7)],
                c.mix(alpha).filled(),
            )),
            Mark::Cross(c) => area.draw(&Cross::new((x + 13, y), 6, c.stroke_width(2))),
        }
        .map_err(err)?;
        area.draw(&Text::new(label.clone(), (x + 34, y), text.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// Split `root` into the plot and, under it, the area of the key `entries`.
pub(super) fn with_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(Mark, String)],
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (_, h) = root.dim_in_pixel();
    root.split_vertically(h.saturating_sub(key_height(entries)))
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

impl Trend {
    fn has_band(&self) -> bool {
        self.focus.iter().filter(|p| p.2.is_some()).count() >= 2
    }

    fn key(&self) -> Vec<(Mark, String)> {
        let mut k = vec![(Mark::Line(BLUE, 3), self.focus_label.clone())];
        if self.has_band() {
            k.push((Mark::Band(SKY, 0.35), "95% confidence interval".into()));
        }
        if !self.national.is_empty() {
            k.push((Mark::Dashed(GREY, 2, 3, 3), "England and Wales".into()));
        }
        if let Some((label, _)) = &self.baseline {
            k.push((Mark::Dashed(GREEN, 2, 6, 4), label.clone()));
        }
        if self.trajectory.len() >= 2 {
            k.push((
                Mark::Dashed(VERMILLION, 2, 10, 5),
                self.trajectory_label.clone(),
            ));
        }
        k
    }
}

impl Draw for Trend {
    fn size(&self) -> (u32, u32) {
        (CHART_WIDTH, 460 + key_height(&self.key()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let key = self.key();
        let (root, foot) = with_key(root, &key);
        draw_key(&foot, &key)?;
        let root = &root;
        let (lo, hi) = self.y_range();
        let n = self.labels.len() as i32;
        let d = axis_decimals(lo, hi, self.decimals);
        let labels = &self.labels;
        let xfmt = |x: &i32| labels.get(*x as usize).cloned().unwrap_or_default();
        let yfmt = |y: &f64| fmt(*y, d);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(TITLE_SIZE))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(86)
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
            .label_style(font(LABEL_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .max_light_lines(2)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(err)?;
        let band = self.band();
        if band.len() >= 4 {
            chart
                .draw_series(std::iter::once(Polygon::new(band, SKY.mix(0.35).filled())))
                .map_err(err)?;
        }
        self.draw_references(&mut chart, n)?;
        chart
            .draw_series(LineSeries::new(
                self.focus.iter().map(|(x, v, _)| (*x, *v)),
                BLUE.stroke_width(3),
            ))
            .map_err(err)?;
        chart
            .draw_series(
                self.focus
                    .iter()
                    .map(|(x, v, _)| Circle::new((*x, *v), 4, BLUE.filled())),
            )
            .map_err(err)?;
        Ok(())
    }
}

impl Trend {
    /// The value axis's range: every value, interval end, national value,
    /// trajectory point and the baseline, padded.
    fn y_range(&self) -> (f64, f64) {
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
        padded(lo, hi)
    }

    /// The outline of the interval band: upper ends left to right, then
    /// lower ends back.
    fn band(&self) -> Vec<(i32, f64)> {
        self.focus
            .iter()
            .filter_map(|(x, _, ci)| ci.map(|c| (*x, c.1)))
            .chain(
                self.focus
                    .iter()
                    .rev()
                    .filter_map(|(x, _, ci)| ci.map(|c| (*x, c.0))),
            )
            .collect()
    }

    /// The reference lines under the focus line: the baseline, the target
    /// trajectory and England and Wales, each when there is one.
    fn draw_references<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordi32, RangedCoordf64>>,
        n: i32,
    ) -> DrawResult {
        if let Some((_, b)) = &self.baseline {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(-1, *b), (n, *b)],
                    6,
                    4,
                    GREEN.stroke_width(2),
                ))
                .map_err(err)?;
        }
        if self.trajectory.len() >= 2 {
            chart
                .draw_series(DashedLineSeries::new(
                    self.trajectory.clone(),
                    10,
                    5,
                    VERMILLION.stroke_width(2),
                ))
                .map_err(err)?;
        }
        if !self.national.is_empty() {
            chart
                .draw_series(DashedLineSeries::new(
                    self.national.clone(),
                    3,
                    3,
                    GREY.stroke_width(2),
                ))
                .map_err(err)?;
        }
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
    let pts: Vec<(Period, &ResultRow)> = v.series.iter().map(|r| (r.period, *r)).collect();
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
    // a count of England and Wales is a total, not comparable with an area's
    let comparable = v.ind.def.value.kind != crate::definition::ValueKind::Count;
    let national: Vec<(i32, f64)> = v
        .national_series
        .iter()
        .filter(|_| comparable)
        .filter_map(|r| Some((ordinal(first, r.period), r.value?)))
        .collect();
    let baseline = v.series.first().and_then(|r| {
        let b = r.baseline_period?;
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
    // the page heading names the indicator; the chart's caption stays short
    let caption = format!(
        "{}: {}, {} to {}",
        ind.id,
        focus.name,
        first,
        axis.last().copied().unwrap_or(first)
    );
    let t = Trend {
        title: caption,
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
    let desc = trend_desc(ind, focus, first, pts.last().map(|p| p.0), &t);
    render(chart_stem(&ind.id, "trend"), title, desc, &t).map(Some)
}

/// The description of a trend chart from `first` to `last` (the latest
/// period with a row): what it draws, and the latest value.
fn trend_desc(
    ind: &crate::definition::IndicatorDef,
    focus: &Focus,
    first: Period,
    last: Option<Period>,
    t: &Trend,
) -> String {
    format!(
        "Line chart of {} for {} by period from {} to {} in {}, with its 95% confidence interval as a shaded band{}{}{}. Latest value {}.",
        ind.id,
        focus.name,
        first,
        last.map(|p| p.to_string()).unwrap_or_default(),
        ind.units,
        if t.national.is_empty() {
            ""
        } else {
            ", England and Wales as a dotted line"
        },
        if t.baseline.is_some() {
            ", the baseline as a dashed green line"
        } else {
            ""
        },
        if t.trajectory.len() >= 2 {
            ", and the target trajectory as a dashed vermillion line"
        } else {
            ""
        },
        t.focus
            .last()
            .map(|p| fmt(p.1, t.decimals as usize))
            .unwrap_or_default()
    )
}

/// `ID-kind`, with characters outside `[A-Za-z0-9._-]` replaced.
pub fn chart_stem(id: &str, kind: &str) -> String {
    format!("{}-{kind}", super::safe_name(id))
}

// ----------------------------------------------------------- comparison

/// A comparison chart's bar: interval lower end, value, upper end, colour.
type Bar = (f64, f64, f64, RGBColor);

struct Comparison {
    title: String,
    x_desc: String,
    names: Vec<String>,
    bars: Vec<Bar>,
    /// The region's and England and Wales's values, drawn as reference
    /// lines; `None` for counts, which an LA's count cannot be set against.
    region: Option<(String, f64)>,
    national: Option<f64>,
    /// The colour key: the comparison words present, with their colours.
    key: Vec<(String, RGBColor)>,
    /// A cross on each bar's row (a most similar group's pooled value),
    /// with its key label.
    markers: Vec<Option<f64>>,
    marker_label: Option<String>,
    decimals: u8,
}

impl Comparison {
    fn legend(&self) -> Vec<(Mark, String)> {
        let mut k = Vec::new();
        if let Some((name, _)) = &self.region {
            k.push((Mark::Line(BLACK, 2), name.clone()));
        }
        if let Some(label) = self
            .marker_label
            .as_ref()
            .filter(|_| self.markers.iter().any(Option::is_some))
        {
            k.push((Mark::Cross(BLACK), label.clone()));
        }
        if self.national.is_some() {
            k.push((Mark::Dashed(GREY, 2, 3, 3), "England and Wales".into()));
        }
        k.extend(self.key.iter().map(|(w, c)| (Mark::Dot(*c), w.clone())));
        k
    }
}

impl Draw for Comparison {
    fn size(&self) -> (u32, u32) {
        (
            CHART_WIDTH,
            130 + 28 * self.names.len().max(3) as u32 + key_height(&self.legend()),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let legend = self.legend();
        let (root, foot) = with_key(root, &legend);
        draw_key(&foot, &legend)?;
        let root = &root;
        let (lo, hi) = self.x_range();
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
            .caption(&self.title, font(TITLE_SIZE))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size((longest * 8 + 24).min(400))
            .build_cartesian_2d(lo..hi, -1..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels((n + 2) as usize)
            .y_label_formatter(&yfmt)
            .x_label_formatter(&xfmt)
            .x_desc(&self.x_desc)
            .label_style(font(LABEL_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .max_light_lines(2)
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()
            .map_err(err)?;
        if let Some((_, rv)) = &self.region {
            chart
                .draw_series(LineSeries::new(
                    vec![(*rv, -1), (*rv, n)],
                    BLACK.stroke_width(2),
                ))
                .map_err(err)?;
        }
        if let Some(nv) = self.national {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(nv, -1), (nv, n)],
                    3,
                    3,
                    GREY.stroke_width(2),
                ))
                .map_err(err)?;
        }
        self.draw_bars(&mut chart, n)
    }
}

impl Comparison {
    /// The value axis's range: every interval end, marker and reference
    /// value, padded.
    fn x_range(&self) -> (f64, f64) {
        let (lo, hi) = self
            .bars
            .iter()
            .flat_map(|b| [b.0, b.2])
            .chain(self.markers.iter().flatten().copied())
            .chain(self.region.iter().map(|r| r.1))
            .chain(self.national)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                (a.min(y), b.max(y))
            });
        padded(lo, hi)
    }

    /// Each bar, top down: its interval, its dot and its marker's cross.
    fn draw_bars<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordi32>>,
        n: i32,
    ) -> DrawResult {
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
            if let Some(m) = self.markers.get(i).copied().flatten() {
                chart
                    .draw_series(std::iter::once(Cross::new(
                        (m, y),
                        6,
                        BLACK.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

fn comparison_word(c: Option<stats::Comparison>) -> Option<&'static str> {
    use stats::Comparison as C;
    match c? {
        C::Best => Some("better, 99.8%"),
        C::Better => Some("better"),
        C::Worst => Some("worse, 99.8%"),
        C::Worse => Some("worse"),
        C::Similar => Some("similar"),
    }
}

/// The colour key of the comparisons with `region` present among `rows`,
/// in a fixed order.
fn comparison_key(rows: &[&ResultRow], region: &str) -> Vec<(String, RGBColor)> {
    comparison_key_by(rows, region, |r| r.vs_region)
}

/// The colour key of the comparisons `pick` reads from `rows`, against
/// `against`, in a fixed order.
fn comparison_key_by(
    rows: &[&ResultRow],
    against: &str,
    pick: fn(&ResultRow) -> Option<stats::Comparison>,
) -> Vec<(String, RGBColor)> {
    let region = against;
    let has = |test: fn(stats::Comparison) -> bool| rows.iter().any(|r| pick(r).is_some_and(test));
    let mut key = Vec::new();
    if has(stats::Comparison::is_better) {
        key.push((format!("Significantly better than {region}"), BLUE));
    }
    if has(|c| c == stats::Comparison::Similar) {
        key.push((format!("Similar to {region}"), GREY));
    }
    if has(stats::Comparison::is_worse) {
        key.push((format!("Significantly worse than {region}"), VERMILLION));
    }
    key
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
        .map(|r| match comparison_word(r.vs_region) {
            Some(w) => format!("{} ({w})", r.area_name),
            None => r.area_name.clone(),
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
                comparison_colour(r.vs_region),
            ))
        })
        .collect();
    let ind = &v.ind.def;
    // an LA's count is part of the region's total, not comparable with it
    let is_count = ind.value.kind == crate::definition::ValueKind::Count;
    let has_ci = shown.iter().any(|r| r.ci_lower.is_some());
    let national = v.national.and_then(|r| r.value).filter(|_| !is_count);
    let title = format!("{} by local authority, {} {p}", ind.id, focus.region_name);
    let desc = comparison_desc(v, focus, p, region, &shown, &left_out);
    let c = Comparison {
        title: title.clone(),
        x_desc: ind.units.clone(),
        names,
        bars,
        region: (!is_count).then(|| (focus.region_name.clone(), region)),
        national,
        markers: Vec::new(),
        marker_label: None,
        key: comparison_legend(&shown, &focus.region_name, has_ci),
        decimals: v.decimals,
    };
    render(chart_stem(&ind.id, "la-comparison"), title, desc, &c).map(Some)
}

/// The colour key of the LA comparison chart; one grey entry when no LA
/// is compared with the region.
fn comparison_legend(
    shown: &[&ResultRow],
    region_name: &str,
    has_ci: bool,
) -> Vec<(String, RGBColor)> {
    let mut k = comparison_key(shown, region_name);
    if k.is_empty() {
        let what = if has_ci {
            "Local authority, with its 95% confidence interval (not compared)"
        } else {
            "Local authority (no confidence interval: not compared)"
        };
        k.push((what.to_string(), GREY));
    }
    k
}

/// The description of the LA comparison chart of `p`: the LAs `shown`
/// against the region's value `region` (and England and Wales), which are
/// significantly worse and better, and the LAs `left_out`.
fn comparison_desc(
    v: &IndicatorView<'_>,
    focus: &Focus,
    p: Period,
    region: f64,
    shown: &[&ResultRow],
    left_out: &[&str],
) -> String {
    let ind = &v.ind.def;
    let is_count = ind.value.kind == crate::definition::ValueKind::Count;
    let has_ci = shown.iter().any(|r| r.ci_lower.is_some());
    let national = v.national.and_then(|r| r.value).filter(|_| !is_count);
    let worse: Vec<&str> = shown
        .iter()
        .filter(|r| r.vs_region.is_some_and(stats::Comparison::is_worse))
        .map(|r| r.area_name.as_str())
        .collect();
    let better: Vec<&str> = shown
        .iter()
        .filter(|r| r.vs_region.is_some_and(stats::Comparison::is_better))
        .map(|r| r.area_name.as_str())
        .collect();
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let reference = if is_count {
        format!(
            "; counts are not compared with {}'s total of {}",
            focus.region_name,
            fmt(region, v.decimals as usize)
        )
    } else {
        format!(
            ", against the region's value {} (solid line){}",
            fmt(region, v.decimals as usize),
            if national.is_some() {
                " and England and Wales (dotted line)"
            } else {
                ""
            }
        )
    };
    let compared = if shown.iter().any(|r| r.vs_region.is_some()) {
        format!(
            " Significantly worse than the region: {}. Significantly better: {}.",
            list(&worse),
            list(&better)
        )
    } else if !is_count {
        " Not compared with the region: the indicator has no confidence interval.".to_string()
    } else {
        String::new()
    };
    format!(
        "Dot-and-interval chart of {} in {p} for {} of {}{}{reference}.{compared}{}",
        ind.id,
        counted(shown.len(), "local authority", "local authorities"),
        focus.region_name,
        if has_ci {
            ", each with its 95% confidence interval"
        } else {
            ""
        },
        left_out_note(left_out)
    )
}

/// The "compared with most similar areas" chart of a page. For a region's
/// pack, each LA's value and 95% interval, coloured by `vs_peers`, with a
/// cross at its own group's pooled value; for an LA's report, the area and
/// each of its peers, best first, against the area's group's pooled value.
/// `Err` gives why there is none (no groups declared, nothing compared).
pub fn peers_chart(
    v: &IndicatorView<'_>,
    focus: &Focus,
) -> Result<Result<Chart, String>, RenderError> {
    let ind = &v.ind.def;
    let Some(p) = v.period else {
        return Ok(Err("no period to compare".into()));
    };
    if ind.value.kind == crate::definition::ValueKind::Count {
        return Ok(Err(
            "counts are not compared with most similar areas (an area's count depends on its size)"
                .into(),
        ));
    }
    let la_focus = focus.level == crate::geography::AreaLevel::La;
    let (rows, pooled) = peer_rows(v, la_focus);
    if rows.is_empty() || (la_focus && pooled.is_none()) {
        return Ok(Err(
            if v.peer_rows.is_empty() && v.las.iter().all(|r| r.peer_value.is_none()) {
                "no most similar groups (declare them in reports/peer-groups.yaml)".into()
            } else {
                "no published values to compare".into()
            },
        ));
    }
    let (names, bars) = peer_bars(&rows, focus, la_focus);
    let t = if la_focus {
        area_peers_text(v, focus, p, &rows, pooled)
    } else {
        region_peers_text(v, focus, p, &rows)
    };
    let c = Comparison {
        title: t.title.clone(),
        x_desc: ind.units.clone(),
        names,
        bars,
        region: t.region,
        national: None,
        key: t.key,
        markers: t.markers,
        marker_label: t.marker_label,
        decimals: v.decimals,
    };
    render(chart_stem(&ind.id, "peers"), t.title, t.desc, &c).map(Ok)
}

/// The rows of a peers chart with a published value, and the pooled value
/// they are set against: for an LA's report, the area and its peers, best
/// first, against its group's pooled value; for a region's pack, each LA
/// with a group, each against its own (`None`).
fn peer_rows<'a>(v: &IndicatorView<'a>, la_focus: bool) -> (Vec<&'a ResultRow>, Option<f64>) {
    let published = |r: &&&ResultRow| !r.suppressed && r.value.is_some();
    if la_focus {
        let mut rows: Vec<&ResultRow> = v.peer_rows.iter().filter(published).copied().collect();
        let pol = crate::assess::polarity(v.ind);
        rows.sort_by(|a, b| {
            let (x, y) = (a.value.unwrap_or(0.0), b.value.unwrap_or(0.0));
            let order = if pol.increase_is_better() {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            order.then_with(|| a.area_code.cmp(&b.area_code))
        });
        (rows, v.focus.and_then(|f| f.peer_value))
    } else {
        let rows: Vec<&ResultRow> = v
            .las
            .iter()
            .filter(published)
            .filter(|r| r.peer_value.is_some())
            .copied()
            .collect();
        (rows, None)
    }
}

/// The row names and bars of a peers chart: each area named with its
/// comparison with its group (for an LA's report, only the area itself,
/// the other members in mid grey).
fn peer_bars(rows: &[&ResultRow], focus: &Focus, la_focus: bool) -> (Vec<String>, Vec<Bar>) {
    let word = |r: &ResultRow| comparison_word(r.vs_peers);
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            if la_focus {
                if r.area_code == focus.code {
                    match word(r) {
                        Some(w) => format!("{} (this area: {w})", r.area_name),
                        None => format!("{} (this area)", r.area_name),
                    }
                } else {
                    r.area_name.clone()
                }
            } else {
                match word(r) {
                    Some(w) => format!("{} ({w})", r.area_name),
                    None => r.area_name.clone(),
                }
            }
        })
        .collect();
    let colour = |r: &ResultRow| {
        if la_focus && r.area_code != focus.code {
            MID_GREY
        } else {
            comparison_colour(r.vs_peers)
        }
    };
    let bars = rows
        .iter()
        .filter_map(|r| {
            let x = r.value?;
            Some((
                r.ci_lower.unwrap_or(x),
                x,
                r.ci_upper.unwrap_or(x),
                colour(r),
            ))
        })
        .collect();
    (names, bars)
}

/// A peers chart's words and reference marks.
struct PeersText {
    title: String,
    desc: String,
    /// The solid reference line: the area's group's pooled value.
    region: Option<(String, f64)>,
    /// A cross per row: its own group's pooled value.
    markers: Vec<Option<f64>>,
    marker_label: Option<String>,
    key: Vec<(String, RGBColor)>,
}

/// The words of an LA report's peers chart: the area and its peers against
/// the group's `pooled` value, with the area's rank and verdict.
fn area_peers_text(
    v: &IndicatorView<'_>,
    focus: &Focus,
    p: Period,
    rows: &[&ResultRow],
    pooled: Option<f64>,
) -> PeersText {
    let ind = &v.ind.def;
    let d = v.decimals as usize;
    let own = v.focus;
    let rank = own
        .and_then(|r| r.peer_rank)
        .map(|(k, of)| format!(" It ranks {k} of {of}."))
        .unwrap_or_default();
    let verdict = own
        .and_then(|r| r.vs_peers)
        .map(|c| format!(" Compared with the group: {}.", c.as_str()))
        .unwrap_or_default();
    let label = format!("Pooled value of {}'s most similar group", focus.name);
    PeersText {
        title: format!(
            "{} compared with most similar areas, {} {p}",
            ind.id, focus.name
        ),
        desc: format!(
            "Dot-and-interval chart of {} in {p} for {} and its most similar areas ({} with a published value), best first, each with its 95% confidence interval, against the group's pooled value {} (solid line), which re-sums the members' numerators and denominators.{rank}{verdict}",
            ind.id,
            focus.name,
            rows.len(),
            pooled.map(|x| fmt(x, d)).unwrap_or_default()
        ),
        region: pooled.map(|x| (label, x)),
        markers: Vec::new(),
        marker_label: None,
        key: {
            let mut k = comparison_key_by(
                &rows
                    .iter()
                    .copied()
                    .filter(|r| r.area_code == focus.code)
                    .collect::<Vec<_>>(),
                "its most similar group",
                |r| r.vs_peers,
            );
            k.push(("Another member of the group".into(), MID_GREY));
            k
        },
    }
}

/// The words of a region pack's peers chart: each LA against its own
/// group's pooled value, which are significantly worse and better.
fn region_peers_text(
    v: &IndicatorView<'_>,
    focus: &Focus,
    p: Period,
    rows: &[&ResultRow],
) -> PeersText {
    let ind = &v.ind.def;
    let list = |test: fn(stats::Comparison) -> bool| {
        let names: Vec<&str> = rows
            .iter()
            .filter(|r| r.vs_peers.is_some_and(test))
            .map(|r| r.area_name.as_str())
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    PeersText {
        title: format!(
            "{} compared with most similar areas, {} {p}",
            ind.id, focus.region_name
        ),
        desc: format!(
            "Dot-and-interval chart of {} in {p} for {} of {}, each with its 95% confidence interval and a cross at the pooled value of its own most similar group (the area and its peers, numerators and denominators re-summed). Significantly worse than their most similar areas: {}. Significantly better: {}.",
            ind.id,
            counted(rows.len(), "local authority", "local authorities"),
            focus.region_name,
            list(stats::Comparison::is_worse),
            list(stats::Comparison::is_better),
        ),
        region: None,
        markers: rows.iter().map(|r| r.peer_value).collect(),
        marker_label: Some("Pooled value of the area's most similar group".to_string()),
        key: comparison_key_by(rows, "its most similar group", |r| r.vs_peers),
    }
}

/// The sentence naming the areas a chart leaves out (empty when none is).
/// `n` and the noun in the number it needs: `1 local authority`,
/// `3 local authorities`, `0 local authorities`.
pub(super) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn left_out_note(left_out: &[&str]) -> String {
    if left_out.is_empty() {
        String::new()
    } else {
        format!(
            " Left out (suppressed or no value): {}.",
            left_out.join(", ")
        )
    }
}

#[cfg(test)]
mod counted_tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(
            counted(1, "local authority", "local authorities"),
            "1 local authority"
        );
        assert_eq!(
            counted(0, "local authority", "local authorities"),
            "0 local authorities"
        );
        assert_eq!(counted(23, "pair", "pairs"), "23 pairs");
    }
}
