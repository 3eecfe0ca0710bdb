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
use datafusion::prelude::{DataFrame, Expr, col, lit};

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
    /// Per key column, the rows where it is null (only those with some).
    pub null_key: Vec<(String, u64)>,
    /// Rows whose area code (the cohort's area column, or the contract's
    /// `la_code`) is not an LA of the geography table: the column, the
    /// rows, and the first codes with their rows (None for a table with
    /// no area column, and for the geography table itself).
    pub unknown_area: Option<UnknownArea>,
}

/// Area codes of a table that the geography table does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownArea {
    /// The area column.
    pub column: String,
    /// Rows with such a code.
    pub rows: u64,
    /// The codes, sorted, with their rows: at most [`UNKNOWN_CODES_SHOWN`].
    pub codes: Vec<(String, u64)>,
    /// Distinct codes in all.
    pub distinct: u64,
    /// Whether some indicator's cohort places its rows by this column (else
    /// it is the contract's `la_code` of a table read for its events).
    pub cohort: bool,
}

/// How many unknown area codes a finding names.
pub const UNKNOWN_CODES_SHOWN: usize = 5;

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
    ReportError::Execute(ExecuteError::run(
        format!("data-quality count of {table}"),
        e,
    ))
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

/// One aggregate over `df`: `count(*)` then each of `columns` counted
/// (its non-null rows), and, with a key, the number of distinct keys last.
/// With a key the counts are partial counts per key, summed: one pass
/// over the table gives the rows, the non-null counts and the duplicates.
async fn aggregate_counts(
    df: &DataFrame,
    table: &str,
    columns: &[Expr],
    key: Option<&[String]>,
) -> Result<Vec<u64>, ReportError> {
    use datafusion::functions_aggregate::expr_fn::sum;
    let mut aggs = vec![count(lit(1)).alias("n")];
    for (i, c) in columns.iter().enumerate() {
        aggs.push(count(c.clone()).alias(format!("c{i}")));
    }
    let df = match key {
        None => df.clone().aggregate(vec![], aggs),
        Some(k) => {
            let mut outer = vec![sum(col("n")).alias("n")];
            for i in 0..columns.len() {
                outer.push(sum(col(format!("c{i}"))).alias(format!("c{i}")));
            }
            outer.push(count(lit(1)).alias("groups"));
            df.clone()
                .aggregate(k.iter().map(|c| col(format!("\"{c}\""))).collect(), aggs)
                .and_then(|d| d.aggregate(vec![], outer))
        }
    }
    .map_err(|e| df_err(table, e))?;
    let batches = df.collect().await.map_err(|e| df_err(table, e))?;
    let width = columns.len() + 1 + usize::from(key.is_some());
    Ok((0..width)
        .map(|i| {
            batches
                .first()
                .and_then(|b| {
                    use datafusion::arrow::array::Array;
                    let a = b
                        .column(i)
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::Int64Array>()?;
                    (!a.is_empty() && a.is_valid(0)).then(|| a.value(0).max(0) as u64)
                })
                .unwrap_or(0)
        })
        .collect())
}

