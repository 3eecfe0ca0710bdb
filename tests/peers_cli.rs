//! `pireport peers --area CODE`: most similar groups from
//! `reports/peer-groups.yaml`, checked against distances worked by hand on a
//! four-area table, byte-identical reruns, a version that moves only with
//! its inputs, and located errors (exit 2) for bad definitions.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{Col, write_table};

/// Four areas; `x` is 0, 1, 2, 10 and `name_col` is text.
/// Standardised (population sd): mean 3.25, sd = sqrt(62.75 / 4) =
/// 3.960745...; so one unit of x is 1 / 3.960745 = 0.252478 apart.
fn areas(dir: &Path) {
    write_table(
        &dir.join("areas.parquet"),
        vec![
            (
                "la_code",
                Col::S(vec!["E06000001", "E06000002", "E06000003", "E06000004"]),
            ),
            ("la_name", Col::S(vec!["Alpha", "Beta", "Gamma", "Delta"])),
            (
                "x",
                Col::F(vec![Some(0.0), Some(1.0), Some(2.0), Some(10.0)]),
            ),
            ("y", Col::I(vec![5, 5, 5, 5])),
            ("kind", Col::S(vec!["urban", "urban", "rural", "rural"])),
        ],
    );
}

fn run(reports: &Path, data: &Path, area: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pireport"))
        .arg("peers")
        .arg("--area")
        .arg(area)
        .arg("--reports")
        .arg(reports)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run pireport")
}

/// A temp dir holding the areas table and `peer-groups.yaml` = `yaml`.
fn setup(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    areas(dir.path());
    std::fs::write(dir.path().join("peer-groups.yaml"), yaml).expect("write yaml");
    dir
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "peers failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The rows after the header: (rank, code, distance).
fn rows(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .skip(3)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[3].to_string())
        })
        .collect()
}

#[test]
fn groups_match_distances_worked_by_hand_with_ties_broken_by_code() {
    let d = setup("k: 2\nfeatures:\n  x: 1\n");
    // Alpha (x = 0): Beta at 1 unit, Gamma at 2 units
    let a = stdout(&run(d.path(), d.path(), "E06000001"));
    assert_eq!(
        rows(&a),
        vec![
            ("1".into(), "E06000002".into(), "0.2525".into()),
            ("2".into(), "E06000003".into(), "0.5050".into()),
        ],
        "{a}"
    );
    // Beta (x = 1): Alpha and Gamma both 1 unit away: the lower code first
    let b = stdout(&run(d.path(), d.path(), "E06000002"));
    assert_eq!(
        rows(&b),
        vec![
            ("1".into(), "E06000001".into(), "0.2525".into()),
            ("2".into(), "E06000003".into(), "0.2525".into()),
        ],
        "{b}"
    );
    // Delta (x = 10): Gamma 8 units, Beta 9 units
    let dl = stdout(&run(d.path(), d.path(), "E06000004"));
    assert_eq!(
        rows(&dl),
        vec![
            ("1".into(), "E06000003".into(), "2.0198".into()),
            ("2".into(), "E06000002".into(), "2.2723".into()),
        ],
        "{dl}"
    );
    // a weight of 4 doubles every distance (sqrt of the weight)
    let w = setup("k: 2\nfeatures:\n  x: 4\n");
    let a4 = stdout(&run(w.path(), w.path(), "E06000001"));
    assert_eq!(rows(&a4)[1].2, "1.0099", "{a4}");
    // a constant feature standardises to 0 and changes nothing
    let c = setup("k: 2\nfeatures:\n  x: 1\n  y: 1\n");
    assert_eq!(
        rows(&stdout(&run(c.path(), c.path(), "E06000001"))),
        rows(&a)
    );
}

#[test]
fn rerun_is_byte_identical_and_the_version_moves_only_with_its_inputs() {
    let d = setup("k: 2\nfeatures:\n  x: 1\n");
    let first = run(d.path(), d.path(), "E06000001");
    let second = run(d.path(), d.path(), "E06000001");
    assert_eq!(first.stdout, second.stdout);
    let version = |o: &Output| {
        stdout(o)
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix("groups version "))
            .expect("version line")
            .to_string()
    };
    let v1 = version(&first);
    assert_eq!(v1.len(), 64);
    // the same groups from a file that differs only by a comment: a new
    // version (the file's bytes are hashed), the same peers
    std::fs::write(
        d.path().join("peer-groups.yaml"),
        "# a comment\nk: 2\nfeatures:\n  x: 1\n",
    )
    .expect("write");
    let third = run(d.path(), d.path(), "E06000001");
    assert_ne!(version(&third), v1);
    assert_eq!(rows(&stdout(&third)), rows(&stdout(&first)));
    // the shipped definition on the committed sample: 15 peers, twice alike
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (reports, data) = (root.join("reports"), root.join("data-samples"));
    let s1 = run(&reports, &data, "E08000003");
    let s2 = run(&reports, &data, "E08000003");
    assert_eq!(s1.stdout, s2.stdout);
    assert_eq!(rows(&stdout(&s1)).len(), 15);
}

