//! `pack national`: every region's DOM pack, every LAA report with targets
//! that year and the strategy report, from one computation. Each pack must
//! be byte-identical to the one its own `pack` command writes, which
//! computes only the indicators it shows: the national set restricts one
//! run of every indicator to each pack's (results, SQL, and the notes that
//! name indicators). Charts are left out of the definitions, and the LAA
//! targets cut to two areas, to keep the debug-build run short; the packs'
//! tables, workbook, page and manifest are all still compared, for the DOM
//! packs and the strategy report. A later set is then built with
//! `--previous` pointing at the first: each pack compared with its own
//! earlier edition, and a year with no LAA targets noted.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{entries, repo};

const BIN: &str = env!("CARGO_BIN_EXE_pireport");
const AREAS: [&str; 2] = ["E06000004", "W06000010"];

/// A copy of the shipped definitions with no charts and LAA targets for
/// [`AREAS`] only.
fn fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let indicators = dir.join("indicators");
    let reports = dir.join("reports");
    for (from, to) in [("indicators", &indicators), ("reports", &reports)] {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(repo().join(from)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    for entry in std::fs::read_dir(&reports).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let cut: Vec<String> = text
                .lines()
                .map(|l| match l.find("charts:") {
                    Some(i) => format!("{}charts: []", &l[..i]),
                    None => l.to_string(),
                })
                .collect();
            std::fs::write(&path, cut.join("\n") + "\n").unwrap();
        }
    }
    let targets = indicators.join("laa-targets.yaml");
    let all: Vec<serde_yaml::Value> =
        serde_yaml::from_str(&std::fs::read_to_string(&targets).unwrap()).unwrap();
    let kept: Vec<serde_yaml::Value> = all
        .into_iter()
        .filter(|t| AREAS.iter().any(|a| t["area"].as_str() == Some(a)))
        .collect();
    assert!(kept.len() >= AREAS.len(), "the shipped targets changed");
    std::fs::write(&targets, serde_yaml::to_string(&kept).unwrap()).unwrap();
    (indicators, reports)
}

fn pireport(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(repo())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn assert_same_tree(standalone: &Path, in_set: &Path) {
    let (a, b) = (tree(standalone), tree(in_set));
    assert!(!a.is_empty(), "{} is empty", standalone.display());
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{} and {} hold different files",
        standalone.display(),
        in_set.display()
    );
    for (rel, bytes) in &a {
        assert!(
            bytes == &b[rel],
            "{} differs from its own command's",
            in_set.join(rel).display()
        );
    }
}

#[test]
fn the_national_set_is_each_pack_as_its_own_command_writes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (indicators, reports) = fixture(tmp.path());
    let defs = [
        "--indicators",
        indicators.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ];
    let out = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let run = |args: &[&str], name: &str| {
        let dest = out(name);
        let o = pireport(&[args, &defs[..], &["--out", &dest]].concat());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        o
    };

    let national = run(&["pack", "national", "--quarter", "2009-10 Q2"], "set");
    let set = tmp.path().join("set");
    assert_eq!(entries(&set), ["dom", "laa", "strategy"]);
    // the nine English regions and Wales
    assert_eq!(entries(&set.join("dom")).len(), 10);
    assert_eq!(entries(&set.join("laa")), AREAS);
    assert!(
        stderr(&national).contains("wrote 13 pack(s)"),
        "{}",
        stderr(&national)
    );

    run(
        &["pack", "dom", "--region", "all", "--quarter", "2009-10 Q2"],
        "dom",
    );
    assert_same_tree(&tmp.path().join("dom"), &set.join("dom"));
    run(&["pack", "strategy", "--year", "2009-10"], "strategy");
    assert_same_tree(&tmp.path().join("strategy"), &set.join("strategy"));
    // an LAA report reads every indicator, as the DOM packs do: what the
    // DOM packs prove of the run, its restriction and the gathered inputs
    // holds for it, and its own command would cost CI another computation
    for area in AREAS {
        let page = std::fs::read_to_string(set.join("laa").join(area).join("index.html")).unwrap();
        assert!(page.contains(area), "laa/{area} is another area's report");
    }

    // the strategy report shows DRR.completion but not NI143 or NI144: its
    // note on orders with no termination date names only what it shows
    let page = |p: &Path| std::fs::read_to_string(p.join("index.html")).unwrap();
    let dom = page(&set.join("dom").join("E12000001"));
    let strategy = page(&set.join("strategy"));
    assert!(dom.contains("counted in no period by DRR.completion, NI143, NI144 ("));
    assert!(strategy.contains("counted in no period by DRR.completion ("));

    // a later edition against the set above: every pack is compared with
    // its own earlier edition (the same extract: nothing is revised), and
    // 2011-12, after the LAA agreements, has no LAA report, which is said
    let later = run(
        &[
            "pack",
            "national",
            "--quarter",
            "2011-12 Q2",
            "--previous",
            set.to_str().unwrap(),
        ],
        "later",
    );
    let later_dir = tmp.path().join("later");
    assert_eq!(entries(&later_dir), ["dom", "strategy"]);
    assert!(
        stderr(&later).contains("note: no LAA area has targets for the quarter's financial year"),
        "{}",
        stderr(&later)
    );
    assert!(
        !stderr(&later).contains("no earlier edition"),
        "{}",
        stderr(&later)
    );
    let mut packs: Vec<PathBuf> = entries(&later_dir.join("dom"))
        .iter()
        .map(|r| later_dir.join("dom").join(r))
        .collect();
    packs.push(later_dir.join("strategy"));
    assert_eq!(packs.len(), 11);
    for p in packs {
        let csv = std::fs::read_to_string(p.join("revisions.csv"))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(
            csv,
            "indicator,area_code,area_name,period,column,previous,current\n",
            "{}",
            p.display()
        );
    }
}

#[test]
fn a_used_destination_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let o = pireport(&[
        "pack",
        "national",
        "--quarter",
        "2009-10 Q2",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("exists and is not empty"),
        "{}",
        stderr(&o)
    );
    assert_eq!(entries(tmp.path()), ["keep.txt"]);
}