async fn count_table(
    session: &Session,
    table: &str,
    cohort: &CohortColumns,
    keys: &ExtractKeys,
) -> Result<TableCount, ReportError> {
    let df = session
        .ctx
        .table(table)
        .await
        .map_err(|e| df_err(table, e))?;
    let key = keys.keys.get(table).cloned();
    if let Some(k) = &key {
        check_key(&df, table, k, keys)?;
    }
    // counted columns: the cohort area, the cohort dates, the key columns
    let named = |c: &str| col(format!("\"{c}\""));
    let mut columns: Vec<Expr> = Vec::new();
    columns.extend(cohort.area.as_deref().map(named));
    columns.extend(cohort.dates.iter().map(|c| named(c)));
    columns.extend(key.iter().flatten().map(|c| named(c)));
    // duplicates: hashed here in a local run (a fraction of the memory of
    // grouping every key), grouped by the cluster on Ballista
    let local = !crate::execute::distributed(&session.ctx);
    let grouped_key = key.as_deref().filter(|_| !local);
    let counts = aggregate_counts(&df, table, &columns, grouped_key).await?;
    let rows = counts[0];
    let nulls = |i: usize| rows.saturating_sub(counts[1 + i]);
    let first_date = usize::from(cohort.area.is_some());
    let first_key = first_date + cohort.dates.len();
    let null_key = key
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (c.clone(), nulls(first_key + i)))
        .filter(|(_, n)| *n > 0)
        .collect::<Vec<_>>();
    // a key column empty in every row: the export lost the column
    if let Some((column, _)) = null_key.iter().find(|(_, n)| rows > 0 && *n == rows) {
        return Err(crate::extract::ExtractError::AllNull {
            table: table.to_string(),
            column: column.clone(),
            rows,
            why: format!(
                "it is a key column of the table ({})",
                keys.file
                    .as_deref()
                    .unwrap_or(Path::new(super::definition::EXTRACT_KEYS_FILE))
                    .display()
            ),
        }
        .into());
    }
    let duplicates = match &key {
        None => None,
        Some(k) if local => {
            let keys = df
                .clone()
                .select(k.iter().map(|c| named(c)).collect::<Vec<_>>())
                .map_err(|e| df_err(table, e))?;
            let pool = session.ctx.runtime_env().memory_pool.clone();
            let n = super::duplicates::duplicate_rows(&keys, rows, &pool)
                .await
                .map_err(|e| df_err(table, e))?;
            Some(n)
        }
        Some(_) => Some(rows.saturating_sub(counts[columns.len() + 1])),
    };
    let unknown_area = match area_column(session, &df, table, cohort) {
        Some(column) => {
            let in_cohort = cohort.area.as_ref() == Some(&column);
            Some(unknown_codes(session, &df, table, column, in_cohort).await?)
        }
        None => None,
    };
    Ok(TableCount {
        table: table.to_string(),
        rows,
        unknown_area,
        null_area: cohort.area.as_ref().map(|_| nulls(0)),
        null_date: cohort
            .dates
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), nulls(first_date + i)))
            .collect(),
        duplicates,
        key,
        null_key,
    })
}

/// The area column of `table` whose codes are checked against the
/// geography: the cohort's area column, else the contract's `la_code`
/// when the table has it; none for the geography table itself.
fn area_column(
    session: &Session,
    df: &DataFrame,
    table: &str,
    cohort: &CohortColumns,
) -> Option<String> {
    if table == session.catalog.geography.name {
        return None;
    }
    cohort.area.clone().or_else(|| {
        let contract = crate::contract::table_schema(table)?;
        (contract.field_with_name("la_code").is_ok()
            && df.schema().field_with_unqualified_name("la_code").is_ok())
        .then(|| "la_code".to_string())
    })
}