/// Exit 2, one line naming `peer-groups.yaml` (with `at` when given) and
/// containing `want`.
fn refuses(yaml: &str, area: &str, want: &str, at: Option<&str>) {
    let d = setup(yaml);
    let o = run(d.path(), d.path(), area);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{yaml}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains(want), "`{err}` lacks `{want}`");
    if let Some(at) = at {
        assert!(
            lines[0].contains(&format!("peer-groups.yaml{at}")),
            "`{err}` lacks the location {at}"
        );
    }
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_definitions_are_located_and_exit_2() {
    refuses(
        "k: 2\nfeatures:\n  x: 1\n  imd: 1\n",
        "E06000001",
        "feature `imd` is not a column of the areas table",
        Some(":4:1"),
    );
    refuses(
        "k: 2\nfeatures:\n  kind: 1\n",
        "E06000001",
        "feature `kind` is Utf8, not numeric",
        Some(":3:1"),
    );
    refuses(
        "features:\n  x: 1\nk: 4\n",
        "E06000001",
        "k is 4, but there are 4 areas: k must be between 1 and 3",
        Some(":3:1"),
    );
    refuses(
        "k: 2\nfeatures:\n  x: -1\n",
        "E06000001",
        "weights must be numbers >= 0 and not all 0",
        Some(":2:1"),
    );
    refuses(
        "k: 2\nfeatures:\n  x: 0\n  y: 0\n",
        "E06000001",
        "weights must be numbers >= 0 and not all 0",
        Some(":2:1"),
    );
    refuses(
        "k: 2\nfeatures:\n  x: 1\n",
        "E09999999",
        "unknown area `E09999999`",
        None,
    );
}

/// A published groups table: (area, peer, rank) rows.
fn published(dir: &Path, rows: &[(&'static str, &'static str, i64)]) {
    write_table(
        &dir.join("published.parquet"),
        vec![
            ("la_code", Col::S(rows.iter().map(|r| r.0).collect())),
            ("peer_code", Col::S(rows.iter().map(|r| r.1).collect())),
            ("rank", Col::I(rows.iter().map(|r| r.2).collect())),
        ],
    );
}

const PUBLISHED_YAML: &str =
    "published:\n  table: published\n  columns: { area: la_code, peer: peer_code, rank: rank }\n";

#[test]
fn published_groups_are_read_in_rank_order() {
    let d = setup(PUBLISHED_YAML);
    // Alpha's peers as published: Delta first, then Beta (not by distance,
    // not by code); Beta has none
    published(
        d.path(),
        &[
            ("E06000001", "E06000002", 2),
            ("E06000001", "E06000004", 1),
            ("E06000003", "E06000001", 1),
        ],
    );
    let a = stdout(&run(d.path(), d.path(), "E06000001"));
    assert!(a.contains("peers as published in table `published`"), "{a}");
    assert_eq!(
        rows(&a),
        vec![
            ("1".into(), "E06000004".into(), "-".into()),
            ("2".into(), "E06000002".into(), "-".into()),
        ],
        "{a}"
    );
    assert!(rows(&stdout(&run(d.path(), d.path(), "E06000002"))).is_empty());
    // the version moves with the published table
    let v1 = a.lines().nth(1).map(str::to_string);
    published(d.path(), &[("E06000001", "E06000004", 1)]);
    let b = stdout(&run(d.path(), d.path(), "E06000001"));
    assert_ne!(b.lines().nth(1).map(str::to_string), v1);
    assert_eq!(rows(&b).len(), 1);
}

#[test]
fn bad_published_groups_are_refused_with_exit_2() {
    let case = |rows: &[(&'static str, &'static str, i64)], yaml: &str, want: &str| {
        let d = setup(yaml);
        published(d.path(), rows);
        let o = run(d.path(), d.path(), "E06000001");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{want}: {err}");
        assert!(err.contains(want), "`{err}` lacks `{want}`");
        assert!(o.stdout.is_empty());
    };
    let ok = [("E06000001", "E06000002", 1)];
    case(
        &[("E06000001", "E09999999", 1)],
        PUBLISHED_YAML,
        "row 1: `E09999999` is not an area of the areas table",
    );
    case(
        &[("E06000001", "E06000002", 1), ("E06000001", "E06000001", 2)],
        PUBLISHED_YAML,
        "row 2: `E06000001` is listed as its own peer",
    );
    case(
        &[("E06000001", "E06000002", 1), ("E06000001", "E06000002", 2)],
        PUBLISHED_YAML,
        "row 2: `E06000002` is listed twice as a peer of `E06000001`",
    );
    case(
        &ok,
        "published:\n  table: nowhere\n",
        "table `nowhere` is not in the extract",
    );
    case(
        &ok,
        "published:\n  table: published\n  columns: { peer: la_name }\n",
        "the published table needs a text column `la_name`",
    );
    case(
        &ok,
        "k: 2\nfeatures:\n  x: 1\npublished:\n  table: published\n",
        "declare either `features` (with `k`) or `published`, not both",
    );
    case(
        &ok,
        "published:\n  table: published\n  columns: { rank: la_code }\n",
        "needs a numeric column `la_code`",
    );
}
