//! What the user asked for, checked against what the run knows: indicator
//! ids, area and region codes, periods, quarters and LAA years, and the
//! output destination. `compute`, `laa` and `pack` go through the same
//! checks. Each failure is a [`RequestError`] variant holding the facts
//! (and a [`Suggestion`] as data); the text is made only when it is printed.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::geography::{Area, AreaLookup};
use crate::period::{Grain, Period};
use crate::suggest::Suggestion;
use crate::validate::{ValidCatalog, ValidIndicator};

/// A request the data cannot answer. Always the user's to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// No indicator has this id.
    #[error("unknown indicator `{}`: {suggestion}", .id.escape_debug())]
    UnknownIndicator {
        /// The id asked for.
        id: String,
        /// The closest id, or the ids to choose from.
        suggestion: Suggestion,
    },
    /// `--period` is not a period label.
    #[error("`{}` is not a period: write e.g. 2009-10, \"2009-10 Q2\" or 2008", .text.escape_debug())]
    NotAPeriod {
        /// What was given.
        text: String,
    },
    /// `--year` is not a financial year.
    #[error("`{}` is not a financial year: write e.g. --year 2009-10", .text.escape_debug())]
    NotAFinancialYear {
        /// What was given.
        text: String,
    },
    /// `--quarter` is not a quarter.
    #[error("`{}` is not a quarter: write e.g. --quarter \"2009-10 Q2\"", .text.escape_debug())]
    NotAQuarter {
        /// What was given.
        text: String,
    },
    /// A code that could escape the output directory, or is not a code.
    #[error("`{}` is not a GSS {kind} code: give a code of letters and digits, e.g. E12000001", .code.escape_debug())]
    NotACode {
        /// Area or region.
        kind: AreaKind,
        /// What was given.
        code: String,
    },
    /// No LA (or region) has this code.
    #[error("unknown {kind} `{}`: {}", .code.escape_debug(), unknown_hint(*.kind, .suggestion))]
    UnknownArea {
        /// Area or region.
        kind: AreaKind,
        /// What was given.
        code: String,
        /// The closest code, or the codes to choose from.
        suggestion: Suggestion,
    },
    /// A quarter that starts before the extract's coverage.
    #[error(
        "{quarter} is outside the data: the extract covers {start} to {end}; choose a quarter from {}",
        or_empty(.first)
    )]
    QuarterBeforeData {
        /// The quarter asked for.
        quarter: Period,
        /// First day the extract covers.
        start: NaiveDate,
        /// The extract date.
        end: NaiveDate,
        /// The first quarter inside the data.
        first: Option<Period>,
    },
    /// A quarter that has not ended by the extract date.
    #[error(
        "{quarter} is not yet available: the extract is dated {extract_date}; the latest quarter is {}",
        or_empty(.latest)
    )]
    QuarterNotYetAvailable {
        /// The quarter asked for.
        quarter: Period,
        /// The extract date.
        extract_date: NaiveDate,
        /// The last quarter that has ended.
        latest: Option<Period>,
    },
    /// No indicator of a pack has a computed period by the pack's quarter.
    #[error(
        "{quarter} is not yet available: no indicator of the pack has a computed period by then"
    )]
    NothingComputedBy {
        /// The quarter asked for.
        quarter: Period,
    },
    /// An area has no LAA target for the year asked for.
    #[error("{} has no LAA targets for {year}: choose one of {}", named(.area, .name), years_list(.years))]
    NoTargetsForYear {
        /// The area.
        area: String,
        /// Its name, when shown.
        name: Option<String>,
        /// The year asked for.
        year: Period,
        /// The years it has targets for.
        years: Vec<Period>,
    },
    /// An LAA year that starts after the extract date.
    #[error("{year} is not yet available: the extract is dated {extract_date}")]
    YearNotYetAvailable {
        /// The year asked for.
        year: Period,
        /// The extract date.
        extract_date: NaiveDate,
    },
    /// An area with no LAA targets at all.
    #[error("{area} ({name}) has no LAA targets in {}", .file.display())]
    NoTargets {
        /// The area.
        area: String,
        /// Its name.
        name: String,
        /// The targets file.
        file: PathBuf,
    },
    /// An area whose targets name no financial year.
    #[error("{area} ({name}) has no LAA targets for any financial year")]
    NoTargetYear {
        /// The area.
        area: String,
        /// Its name.
        name: String,
    },
    /// The `compute` filters leave no row.
    /// A strategy report year that ended before the extract begins.
    #[error("{year} is outside the data: the extract covers {start} to {end}")]
    YearOutsideData {
        /// The year asked for.
        year: Period,
        /// First day covered.
        start: chrono::NaiveDate,
        /// The extract date.
        end: chrono::NaiveDate,
    },
    /// A strategy report year not over by the extract date.
    #[error(
        "{year} is not yet available: the extract is dated {end}; choose a year that has ended by then"
    )]
    YearNotEnded {
        /// The year asked for.
        year: Period,
        /// The extract date.
        end: chrono::NaiveDate,
    },
    /// No indicator of the strategy report has a computed period by the year.
    #[error(
        "{year} is not yet available: no indicator of the report has a computed period by then"
    )]
    NothingComputedByYear {
        /// The year asked for.
        year: Period,
    },
    /// No results match the filters.
    #[error("no results match {asked}: {why}")]
    NoMatchingRows {
        /// The filters as given, e.g. `--period 1999-00 --area E99999999`.
        asked: String,
        /// Which filter matches nothing, and what would.
        why: String,
    },
    /// Parquet cannot go to standard output.
    #[error("parquet output needs --out FILE")]
    ParquetNeedsOut,
    /// `--ballista` given to a build without the feature.
    #[error(
        "--ballista {address} (or PIREPORT_BALLISTA) needs pireport built with Ballista support: \
         rebuild with `cargo build --release --features ballista`, or drop the flag to compute locally"
    )]
    BallistaNotBuilt {
        /// The scheduler address given.
        address: String,
    },
    /// `--out` is a file.
    #[error("--out {} exists and is a file: give a new directory", .out.display())]
    OutIsFile {
        /// The destination.
        out: PathBuf,
    },
    /// `--out` is a non-empty directory.
    #[error("--out {} exists and is not empty: give a new directory or remove it", .out.display())]
    OutNotEmpty {
        /// The destination.
        out: PathBuf,
    },
    /// The parent of `--out` does not exist.
    #[error("cannot write {}: the directory {} does not exist", .out.display(), .parent.display())]
    OutParentMissing {
        /// The destination.
        out: PathBuf,
        /// Its missing parent.
        parent: PathBuf,
    },
    /// `--previous` is not a directory.
    #[error("--previous {} is not a pack directory", .path.display())]
    PreviousNotDirectory {
        /// What was given.
        path: PathBuf,
    },
    /// `--previous` is a directory without `tables/`.
    #[error("--previous {}: not a pack (no tables/ directory)", .path.display())]
    PreviousNotPack {
        /// What was given.
        path: PathBuf,
    },
    /// `--previous` of a set of packs is one pack.
    #[error("--previous {} is one pack, not a set: for every region's packs or the national set, give the directory the earlier set was written to", .path.display())]
    PreviousIsOnePack {
        /// What was given.
        path: PathBuf,
    },
    /// `--previous` of a set of packs holds none of the set's packs.
    #[error("--previous {} holds no pack of this set (no {}): give the directory an earlier `pack {kind}` wrote", .path.display(), .first.display())]
    PreviousNoSet {
        /// What was given.
        path: PathBuf,
        /// The first pack looked for.
        first: PathBuf,
        /// The command that writes such a set.
        kind: String,
    },
    /// `--previous` is a pack of another kind, area or region.
    #[error("--previous {} is the {found} pack, not the {wanted} pack: give an earlier edition of the same pack", .path.display())]
    PreviousOtherPack {
        /// What was given.
        path: PathBuf,
        /// Its kind and area, from its `manifest.json`.
        found: String,
        /// The kind and area asked for.
        wanted: String,
    },
    /// `PIREPORT_PDF_TIMEOUT` is not a whole number of seconds.
    #[error("PIREPORT_PDF_TIMEOUT=`{}` is not a whole number of seconds above 0: set e.g. PIREPORT_PDF_TIMEOUT=180, or unset it", .text.escape_debug())]
    PdfTimeout {
        /// What was given.
        text: String,
    },
}

