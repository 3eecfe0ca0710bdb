//! The DOM pack end to end: built by the real binary from data-samples,
//! then read back: HTML sections and no network references, the XLSX
//! against the results table, the manifest's hashes, a byte-for-byte
//! rebuild, the PNG charts decoded, the colours' WCAG contrast, and the
//! exceptions counted again from the results.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use calamine::{Data, Reader, Xlsx, open_workbook};
use sha2::{Digest, Sha256};

mod common;
use common::files;

const REGION: &str = "E12000001";
const QUARTER: &str = "2009-10 Q2";
const EPOCH: &str = "1270000000";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args([
            "pack",
            "dom",
            "--region",
            REGION,
            "--quarter",
            QUARTER,
            "--out",
        ])
        .arg(out)
        .output()
        .expect("run pireport");
    assert!(
        o.status.success(),
        "pack failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The pack, built once per test process (and a second build for the
/// determinism test).
fn packs() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static PACKS: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    PACKS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        build(&a);
        build(&b);
        (dir, a, b)
    })
}

fn pack() -> &'static Path {
    &packs().1
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn html_has_every_section_in_order_and_no_network_reference() {
    let html = std::fs::read_to_string(pack().join("index.html")).expect("index.html");
    let order = [
        "id=\"cover\"",
        "id=\"psa-scorecard\"",
        "id=\"exceptions\"",
        "id=\"overview\"",
        "id=\"ind-NI38\"",
        "id=\"ind-NI16\"",
        "id=\"ind-NI115\"",
        "id=\"data-quality\"",
        "id=\"appendix\"",
    ];
    let mut at = 0;
    for s in order {
        let i = html[at..]
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing or out of order"));
        at += i;
    }
    for needle in [
        "North East",
        QUARTER,
        "2012-03-31",
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(html.contains(needle), "cover lacks {needle}");
    }
    // every chart inline, titled and described
    let svgs = html.matches("<svg").count();
    assert!(svgs >= 15, "only {svgs} inline charts");
    assert_eq!(svgs, html.matches("<title id=").count());
    assert_eq!(svgs, html.matches("<desc id=").count());
    // no network references but the SVG namespace
    let stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!stripped.contains("http://"), "http reference");
    assert!(!stripped.contains("https://"), "https reference");
    assert!(!html.contains("<script"), "no scripts");
    // suppressed figures are shown as *
    assert!(html.contains("<td class=\"num\">*</td>"));
    // statuses carry a text label, not colour alone
    assert!(html.contains("<span class=\"b b-bad\">worse</span>"));
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => pireport::format_number(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[test]
fn xlsx_cells_equal_the_results_rows() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let run = rt
        .block_on(pireport::compute(
            &root().join("indicators"),
            &root().join("data-samples"),
            &["NI16".to_string(), "NI38".to_string()],
        ))
        .expect("compute");
    let mut wb: Xlsx<_> = open_workbook(pack().join("pack.xlsx")).expect("open xlsx");
    let names = wb.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("Scorecard"));
    assert_eq!(names.last().map(String::as_str), Some("Notes"));
    let mut suppressed = 0;
    for id in ["NI16", "NI38"] {
        let range = wb.worksheet_range(id).expect("sheet");
        let mut rows = range.rows();
        let header: Vec<String> = rows.next().expect("header").iter().map(cell_text).collect();
        assert_eq!(header, pireport::pack::SHEET_COLUMNS);
        let col = |n: &str| header.iter().position(|h| h == n).expect("column");
        let mut checked = 0;
        for r in rows {
            let code = cell_text(&r[col("area_code")]);
            let period = cell_text(&r[col("period")]);
            let want = run
                .rows
                .iter()
                .find(|x| {
                    x.indicator == id && x.area_code == code && x.period.to_string() == period
                })
                .unwrap_or_else(|| panic!("{id} {code} {period} not in the results"));
            let v = &r[col("value")];
            if want.suppressed {
                assert_eq!(cell_text(v), "*");
                assert_eq!(cell_text(&r[col("numerator")]), "*");
                suppressed += 1;
            } else {
                match (v, want.value) {
                    (Data::Float(x), Some(y)) => assert_eq!(*x, y, "{id} {code} {period}"),
                    (Data::Empty, None) => {}
                    (got, w) => panic!("{id} {code} {period}: {got:?} against {w:?}"),
                }
                match (&r[col("numerator")], want.numerator) {
                    (Data::Float(x), Some(y)) => assert_eq!(*x, y),
                    (Data::Empty, None) => {}
                    (got, w) => panic!("{id} {code} {period} numerator: {got:?} against {w:?}"),
                }
            }
            assert_eq!(
                cell_text(&r[col("status")]),
                want.status.map(|s| s.as_str()).unwrap_or("")
            );
            checked += 1;
        }
        assert!(checked > 50, "{id}: only {checked} rows");
    }
    assert!(suppressed > 0, "no suppressed rows checked");
}

