//! What the data-quality section reports and the manifest records, read
//! once per run before rendering: rows read per extract table (a
//! `count(*)` through the run's DataFusion session: a render-adjacent
//! read, kept here so the rest of `render` never queries), rows with no
//! area code, duplicate rows (rows repeating another row's key, the keys
//! named in `reports/extract-keys.yaml`), each indicator's compiled SQL,
//! and the SHA-256 of every definition and extract file used.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::{DataFrame, col, lit};
use sha2::{Digest, Sha256};

use crate::{Error, Run};

use super::definition::{ExtractKeys, LoadedPackDef};

/// Rows of one extract table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCount {
    /// Table name.
    pub table: String,
    /// Rows read.
    pub rows: u64,
    /// Rows whose cohort area column is null (cohort tables only).
    pub null_area: Option<u64>,
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
}

fn df_err(table: &str, e: datafusion::error::DataFusionError) -> Error {
    Error::Execute(crate::execute::ExecuteError::Run {
        indicator: format!("data-quality count of {table}"),
        source: e,
    })
}

/// Refuse a key column the table does not have, naming the file to fix.
fn check_key(df: &DataFrame, table: &str, key: &[String], keys: &ExtractKeys) -> Result<(), Error> {
    let schema = df.schema();
    let have: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    match key.iter().find(|c| !have.contains(&c.as_str())) {
        None => Ok(()),
        Some(c) => Err(Error::Request {
            message: format!(
                "{}: table `{table}` has no column `{c}`: {} (its columns: {})",
                keys.file
                    .as_deref()
                    .map(|f| f.display().to_string())
                    .unwrap_or_else(|| super::definition::EXTRACT_KEYS_FILE.into()),
                crate::validate::expr::suggest(c, &have),
                have.join(", ")
            ),
        }),
    }
}

/// Rows minus distinct values of `key`.
async fn duplicates(df: &DataFrame, table: &str, rows: u64, key: &[String]) -> Result<u64, Error> {
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
    run: &Run,
    table: &str,
    area: Option<&str>,
    keys: &ExtractKeys,
) -> Result<TableCount, Error> {
    let df = run
        .session
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
    let duplicates = match &key {
        Some(k) => Some(duplicates(&df, table, rows, k).await?),
        None => None,
    };
    Ok(TableCount {
        table: table.to_string(),
        rows,
        null_area,
        key,
        duplicates,
    })
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    let io = |source| {
        Error::Render(crate::render::RenderError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
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

/// Read what the pack needs from the run: counts, SQL, file hashes.
pub async fn gather_pack_inputs(
    run: &Run,
    ids: &[String],
    data_dir: &Path,
    def: &LoadedPackDef,
) -> Result<PackInputs, Error> {
    let pack_def = def.file.as_path();
    let catalog = &run.catalog;
    let mut tables: BTreeMap<String, Option<String>> = BTreeMap::new();
    tables.insert(catalog.geography.name.clone(), None);
    let mut sql = BTreeMap::new();
    let mut files = BTreeMap::new();
    let indicators_dir = &catalog.catalog.dir;
    for ind in catalog
        .indicators
        .iter()
        .filter(|i| ids.contains(&i.def.id))
    {
        for (name, s) in &ind.sources {
            let area = (name == &ind.def.cohort.source)
                .then(|| s.columns.get(&ind.def.cohort.area).cloned())
                .flatten();
            let e = tables.entry(s.table.name.clone()).or_insert(None);
            if e.is_none() {
                *e = area;
            }
            for f in &s.table.files {
                files.insert(relative(data_dir, f, "data"), sha256_file(f)?);
            }
        }
        files.insert(
            relative(indicators_dir, &ind.file, "indicators"),
            sha256_file(&ind.file)?,
        );
        let periods = run.session.periods(ind);
        let text = if periods.computed.is_empty() {
            "-- no period is computed".to_string()
        } else {
            let plan = crate::plan_indicator(&run.session.ctx, ind, &periods.computed).await?;
            crate::plan::plan_to_sql_text(&plan)
        };
        sql.insert(ind.def.id.clone(), text);
    }
    for f in &catalog.geography.files {
        files.insert(relative(data_dir, f, "data"), sha256_file(f)?);
    }
    let manifest = data_dir.join("manifest.yaml");
    if manifest.is_file() {
        files.insert("data/manifest.yaml".into(), sha256_file(&manifest)?);
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
    for (t, area) in &tables {
        counts.push(count_table(run, t, area.as_deref(), &def.keys).await?);
    }
    let not_yet_available = run
        .execution
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
        quality: Quality {
            coverage_start: run.session.coverage_start,
            tables: counts,
            notes: run.execution.notes.clone(),
            not_yet_available,
        },
        sql,
        files,
    })
}