/// Check `--previous` before any work: a directory holding `tables/` and a
/// `manifest.json` of the same `kind` of pack for the same `area` (its
/// GSS code, `all` for every region's DOM pack, whose editions are checked
/// region by region when compared).
pub fn previous_pack(path: &Path, kind: &str, area: &str) -> Result<(), RequestError> {
    if !path.is_dir() {
        return Err(RequestError::PreviousNotDirectory {
            path: path.to_path_buf(),
        });
    }
    let not_pack = || RequestError::PreviousNotPack {
        path: path.to_path_buf(),
    };
    if area == "all" {
        return Ok(());
    }
    if !path.join("tables").is_dir() {
        return Err(not_pack());
    }
    let text = std::fs::read(path.join("manifest.json")).map_err(|_| not_pack())?;
    let m: serde_json::Value = serde_json::from_slice(&text).map_err(|_| not_pack())?;
    let field = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let (found_kind, found_area) = (field("pack"), field("area_code"));
    if found_kind.is_empty() {
        return Err(not_pack());
    }
    if found_kind != kind || found_area != area {
        return Err(RequestError::PreviousOtherPack {
            path: path.to_path_buf(),
            found: format!("{found_kind} {}", found_area.escape_debug()),
            wanted: format!("{kind} {area}"),
        });
    }
    Ok(())
}