#[test]
fn manifest_hashes_recompute() {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pack().join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(m["engine_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["extract_date"], "2012-03-31");
    let inputs = m["inputs"].as_object().expect("inputs");
    assert!(inputs.len() > 10);
    for (key, hash) in inputs {
        let (prefix, rest) = key.split_once('/').expect("prefixed key");
        let dir = match prefix {
            "data" => "data-samples",
            "indicators" => "indicators",
            "reports" => "reports",
            other => panic!("unknown prefix {other}"),
        };
        let bytes = std::fs::read(root().join(dir).join(rest)).expect("input file");
        assert_eq!(hash.as_str(), Some(sha(&bytes).as_str()), "{key}");
    }
    for (key, hash) in m["contents"].as_object().expect("contents") {
        let bytes = std::fs::read(pack().join(key)).expect("pack file");
        assert_eq!(hash.as_str(), Some(sha(&bytes).as_str()), "{key}");
    }
    let sql = m["sql"]["NI38"].as_str().expect("NI38 SQL");
    assert!(sql.contains("SELECT"), "{sql}");
}

#[test]
fn rebuild_is_byte_identical() {
    let (_, a, b) = packs();
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs between rebuilds");
    }
    assert!(fa.contains_key("pack.xlsx"));
    assert!(
        fa.keys()
            .any(|k| k.starts_with("tables/") && k.ends_with(".csv"))
    );
}

#[test]
fn png_charts_decode_with_content() {
    let dir = pack().join("charts");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("charts") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) != Some("png") {
            continue;
        }
        let svg = p.with_extension("svg");
        assert!(svg.is_file(), "{} has no SVG", p.display());
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&p).expect("open png"),
        ));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png frame");
        assert_eq!(info.width, 800, "{}", p.display());
        assert!(info.height >= 190, "{}", p.display());
        let px = &buf[..info.buffer_size()];
        let ink = px.chunks(3).filter(|c| c.iter().any(|v| *v < 200)).count();
        let total = px.len() / 3;
        assert!(
            ink * 100 > total,
            "{}: only {ink} of {total} pixels drawn",
            p.display()
        );
        // text is drawn with the bundled font: dark pixels in the caption band
        let w = info.width as usize * 3;
        let caption = &px[..w * 30];
        assert!(
            caption.chunks(3).any(|c| c.iter().all(|v| *v < 80)),
            "{}: no caption text",
            p.display()
        );
        n += 1;
    }
    assert!(n >= 15, "only {n} PNG charts");
}

/// WCAG 2.2 relative luminance of `#rgb` or `#rrggbb`: each sRGB channel
/// c/255 linearised as c/12.92 up to 0.04045, else ((c+0.055)/1.055)^2.4,
/// then 0.2126 R + 0.7152 G + 0.0722 B.
fn luminance(hex: &str) -> f64 {
    let h = hex.trim().trim_start_matches('#');
    let h: String = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect()
    } else {
        h.to_string()
    };
    assert_eq!(h.len(), 6, "colour `{hex}`");
    let ch = |i: usize| {
        let c = u8::from_str_radix(&h[i..i + 2], 16).expect("hex digit") as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * ch(0) + 0.7152 * ch(2) + 0.0722 * ch(4)
}

/// WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter.
fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The value of `name="..."` in an SVG or HTML tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    tag[i..].find('"').map(|j| &tag[i..i + j])
}

/// Text and its background in the pack's CSS: every rule that sets a text
/// colour, against its own background or the page's, must reach 4.5:1
/// (WCAG 2.2 AA, 1.4.3); chart text the same against the white plot; and
/// chart marks (data lines 2 px or wider, and dots) 3:1 against white
/// (1.4.11, non-text contrast). Luminance is computed here from the hex
/// codes. Hand-worked anchors: black on white is (1 + 0.05) / (0 + 0.05)
/// = 21; #767676 (118/255 = 0.462745, linear 0.181164) on white is
/// 1.05 / 0.231164 = 4.54, the lightest grey that passes AA.
#[test]
fn colours_meet_wcag_aa_contrast() {
    assert!((contrast("#000", "#fff") - 21.0).abs() < 1e-9);
    assert!((contrast("#767676", "#ffffff") - 4.542).abs() < 0.001);
    assert!(contrast("#777777", "#ffffff") < 4.5);
    let html = std::fs::read_to_string(pack().join("index.html")).expect("index.html");
    let css = &html[html.find("<style>").expect("style") + 7..html.find("</style>").expect("end")];
    let rules: Vec<(&str, &str)> = css
        .split('}')
        .filter_map(|r| r.split_once('{'))
        .map(|(sel, decl)| (sel.trim(), decl))
        .collect();
    let prop = |decl: &str, name: &str| -> Option<String> {
        decl.split(';').find_map(|d| {
            let (k, v) = d.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let page_bg = rules
        .iter()
        .find(|(s, _)| *s == "body")
        .and_then(|(_, d)| prop(d, "background"))
        .expect("body background");
    let mut checked = Vec::new();
    for (sel, decl) in &rules {
        let Some(fg) = prop(decl, "color") else {
            continue;
        };
        let bg = prop(decl, "background").unwrap_or_else(|| page_bg.clone());
        let c = contrast(&fg, &bg);
        assert!(c >= 4.5, "`{sel}`: {fg} on {bg} is {c:.2}:1");
        checked.push(sel.to_string());
    }
    for sel in [
        "body",
        "a",
        "th",
        ".b-good",
        ".b-bad",
        ".b-same",
        ".b-none",
        "figcaption",
        ".note",
    ] {
        assert!(checked.iter().any(|s| s == sel), "no colours for `{sel}`");
    }
    // every badge class used in the pack has its colours in the CSS
    for class in ["b-good", "b-bad", "b-same", "b-none"] {
        if html.contains(&format!("class=\"b {class}\"")) {
            assert!(checked.iter().any(|s| s == &format!(".{class}")), "{class}");
        }
    }
    // chart text and marks against the white plot
    let (mut texts, mut marks) = (0, 0);
    for tag in html.split('<').skip(1) {
        let name = tag.split([' ', '>', '/']).next().unwrap_or_default();
        let opaque = attr(tag, "opacity").is_none_or(|o| o == "1");
        match name {
            "text" => {
                let fill = attr(tag, "fill").expect("text fill");
                let c = contrast(fill, "#FFFFFF");
                assert!(c >= 4.5, "chart text {fill}: {c:.2}:1");
                texts += 1;
            }
            "polyline" | "path" if opaque => {
                let width: f64 = attr(tag, "stroke-width")
                    .and_then(|w| w.parse().ok())
                    .unwrap_or(1.0);
                if let Some(stroke) = attr(tag, "stroke").filter(|s| s.starts_with('#'))
                    && width >= 2.0
                {
                    let c = contrast(stroke, "#FFFFFF");
                    assert!(c >= 3.0, "chart line {stroke}: {c:.2}:1");
                    marks += 1;
                }
            }
            "circle" if opaque => {
                for a in ["fill", "stroke"] {
                    if let Some(col) = attr(tag, a).filter(|s| s.starts_with('#')) {
                        let c = contrast(col, "#FFFFFF");
                        assert!(c >= 3.0, "chart dot {col}: {c:.2}:1");
                        marks += 1;
                    }
                }
            }
            _ => {}
        }
    }
    assert!(texts > 500 && marks > 500, "{texts} texts, {marks} marks");
}

/// The exceptions a DOM pack lists, counted again from the results: for
/// each indicator of the pack at the latest period of its preferred grain
/// ending by the quarter's end, the region's row and its LAs' rows that
/// are not suppressed and are significantly worse than the region or
/// England and Wales (not for counts), worsening, worse than baseline, or
/// off their LAA trajectory for the financial year; then Benjamini-Hochberg
/// over every test made for those rows, keeping a statistical flag only
/// when its q-value is at most the pack's false-discovery rate.
#[test]
fn summary_counts_the_exceptions_listed() {
    // planning and unparsing the SQL of every indicator recurses deeply:
    // more stack than a test thread's default
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(count_exceptions)
        .expect("spawn")
        .join()
        .expect("the exceptions check");
}

fn count_exceptions() {
    use pireport::definition::ValueKind;
    use pireport::geography::AreaLevel;
    use pireport::pack;
    use pireport::period::{Grain, Period};
    use pireport::stats::{BaselineStatus, Comparison, TargetStatus, Trend};
    use pireport::{LaaLine, Status, laa_report};

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let def = pack::load_pack_def(&root().join("reports"), "dom").expect("dom.yaml");
    let ids = def.def.ids();
    let data = root().join("data-samples");
    let run = rt
        .block_on(pireport::compute(&root().join("indicators"), &data, &ids))
        .expect("compute");
    let report = rt.block_on(run.report(&ids, &data, &def)).expect("report");
    let quarter = run.quarter(QUARTER).expect("quarter");
    let scope = report.dom_scope(REGION, quarter).expect("region");
    let built =
        pack::dom_pack_files(&report, &def, &scope, &pack::PackOptions::default()).expect("pack");
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = pack::write_pack(
        &dir.path().join("out"),
        &built,
        &pack::PackOptions::default(),
    )
    .expect("write");

    let as_at = quarter.end();
    let fy = Period::FinancialYear(2009);
    let rows: Vec<_> = run
        .rows
        .iter()
        .filter(|r| r.period.end() <= as_at)
        .cloned()
        .collect();
    // every test made for the candidates (the Benjamini-Hochberg family),
    // and per candidate row its flags: Some(index of the test) or None for
    // a reason that is not a test (off the LAA trajectory)
    let mut family: Vec<f64> = Vec::new();
    let mut flagged_rows: Vec<Vec<Option<usize>>> = Vec::new();
    for id in &ids {
        let ind = run.catalog.get(id).expect("indicator");
        let grain = [
            Grain::Quarter,
            Grain::RollingQuarter,
            Grain::FinancialYear,
            Grain::CalendarYear,
        ]
        .into_iter()
        .find(|g| ind.def.grains.contains(g))
        .expect("a grain");
        let own: Vec<_> = rows.iter().filter(|r| &r.indicator == id).collect();
        let Some(latest) = own
            .iter()
            .map(|r| r.period)
            .filter(|p| p.grain() == grain)
            .max_by_key(|p| p.end())
        else {
            continue;
        };
        let comparable = ind.def.value.kind != ValueKind::Count;
        for r in own.iter().filter(|r| {
            r.period == latest
                && !r.suppressed
                && ((r.area_level == AreaLevel::Region && r.area_code == REGION)
                    || (r.area_level == AreaLevel::La && r.region_code == REGION))
        }) {
            let mut test = |p: Option<f64>| {
                p.map(|p| {
                    family.push(p);
                    family.len() - 1
                })
            };
            let t_region = if comparable {
                test(r.p_vs_region)
            } else {
                None
            };
            let t_national = if comparable {
                test(r.p_vs_national)
            } else {
                None
            };
            let t_trend = test(r.p_trend);
            let t_change = test(r.p_change);
            let worse =
                |c: &Option<Comparison>| matches!(c, Some(Comparison::Worse | Comparison::Worst));
            let mut flags = Vec::new();
            if comparable && worse(&r.vs_region) {
                flags.push(Some(t_region.expect("a p-value for the region flag")));
            }
            if comparable && worse(&r.vs_national) {
                flags.push(Some(t_national.expect("a p-value for the national flag")));
            }
            if r.trend == Some(Trend::Worsening) {
                flags.push(Some(t_trend.expect("a p-value for the trend flag")));
            }
            if matches!(
                r.status,
                Some(Status::Target(TargetStatus::Worse) | Status::Baseline(BaselineStatus::Worse))
            ) {
                flags.push(Some(t_change.expect("a p-value for the baseline flag")));
            }
            let laa_off = r.area_level == AreaLevel::La
                && LaaLine::target_years(&run.catalog, &r.area_code).contains(&fy)
                && laa_report(&run.catalog, &rows, &r.area_code, fy)
                    .expect("assessed")
                    .iter()
                    .any(|l| {
                        &l.indicator == id
                            && matches!(l.status, TargetStatus::OffTrack | TargetStatus::Worse)
                    });
            if laa_off {
                flags.push(None);
            }
            if !flags.is_empty() {
                flagged_rows.push(flags);
            }
        }
    }
    let q = pireport::stats::benjamini_hochberg(&family).expect("p-values in [0, 1]");
    let rate = def.def.fdr().value();
    let before = flagged_rows.len();
    let want = flagged_rows
        .iter()
        .filter(|flags| flags.iter().any(|f| f.is_none_or(|i| q[i] <= rate)))
        .count();
    let flags_before = flagged_rows
        .iter()
        .flatten()
        .filter(|f| f.is_some())
        .count();
    let flags_after = flagged_rows
        .iter()
        .flatten()
        .filter(|f| f.is_some_and(|i| q[i] <= rate))
        .count();
    assert_eq!(built.fdr.tests, family.len());
    assert_eq!(built.fdr.exceptions_before, before);
    assert_eq!(built.fdr.flags_before, flags_before);
    assert_eq!(built.fdr.flags_after, flags_after);
    assert!(want <= before);
    assert!(want > 0, "the sample has exceptions to count");
    assert_eq!(built.exceptions, want);
    assert_eq!(summary.exceptions, want);
    // the page lists as many, and the cover says so
    let html = std::fs::read_to_string(dir.path().join("out/index.html")).expect("html");
    let section = &html[html.find("id=\"exceptions\"").expect("section")..];
    let section = &section[..section.find("</section>").expect("end")];
    assert_eq!(section.matches("<tr><td>").count(), want);
    assert!(html.contains(&format!("{want} area and indicator pairs need attention")));
}

/// Each funnel plot says how its control limits were computed, by the
/// kind of value: Poisson for rates and ratios (and, approximately, for
/// NI18's actual against expected), Wilson score for percentages at the
/// effective sample size of a weighted survey (NI115), and conditional
/// binomial for NI30's change between two counts.
#[test]
fn funnel_plots_name_their_control_limit_method() {
    let expected = [
        (
            "NI115",
            "Wilson score limits for a proportion at each effective sample size",
        ),
        ("NI16", "exact Poisson limits for the count (crimes)"),
        ("NI19", "exact Poisson limits for the count (reoffences)"),
        ("PSA23.5", "exact Poisson limits for the count (reoffences)"),
        (
            "NI18",
            "a Poisson approximation of the binomial significance test",
        ),
        ("NI30", "conditional binomial (Wilson score) limits"),
    ];
    let dir = pack().join("charts");
    for (id, method) in expected {
        let svg = std::fs::read_to_string(dir.join(format!("{id}-funnel.svg")))
            .unwrap_or_else(|e| panic!("{id} funnel: {e}"));
        let desc = &svg[svg.find("<desc").expect("desc")..svg.find("</desc>").expect("end")];
        assert!(desc.contains(method), "{id}: `{desc}` lacks `{method}`");
        // the method is also drawn on the chart itself, under the key
        assert!(
            svg.split("<text").skip(1).any(|t| t
                .split("</text>")
                .next()
                .is_some_and(|t| t.contains("Control limits: "))),
            "{id}: the chart does not name its control limits"
        );
    }
    let ni115 = std::fs::read_to_string(dir.join("NI115-funnel.svg")).expect("NI115");
    assert!(ni115.contains("Effective sample size (Kish, from the survey weights)"));
}

#[test]
fn cover_says_when_it_was_produced_apart_from_the_extract_date() {
    let html = std::fs::read_to_string(pack().join("index.html")).expect("index.html");
    // SOURCE_DATE_EPOCH 1270000000 = 14,699 days + 6,400 s after 1970-01-01:
    // 2010-01-01 is day 14,610 (40 years, 10 of them leap), +89 days is
    // 31 March, and 6,400 s is 01:46:40
    assert!(
        html.contains("<dt>Produced</dt><dd>2010-03-31 01:46:40 UTC</dd>"),
        "produced-at not from SOURCE_DATE_EPOCH"
    );
    assert!(html.contains("<dt>Extract date</dt><dd>2012-03-31</dd>"));
}

#[test]
fn without_source_date_epoch_the_cover_has_the_time_of_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("pack");
    let before = chrono::Utc::now().timestamp();
    let o = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(root())
        .env_remove("SOURCE_DATE_EPOCH")
        .args([
            "pack",
            "dom",
            "--region",
            REGION,
            "--quarter",
            QUARTER,
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run pireport");
    let after = chrono::Utc::now().timestamp();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    let start = html.find("<dt>Produced</dt><dd>").expect("produced") + 21;
    let text = &html[start..start + 19];
    let at = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .expect("a timestamp")
        .and_utc()
        .timestamp();
    assert!((before..=after).contains(&at), "{text} not within the run");
    assert!(html.contains("<dt>Extract date</dt><dd>2012-03-31</dd>"));
}

/// Every indicator page with a trend series carries the Making Data Count
/// icons as text: each icon is hidden from screen readers and followed by
/// its label, so nothing rests on colour; the assurance icon appears only
/// with its target.
#[test]
fn spc_icons_carry_text_labels() {
    let html = std::fs::read_to_string(pack().join("index.html")).expect("index.html");
    let variation = [
        "Common cause variation",
        "Special cause: improvement (high)",
        "Special cause: improvement (low)",
        "Special cause: concern (high)",
        "Special cause: concern (low)",
    ];
    let assurance = [
        "Target consistently met",
        "Target consistently missed",
        "Target hit and miss",
    ];
    let paragraphs: Vec<&str> = html
        .split("<p class=\"spc\">")
        .skip(1)
        .map(|p| p.split("</p>").next().expect("paragraph"))
        .collect();
    let pages = html.matches("<section id=\"ind-").count();
    assert!(!paragraphs.is_empty() && paragraphs.len() <= pages);
    for p in &paragraphs {
        let icons: Vec<&str> = p.split("aria-hidden=\"true\">").skip(1).collect();
        assert!(!icons.is_empty() && icons.len() <= 2, "{p}");
        let label = |icon: &str| {
            icon.split_once("</span> ")
                .map(|(_, rest)| rest.to_string())
                .expect("a label after the icon")
        };
        let first = label(icons[0]);
        assert!(
            variation.iter().any(|v| first.starts_with(v)),
            "variation icon without its label: {p}"
        );
        if let Some(second) = icons.get(1) {
            let second = label(second);
            assert!(
                assurance.iter().any(|a| second.starts_with(a)),
                "assurance icon without its label: {p}"
            );
            assert!(second.contains("(target "), "{p}");
        }
    }
}
