//! The DOM pack end to end: built by the real binary from data-samples,
//! then read back: HTML sections and no network references, the XLSX
//! against the results table, the manifest's hashes, a byte-for-byte
//! rebuild, and the PNG charts decoded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use calamine::{Data, Reader, Xlsx, open_workbook};
use sha2::{Digest, Sha256};

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

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("prefix");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
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
        Data::Float(f) => pireport::render::format_number(*f),
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
        assert_eq!(header, pireport::render::pack::SHEET_COLUMNS);
        let col = |n: &str| header.iter().position(|h| h == n).expect("column");
        let mut checked = 0;
        for r in rows {
            let code = cell_text(&r[col("area_code")]);
            let period = cell_text(&r[col("period")]);
            let want = run
                .rows
                .iter()
                .find(|x| x.indicator == id && x.area_code == code && x.period == period)
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
            assert_eq!(cell_text(&r[col("status")]), want.status);
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
        assert_eq!(info.width, 900, "{}", p.display());
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