/// One pack of a set (every region's DOM packs, the national set): its
/// directory inside the set, its kind and its area code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMember {
    /// The pack's directory, relative to the set's (`E12000001`,
    /// `dom/E12000001`, `laa/E06000001`, `strategy`).
    pub dir: String,
    /// The pack kind (`dom`, `laa`, `strategy`), as its manifest names it.
    pub kind: &'static str,
    /// The area code, as its manifest names it.
    pub area: String,
}

/// The earlier edition of each pack of a set, from `dir`, the directory an
/// earlier run of `command` wrote the set to: `dir/<member dir>` for each
/// member, checked to be that pack, or `None` where the earlier set has no
/// such pack (a region or an LAA area new to this edition). Refuses a
/// `dir` that is not a directory, is one pack, or holds no member.
pub fn previous_set(
    dir: &Path,
    members: &[SetMember],
    command: &str,
) -> Result<Vec<Option<PathBuf>>, RequestError> {
    if !dir.is_dir() {
        return Err(RequestError::PreviousNotDirectory {
            path: dir.to_path_buf(),
        });
    }
    if dir.join("tables").is_dir() || dir.join("manifest.json").is_file() {
        return Err(RequestError::PreviousIsOnePack {
            path: dir.to_path_buf(),
        });
    }
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let p = dir.join(&m.dir);
        if p.is_dir() {
            previous_pack(&p, m.kind, &m.area)?;
            out.push(Some(p));
        } else {
            out.push(None);
        }
    }
    if let Some(first) = members.first()
        && out.iter().all(Option::is_none)
    {
        return Err(RequestError::PreviousNoSet {
            path: dir.to_path_buf(),
            first: dir.join(&first.dir),
            kind: command.to_string(),
        });
    }
    Ok(out)
}

