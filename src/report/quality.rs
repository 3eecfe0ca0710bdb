//! What the data-quality section reports and the manifest records, read
//! once per run before rendering: rows read per extract table (a
//! `count(*)` through the run's DataFusion session), rows with no area
//! code, duplicate rows (rows repeating another row's key, the keys named
//! in `reports/extract-keys.yaml`), each indicator's compiled SQL (as
//! execution captured it) and the SHA-256 of every definition and extract
//! file used.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::{DataFrame, col, lit};

use crate::execute::{ExecuteError, Execution, Session};

use super::ReportError;
use super::definition::{ExtractKeys, KeyColumnError, LoadedPackDef, PackDefError};

/// Rows of one extract table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCount {
    /// Table name.
    pub table: String,
    /// Rows read.
    pub rows: u64,
    /// Rows whose cohort area column is null (cohort tables only).
    pub null_area: Option<u64>,
    /// Per cohort date column of the table (as the indicators' cohorts
    /// name it), the rows where it is null: no period can count them, so
    /// every indicator with that cohort date leaves them out.
    pub null_date: Vec<(String, u64)>,
    /// The table's key columns, when `extract-keys.yaml` names them.
    pub key: Option<Vec<String>>,
    /// Rows that repeat the key of another row, beyond the first of each
    /// key: rows minus distinct keys (None without a key).
    pub duplicates: Option<u64>,
}

/// The data-quality facts of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// First day covered.
    pub coverage_start: NaiveDate,
    /// Per table, sorted by name.
    pub tables: Vec<TableCount>,
    /// Execution notes (unknown area codes, ...).
    pub notes: Vec<String>,
    /// Periods not yet available per indicator.
    pub not_yet_available: BTreeMap<String, Vec<String>>,
}

/// Everything a pack needs besides the result rows.
#[derive(Debug, Clone)]
pub struct PackInputs {
    /// Data quality.
    pub quality: Quality,
    /// Compiled SQL per indicator id.
    pub sql: BTreeMap<String, String>,
    /// SHA-256 per input file, keyed `indicators/…`, `data/…`, `reports/…`.
    pub files: BTreeMap<String, String>,
    /// The most similar groups the pack compares with (none when
    /// `reports/peer-groups.yaml` is absent).
    pub peer_groups: Option<PeersUsed>,
    /// ETag and version of each input read from an object store, keyed as
    /// in `files` (empty for a local extract).
    pub objects: BTreeMap<String, String>,
}

fn df_err(table: &str, e: datafusion::error::DataFusionError) -> ReportError {
    ReportError::Execute(ExecuteError::Run {
        indicator: format!("data-quality count of {table}"),
        source: e,
    })
}

/// Refuse a key column the table does not have, naming the file to fix.
fn check_key(
    df: &DataFrame,
    table: &str,
    key: &[String],
    keys: &ExtractKeys,
) -> Result<(), ReportError> {
    let schema = df.schema();
    let have: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    match key.iter().find(|c| !have.contains(&c.as_str())) {
        None => Ok(()),
        Some(c) => Err(PackDefError::KeyColumn(Box::new(KeyColumnError {
            file: keys
                .file
                .clone()
                .unwrap_or_else(|| super::definition::EXTRACT_KEYS_FILE.into()),
            table: table.to_string(),
            column: c.clone(),
            suggestion: crate::suggest::Suggestion::closest(c, &have),
            columns: have.iter().map(|s| s.to_string()).collect(),
        }))
        .into()),
    }
}

/// Rows minus distinct values of `key`.
async fn duplicates(
    df: &DataFrame,
    table: &str,
    rows: u64,
    key: &[String],
) -> Result<u64, ReportError> {
    let groups = df
        .clone()
        .aggregate(
            key.iter().map(|c| col(format!("\"{c}\""))).collect(),
            vec![],
        )
        .map_err(|e| df_err(table, e))?
        .count()
        .await
        .map_err(|e| df_err(table, e))?;
    Ok(rows.saturating_sub(groups as u64))
}

async fn count_table(
    session: &Session,
    table: &str,
    cohort: &CohortColumns,
    keys: &ExtractKeys,
) -> Result<TableCount, ReportError> {
    let area = cohort.area.as_deref();

    let df = session
        .ctx
        .table(table)
        .await
        .map_err(|e| df_err(table, e))?;
    let key = keys.keys.get(table).cloned();
    if let Some(k) = &key {
        check_key(&df, table, k, keys)?;
    }
    let mut aggs = vec![count(lit(1)).alias("n")];
    if let Some(a) = area {
        aggs.push(count(col(format!("\"{a}\""))).alias("with_area"));
    }
    for (i, d) in cohort.dates.iter().enumerate() {
        aggs.push(count(col(format!("\"{d}\""))).alias(format!("with_date_{i}")));
    }
    let batches = df
        .clone()
        .aggregate(vec![], aggs)
        .map_err(|e| df_err(table, e))?
        .collect()
        .await
        .map_err(|e| df_err(table, e))?;
    let get = |i: usize| -> Option<u64> {
        let b = batches.first()?;
        let a = b
            .column(i)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()?;
        (!a.is_empty()).then(|| a.value(0).max(0) as u64)
    };
    let rows = get(0).unwrap_or(0);
    let null_area = area.and_then(|_| get(1)).map(|w| rows.saturating_sub(w));
    let first_date = if area.is_some() { 2 } else { 1 };
    let null_date = cohort
        .dates
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((d.clone(), rows.saturating_sub(get(first_date + i)?))))
        .collect();
    let duplicates = match &key {
        Some(k) => Some(duplicates(&df, table, rows, k).await?),
        None => None,
    };
    Ok(TableCount {
        table: table.to_string(),
        rows,
        null_area,
        null_date,
        key,
        duplicates,
    })
}