/// The codes of `column` that are no LA of the geography table, with
/// their rows: an anti-join of the column against the lookup's codes (a
/// hash join probed once per row, as cheap as DataFusion reads the
/// column), then the few unknown codes grouped. Null codes are left to the
/// null-area count.
async fn unknown_codes(
    session: &Session,
    df: &DataFrame,
    table: &str,
    column: String,
    cohort: bool,
) -> Result<UnknownArea, ReportError> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{DataType, Int64Type};
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::LogicalPlanBuilder;
    use datafusion::prelude::JoinType;
    let quoted = col(format!("\"{column}\""));
    let area_type = df
        .schema()
        .field_with_unqualified_name(&column)
        .map_err(|e| df_err(table, e))?
        .data_type()
        .clone();
    // the lookup's codes in the column's own type, so the join casts
    // nothing per row; a VALUES list (not an in-memory table) so the plan
    // serializes for a Ballista cluster like every other
    let rows = session
        .areas
        .las
        .keys()
        .map(|c| {
            ScalarValue::Utf8(Some(c.clone()))
                .cast_to(&area_type)
                .map(|v| vec![lit(v)])
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| df_err(table, e))?;
    if rows.is_empty() {
        return Ok(UnknownArea {
            cohort,
            column,
            rows: 0,
            codes: Vec::new(),
            distinct: 0,
        });
    }
    let batches = LogicalPlanBuilder::values(rows)
        .and_then(|b| b.project(vec![col("column1").alias("__la")]))
        .and_then(|b| b.build())
        .map(|plan| DataFrame::new(session.ctx.state(), plan))
        .and_then(|las| {
            df.clone()
                .select(vec![quoted.alias("__code")])?
                .join(las, JoinType::LeftAnti, &["__code"], &["__la"], None)?
                .aggregate(
                    vec![datafusion::prelude::cast(col("__code"), DataType::Utf8).alias("code")],
                    vec![count(lit(1)).alias("n")],
                )?
                .sort(vec![col("code").sort(true, true)])
        })
        .map_err(|e| df_err(table, e))?
        .collect()
        .await
        .map_err(|e| df_err(table, e))?;
    let mut codes = Vec::new();
    for b in &batches {
        let (c, n) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_primitive::<Int64Type>(),
        );
        for i in 0..b.num_rows() {
            if c.is_valid(i) {
                codes.push((c.value(i).to_string(), n.value(i).max(0) as u64));
            }
        }
    }
    let rows = codes.iter().map(|(_, n)| n).sum();
    let distinct = codes.len() as u64;
    codes.truncate(UNKNOWN_CODES_SHOWN);
    Ok(UnknownArea {
        cohort,
        column,
        rows,
        codes,
        distinct,
    })
}

/// Per table that the indicators `ids` read, and the geography table, the
/// cohort columns its rows are counted by.
fn counted_tables(
    catalog: &crate::validate::ValidCatalog,
    ids: &[String],
) -> BTreeMap<String, CohortColumns> {
    let mut tables: BTreeMap<String, CohortColumns> = BTreeMap::new();
    tables.insert(catalog.geography.name.clone(), CohortColumns::default());
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
        }
    }
    tables
}

/// An extract file's SHA-256 and (for an object) its version.
type Digest = (String, Option<String>);

/// What gathering pack inputs read from the extract, kept so that several
/// packs of one run (the national set) hash each extract file and count
/// each table once. One cache serves one run and one set of table keys.
#[derive(Debug, Default)]
pub struct GatherCache {
    /// Per extract file: its SHA-256 and (for an object) its version.
    digests: std::sync::Mutex<BTreeMap<std::path::PathBuf, Option<Digest>>>,
    /// Per table and the cohort columns counted in it: its counts.
    counts: std::sync::Mutex<BTreeMap<(String, CohortColumns), TableCount>>,
}

impl GatherCache {
    /// Hash the local files `paths` not yet hashed, in parallel.
    fn hash_local(&self, paths: &[&Path]) -> Result<(), ReportError> {
        use rayon::prelude::*;
        let mut todo: Vec<&Path> = {
            let known = self.digests.lock().unwrap_or_else(|p| p.into_inner());
            paths
                .iter()
                .copied()
                .filter(|p| !known.contains_key(*p))
                .collect()
        };
        todo.sort();
        todo.dedup();
        let hashed: Vec<(std::path::PathBuf, String)> = todo
            .par_iter()
            .map(|p| Ok((p.to_path_buf(), sha256_file(p)?)))
            .collect::<Result<_, ReportError>>()?;
        let mut known = self.digests.lock().unwrap_or_else(|p| p.into_inner());
        for (p, h) in hashed {
            known.insert(p, Some((h, None)));
        }
        Ok(())
    }
}

/// The data-quality counts of every table the indicators `ids` read (and
/// of the geography table), sorted by table name: one aggregate per table
/// through the run's session. What a pack's data-quality section shows and
/// `compute` reports as notes ([`TableCount::findings`]).
pub async fn table_counts(
    session: &Session,
    ids: &[String],
    keys: &ExtractKeys,
) -> Result<Vec<TableCount>, ReportError> {
    table_counts_cached(session, ids, keys, &GatherCache::default()).await
}