/// How long printing a pack to PDF may take: `PIREPORT_PDF_TIMEOUT`
/// seconds when set, else 180.
pub fn pdf_timeout() -> Result<std::time::Duration, RequestError> {
    match std::env::var("PIREPORT_PDF_TIMEOUT") {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(s) if s > 0 => Ok(std::time::Duration::from_secs(s)),
            _ => Err(RequestError::PdfTimeout { text }),
        },
        Err(_) => Ok(std::time::Duration::from_secs(180)),
    }
}

/// What kind of code an area argument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    /// A local authority (`--area`).
    Area,
    /// A DOM region (`--region`).
    Region,
}

impl fmt::Display for AreaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AreaKind::Area => "area",
            AreaKind::Region => "region",
        })
    }
}

fn unknown_hint(kind: AreaKind, s: &Suggestion) -> String {
    match (s, kind) {
        (Suggestion::DidYouMean(_), _) => s.to_string(),
        (Suggestion::OneOf(_), AreaKind::Area) => {
            "give the GSS code of an LA, e.g. E08000003".into()
        }
        (Suggestion::OneOf(_), AreaKind::Region) => {
            "give the GSS code of a region, e.g. E12000001".into()
        }
    }
}

fn or_empty(p: &Option<Period>) -> String {
    p.map(|p| p.to_string()).unwrap_or_default()
}

fn named(area: &str, name: &Option<String>) -> String {
    match name {
        Some(n) => format!("{area} ({n})"),
        None => area.to_string(),
    }
}

fn years_list(years: &[Period]) -> String {
    if years.is_empty() {
        "(none: the area has no targets)".into()
    } else {
        let list: Vec<String> = years.iter().map(|p| p.to_string()).collect();
        list.join(", ")
    }
}

/// The indicator `id` of the catalog.
pub fn indicator<'a>(
    catalog: &'a ValidCatalog,
    id: &str,
) -> Result<&'a ValidIndicator, RequestError> {
    catalog.get(id).ok_or_else(|| {
        let known: Vec<&str> = catalog
            .indicators
            .iter()
            .map(|i| i.def.id.as_str())
            .collect();
        RequestError::UnknownIndicator {
            id: id.to_string(),
            suggestion: Suggestion::closest(id, &known),
        }
    })
}

/// Check that every id of `ids` is an indicator of the catalog.
pub fn check_indicators(catalog: &ValidCatalog, ids: &[String]) -> Result<(), RequestError> {
    ids.iter()
        .try_for_each(|id| indicator(catalog, id).map(|_| ()))
}

/// Parse a `--period` filter.
pub fn period(text: &str) -> Result<Period, RequestError> {
    text.parse::<Period>()
        .map_err(|_| RequestError::NotAPeriod {
            text: text.to_string(),
        })
}

/// Parse a `--year`: a financial year.
pub fn financial_year(text: &str) -> Result<Period, RequestError> {
    match text.parse::<Period>() {
        Ok(p @ Period::FinancialYear(_)) => Ok(p),
        _ => Err(RequestError::NotAFinancialYear {
            text: text.to_string(),
        }),
    }
}

/// Refuse a code that could escape the output directory or is not a code.
pub fn check_code(kind: AreaKind, code: &str) -> Result<(), RequestError> {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '+');
    if ok {
        Ok(())
    } else {
        Err(RequestError::NotACode {
            kind,
            code: code.to_string(),
        })
    }
}

/// The LA with code `code`.
pub fn area<'a>(areas: &'a AreaLookup, code: &str) -> Result<&'a Area, RequestError> {
    check_code(AreaKind::Area, code)?;
    areas.las.get(code).ok_or_else(|| {
        let known: Vec<&str> = areas.las.keys().map(|s| s.as_str()).collect();
        RequestError::UnknownArea {
            kind: AreaKind::Area,
            code: code.to_string(),
            suggestion: Suggestion::closest(code, &known),
        }
    })
}