/// The cohort columns of a table, as some indicator's cohort names them.
#[derive(Debug, Clone, Default)]
struct CohortColumns {
    area: Option<String>,
    dates: Vec<String>,
}

/// SHA-256 of an extract file, and (for an object) its ETag/version into
/// `objects` under the same key.
fn hash_data(
    location: &crate::extract::ExtractLocation,
    key: String,
    path: &Path,
    files: &mut BTreeMap<String, String>,
    objects: &mut BTreeMap<String, String>,
) -> Result<(), ReportError> {
    match location {
        crate::extract::ExtractLocation::Local(_) => {
            files.insert(key, sha256_file(path)?);
        }
        crate::extract::ExtractLocation::Remote(_) => {
            if let Some((h, v)) = location.sha256(path)? {
                if let Some(v) = v {
                    objects.insert(key.clone(), v.to_string());
                }
                files.insert(key, h);
            }
        }
    }
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String, ReportError> {
    crate::extract::sha256_file(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Which most similar groups a pack used, for its manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeersUsed {
    /// How they were made, e.g. `15 peers by imd_score x1, ...`.
    pub method: String,
    /// Their version: SHA-256 over the definition and the tables read.
    pub version: String,
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn relative(base: &Path, p: &Path, prefix: &str) -> String {
    let rel = p.strip_prefix(base).unwrap_or(p);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    format!("{prefix}/{}", parts.join("/"))
}

/// Read what the pack needs from the run: counts, file hashes, and the
/// SQL execution captured.
pub async fn gather_pack_inputs(
    session: &Session,
    execution: &Execution,
    ids: &[String],
    data_dir: &Path,
    def: &LoadedPackDef,
) -> Result<PackInputs, ReportError> {
    let pack_def = def.file.as_path();
    let catalog = &session.catalog;
    let mut tables: BTreeMap<String, CohortColumns> = BTreeMap::new();
    tables.insert(catalog.geography.name.clone(), CohortColumns::default());
    let mut sql = BTreeMap::new();
    let mut files = BTreeMap::new();
    let mut objects = BTreeMap::new();
    let indicators_dir = &catalog.catalog.dir;
    for ind in catalog
        .indicators
        .iter()
        .filter(|i| ids.contains(&i.def.id))
    {
        for (name, s) in &ind.sources {
            let cohort = name == &ind.def.cohort.source;
            let area = cohort
                .then(|| s.columns.get(&ind.def.cohort.area).cloned())
                .flatten();
            let date = cohort
                .then(|| {
                    let d = ind.def.cohort.date.as_ref()?;
                    s.columns.get(d).cloned()
                })
                .flatten();
            // an overlap cohort (`until`) keeps rows whose end is null: only
            // its start date places a row, and that is the date counted
            let e = tables.entry(s.table.name.clone()).or_default();
            if e.area.is_none() {
                e.area = area;
            }
            if let Some(d) = date
                && !e.dates.contains(&d)
            {
                e.dates.push(d);
                e.dates.sort();
            }
            for f in &s.table.files {
                let key = relative(data_dir, f, "data");
                hash_data(&s.table.location, key, f, &mut files, &mut objects)?;
            }
        }
        files.insert(
            relative(indicators_dir, &ind.file, "indicators"),
            sha256_file(&ind.file)?,
        );
        if let Some(text) = execution.sql.get(&ind.def.id) {
            sql.insert(ind.def.id.clone(), text.clone());
        }
    }
    let location = &catalog.geography.location;
    for f in &catalog.geography.files {
        let key = relative(data_dir, f, "data");
        hash_data(location, key, f, &mut files, &mut objects)?;
    }
    match location {
        crate::extract::ExtractLocation::Local(_) => {
            let manifest = data_dir.join("manifest.yaml");
            if manifest.is_file() {
                files.insert("data/manifest.yaml".into(), sha256_file(&manifest)?);
            }
        }
        crate::extract::ExtractLocation::Remote(r) => {
            let manifest = r.url_of("manifest.yaml");
            hash_data(
                location,
                "data/manifest.yaml".into(),
                &manifest,
                &mut files,
                &mut objects,
            )?;
        }
    }
    if let Some(p) = &catalog.catalog.psas {
        files.insert(
            relative(indicators_dir, &p.file, "indicators"),
            sha256_file(&p.file)?,
        );
    }
    if let Some(t) = &catalog.catalog.targets {
        files.insert(
            relative(indicators_dir, &t.file, "indicators"),
            sha256_file(&t.file)?,
        );
    }
    let geo = indicators_dir.join(crate::definition::GEOGRAPHY_FILE_NAME);
    if geo.is_file() {
        files.insert(
            relative(indicators_dir, &geo, "indicators"),
            sha256_file(&geo)?,
        );
    }
    let reports_dir = pack_def.parent().unwrap_or(Path::new("."));
    files.insert(
        relative(reports_dir, pack_def, "reports"),
        sha256_file(pack_def)?,
    );
    if let Some(k) = &def.keys.file {
        files.insert(relative(reports_dir, k, "reports"), sha256_file(k)?);
    }
    let mut counts = Vec::new();
    for (t, cohort) in &tables {
        counts.push(count_table(session, t, cohort, &def.keys).await?);
    }
    let not_yet_available = execution
        .periods
        .iter()
        .map(|(id, ps)| {
            (
                id.clone(),
                ps.not_yet_available.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect();
    Ok(PackInputs {
        peer_groups: None,
        quality: Quality {
            coverage_start: session.coverage_start,
            tables: counts,
            notes: execution.notes.clone(),
            not_yet_available,
        },
        sql,
        files,
        objects,
    })
}