/// [`table_counts`], reusing and filling `cache`.
async fn table_counts_cached(
    session: &Session,
    ids: &[String],
    keys: &ExtractKeys,
    cache: &GatherCache,
) -> Result<Vec<TableCount>, ReportError> {
    let tables = counted_tables(&session.catalog, ids);
    // a poisoned lock only means another count panicked: its map is whole
    let lock = || cache.counts.lock().unwrap_or_else(|p| p.into_inner());
    let cached: BTreeMap<String, TableCount> = {
        let known = lock();
        tables
            .iter()
            .filter_map(|(t, cohort)| {
                let hit = known.get(&(t.clone(), cohort.clone()))?;
                Some((t.clone(), hit.clone()))
            })
            .collect()
    };
    let tables: BTreeMap<String, CohortColumns> = tables
        .into_iter()
        .filter(|(t, _)| !cached.contains_key(t))
        .collect();
    let counted = table_counts_of(session, &tables, keys).await?;
    let mut known = lock();
    let mut all = cached;
    for ((t, cohort), c) in tables.into_iter().zip(counted) {
        known.insert((t.clone(), cohort), c.clone());
        all.insert(t, c);
    }
    Ok(all.into_values().collect())
}

/// Count `tables`, in order.
async fn table_counts_of(
    session: &Session,
    tables: &BTreeMap<String, CohortColumns>,
    keys: &ExtractKeys,
) -> Result<Vec<TableCount>, ReportError> {
    use futures_util::{StreamExt, TryStreamExt};
    // as many tables at once as the session has partitions: each query is
    // parallel across them, but its final phases are not, and most tables
    // are small
    let at_once = session.ctx.copied_config().target_partitions().max(1);
    futures_util::stream::iter(tables.iter().map(|(t, cohort)| async move {
        let started = std::time::Instant::now();
        let counted = count_table(session, t, cohort, keys).await;
        tracing::debug!(
            table = %t,
            seconds = started.elapsed().as_secs_f64(),
            "table counted for data quality"
        );
        counted
    }))
    .buffered(at_once)
    .try_collect()
    .await
}

impl TableCount {
    /// What in these counts can change a figure, one sentence each naming
    /// the table and column: duplicate rows, rows with no key column, no
    /// area. (Rows with no cohort date are noted by execution.)
    /// `keys_file` is where the keys are named.
    pub fn findings(&self, keys_file: &Path) -> Vec<String> {
        let t = &self.table;
        let rows = |n: u64| format!("{n} row{}", if n == 1 { "" } else { "s" });
        let mut out = Vec::new();
        if let (Some(n), Some(key)) = (self.duplicates, &self.key)
            && n > 0
        {
            out.push(format!(
                "{t}: {n} duplicate row{}: each repeats the key ({}) of another row (keys: {}); they are counted as supplied: remove them from the extract, or correct the key",
                if n == 1 { "" } else { "s" },
                key.join(", "),
                keys_file.display()
            ));
        }
        for (c, n) in &self.null_key {
            out.push(format!(
                "{t}: {} with no {c} (a key column named in {}): an event or row with no {c} cannot be placed or linked; fill it in the extract",
                rows(*n),
                keys_file.display()
            ));
        }
        if let Some(u) = self.unknown_area.as_ref().filter(|u| u.rows > 0) {
            let mut shown: Vec<String> = u
                .codes
                .iter()
                .map(|(c, n)| format!("{c} ({})", rows(*n)))
                .collect();
            if u.distinct > u.codes.len() as u64 {
                shown.push(format!("and {} more", u.distinct - u.codes.len() as u64));
            }
            let effect = if u.cohort {
                "no local authority or region counts them, only England and Wales"
            } else {
                "no indicator places rows by this column, so no figure changes, but the geography table may be out of date"
            };
            out.push(format!(
                "{t}: {} with an area code in column {} that is no local authority of the geography table: {}; {effect}: correct the codes, or add the areas",
                rows(u.rows),
                u.column,
                shown.join(", ")
            ));
        }
        if let Some(n) = self.null_area.filter(|n| *n > 0) {
            out.push(format!(
                "{t}: {} with no area code: no local authority counts them",
                rows(n)
            ));
        }
        out
    }
}