/// The name of the region with code `code`.
pub fn region(areas: &AreaLookup, code: &str) -> Result<String, RequestError> {
    check_code(AreaKind::Region, code)?;
    let regions = areas.regions();
    regions.get(code).cloned().ok_or_else(|| {
        let known: Vec<&str> = regions.keys().map(|s| s.as_str()).collect();
        RequestError::UnknownArea {
            kind: AreaKind::Region,
            code: code.to_string(),
            suggestion: Suggestion::closest(code, &known),
        }
    })
}

/// Parse `--quarter` and check it lies inside the extract (from `start`,
/// dated `extract_date`) and has ended.
pub fn quarter(
    text: &str,
    start: NaiveDate,
    extract_date: NaiveDate,
) -> Result<Period, RequestError> {
    let p = Period::parse_for(text, Grain::Quarter).map_err(|_| RequestError::NotAQuarter {
        text: text.to_string(),
    })?;
    if p.start() < start {
        return Err(RequestError::QuarterBeforeData {
            quarter: p,
            start,
            end: extract_date,
            first: Period::all_within(Grain::Quarter, start, start + chrono::Days::new(200))
                .first()
                .copied(),
        });
    }
    if p.end() > extract_date {
        return Err(RequestError::QuarterNotYetAvailable {
            quarter: p,
            extract_date,
            latest: Period::all_within(
                Grain::Quarter,
                extract_date - chrono::Days::new(200),
                extract_date,
            )
            .last()
            .copied(),
        });
    }
    Ok(p)
}

/// Parse `--year` of the national strategy report and check it is a
/// financial year that ends inside the extract (from `start`) and has ended
/// by `extract_date`.
pub fn strategy_year(
    text: &str,
    start: NaiveDate,
    extract_date: NaiveDate,
) -> Result<Period, RequestError> {
    let y = match text.parse::<Period>() {
        Ok(p @ Period::FinancialYear(_)) => p,
        _ => {
            return Err(RequestError::NotAFinancialYear {
                text: text.to_string(),
            });
        }
    };
    if y.end() < start {
        return Err(RequestError::YearOutsideData {
            year: y,
            start,
            end: extract_date,
        });
    }
    if y.end() > extract_date {
        return Err(RequestError::YearNotEnded {
            year: y,
            end: extract_date,
        });
    }
    Ok(y)
}

/// Check that `year` is one of the financial years `area` has LAA targets
/// for (`years`, from [`ValidCatalog::laa_target_years`]); `name` is shown
/// beside the code when given.
pub fn target_year(
    year: Period,
    years: &[Period],
    area: &str,
    name: Option<&str>,
) -> Result<Period, RequestError> {
    if years.contains(&year) {
        Ok(year)
    } else {
        Err(RequestError::NoTargetsForYear {
            area: area.to_string(),
            name: name.map(str::to_string),
            year,
            years: years.to_vec(),
        })
    }
}

/// Check that `year` has started by the extract date.
pub fn year_started(year: Period, extract_date: NaiveDate) -> Result<Period, RequestError> {
    if year.start() > extract_date {
        Err(RequestError::YearNotYetAvailable { year, extract_date })
    } else {
        Ok(year)
    }
}

/// Refuse an `--out` that is a file or a non-empty directory, or whose
/// parent does not exist.
pub fn check_out(out: &Path) -> Result<(), RequestError> {
    if out.is_file() {
        return Err(RequestError::OutIsFile {
            out: out.to_path_buf(),
        });
    }
    if out.is_dir() {
        let empty = std::fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(RequestError::OutNotEmpty {
                out: out.to_path_buf(),
            });
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    if !parent.is_dir() {
        return Err(RequestError::OutParentMissing {
            out: out.to_path_buf(),
            parent,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pack directory as `write_pack` leaves it, as far as
    /// [`previous_pack`] reads it.
    fn fake_pack(dir: &Path, kind: &str, area: &str) {
        std::fs::create_dir_all(dir.join("tables")).unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            format!(r#"{{"pack": "{kind}", "area_code": "{area}"}}"#),
        )
        .unwrap();
    }

    fn member(dir: &str, kind: &'static str, area: &str) -> SetMember {
        SetMember {
            dir: dir.into(),
            kind,
            area: area.into(),
        }
    }

    #[test]
    fn an_earlier_set_gives_each_member_its_own_edition() {
        let tmp = tempfile::tempdir().unwrap();
        let set = tmp.path();
        fake_pack(&set.join("dom/E12000001"), "dom", "E12000001");
        fake_pack(&set.join("laa/E06000001"), "laa", "E06000001");
        fake_pack(&set.join("strategy"), "strategy", "E92000001+W92000004");
        let members = [
            member("dom/E12000001", "dom", "E12000001"),
            member("dom/E12000002", "dom", "E12000002"),
            member("laa/E06000001", "laa", "E06000001"),
            member("strategy", "strategy", "E92000001+W92000004"),
        ];
        let found = previous_set(set, &members, "national").unwrap();
        assert_eq!(
            found,
            [
                Some(set.join("dom/E12000001")),
                None,
                Some(set.join("laa/E06000001")),
                Some(set.join("strategy")),
            ]
        );
        // a member's directory holding another pack is refused
        fake_pack(&set.join("dom/E12000002"), "dom", "E12000009");
        let e = previous_set(set, &members, "national").unwrap_err();
        assert!(matches!(e, RequestError::PreviousOtherPack { .. }), "{e}");
        // one pack is not a set
        let e = previous_set(&set.join("strategy"), &members, "national").unwrap_err();
        assert!(matches!(e, RequestError::PreviousIsOnePack { .. }), "{e}");
        // a directory with none of the set's packs
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let e = previous_set(&empty, &members, "national").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "--previous {} holds no pack of this set (no {}): give the directory an earlier `pack national` wrote",
                empty.display(),
                empty.join("dom/E12000001").display()
            )
        );
        // nothing is looked for before the members are known
        assert_eq!(previous_set(&empty, &[], "national").unwrap(), []);
        let e = previous_set(&tmp.path().join("absent"), &[], "national").unwrap_err();
        assert!(
            matches!(e, RequestError::PreviousNotDirectory { .. }),
            "{e}"
        );
    }

    #[test]
    fn messages_name_the_input_and_the_fix() {
        let e = RequestError::UnknownArea {
            kind: AreaKind::Area,
            code: "Z".into(),
            suggestion: Suggestion::OneOf(vec!["E08000003".into()]),
        };
        assert_eq!(
            e.to_string(),
            "unknown area `Z`: give the GSS code of an LA, e.g. E08000003"
        );
        let e = RequestError::NoTargetsForYear {
            area: "E06000005".into(),
            name: None,
            year: Period::FinancialYear(2009),
            years: vec![],
        };
        assert_eq!(
            e.to_string(),
            "E06000005 has no LAA targets for 2009-10: choose one of (none: the area has no targets)"
        );
        assert!(matches!(
            check_code(AreaKind::Region, "../x"),
            Err(RequestError::NotACode { .. })
        ));
        assert_eq!(financial_year("2009-10"), Ok(Period::FinancialYear(2009)));
        assert!(financial_year("2009").is_err());
    }

    #[test]
    fn a_quarter_must_lie_inside_the_extract() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("ok: a valid date");
        let (start, end) = (d(2005, 4, 1), d(2011, 3, 31));
        assert!(quarter("2009-10 Q2", start, end).is_ok());
        let e = quarter("2004-05 Q4", start, end).expect_err("before the data");
        assert_eq!(
            e.to_string(),
            "2004-05 Q4 is outside the data: the extract covers 2005-04-01 to 2011-03-31; choose a quarter from 2005-06 Q1"
        );
        let e = quarter("2011-12 Q1", start, end).expect_err("after the data");
        assert_eq!(
            e.to_string(),
            "2011-12 Q1 is not yet available: the extract is dated 2011-03-31; the latest quarter is 2010-11 Q4"
        );
    }
}