/// The cohort columns of a table, as some indicator's cohort names them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
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
    cache: &GatherCache,
) -> Result<(), ReportError> {
    let lock = || cache.digests.lock().unwrap_or_else(|p| p.into_inner());
    let known = lock().get(path).cloned();
    let digest = match known {
        Some(d) => d,
        None => {
            let d = match location {
                crate::extract::ExtractLocation::Local(_) => Some((sha256_file(path)?, None)),
                crate::extract::ExtractLocation::Remote(_) => location
                    .sha256(path)?
                    .map(|(h, v)| (h, v.map(|v| v.to_string()))),
            };
            lock().insert(path.to_path_buf(), d.clone());
            d
        }
    };
    if let Some((h, v)) = digest {
        if let Some(v) = v {
            objects.insert(key.clone(), v);
        }
        files.insert(key, h);
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

/// Hash the extract's manifest: a local file when there is one, or the
/// remote object.
fn hash_manifest(
    location: &crate::extract::ExtractLocation,
    data_dir: &Path,
    files: &mut BTreeMap<String, String>,
    objects: &mut BTreeMap<String, String>,
) -> Result<(), ReportError> {
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
                files,
                objects,
                &GatherCache::default(),
            )?;
        }
    }
    Ok(())
}

/// Hash the catalog's files besides the definitions: the PSA groupings,
/// the LAA targets and the geography naming, each when there is one.
fn hash_catalog_files(
    catalog: &crate::definition::Catalog,
    files: &mut BTreeMap<String, String>,
) -> Result<(), ReportError> {
    let indicators_dir = &catalog.dir;
    if let Some(p) = &catalog.psas {
        files.insert(
            relative(indicators_dir, &p.file, "indicators"),
            sha256_file(&p.file)?,
        );
    }
    if let Some(t) = &catalog.targets {
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
    Ok(())
}

/// Read what the pack needs from the run: counts, file hashes, and the
/// SQL execution captured.
pub async fn gather_pack_inputs(
    session: &Session,
    execution: &Execution,
    ids: &[String],
    data_dir: &Path,
    def: &LoadedPackDef,
    cache: &GatherCache,
) -> Result<PackInputs, ReportError> {
    let pack_def = def.file.as_path();
    let catalog = &session.catalog;
    let mut sql = BTreeMap::new();
    let mut files = BTreeMap::new();
    let mut objects = BTreeMap::new();
    let indicators_dir = &catalog.catalog.dir;
    // the local extract files, hashed on every core first: at national
    // scale they are hundreds of megabytes
    let local: Vec<&Path> = catalog
        .indicators
        .iter()
        .filter(|i| ids.contains(&i.def.id))
        .flat_map(|i| i.sources.values())
        .map(|s| &s.table)
        .chain(std::iter::once(&catalog.geography))
        .filter(|t| matches!(t.location, crate::extract::ExtractLocation::Local(_)))
        .flat_map(|t| t.files.iter().map(|f| f.as_path()))
        .collect();
    cache.hash_local(&local)?;
    for ind in catalog
        .indicators
        .iter()
        .filter(|i| ids.contains(&i.def.id))
    {
        for s in ind.sources.values() {
            for f in &s.table.files {
                let key = relative(data_dir, f, "data");
                hash_data(&s.table.location, key, f, &mut files, &mut objects, cache)?;
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
        hash_data(location, key, f, &mut files, &mut objects, cache)?;
    }
    hash_manifest(location, data_dir, &mut files, &mut objects)?;
    hash_catalog_files(&catalog.catalog, &mut files)?;
    let reports_dir = pack_def.parent().unwrap_or(Path::new("."));
    files.insert(
        relative(reports_dir, pack_def, "reports"),
        sha256_file(pack_def)?,
    );
    if let Some(k) = &def.keys.file {
        files.insert(relative(reports_dir, k, "reports"), sha256_file(k)?);
    }
    let counts = table_counts_cached(session, ids, &def.keys, cache).await?;
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
