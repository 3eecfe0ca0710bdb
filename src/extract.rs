//! The extract on disk: where each table's Parquet lives, its Arrow schema,
//! and the manifest (`manifest.yaml`) with the extract date.
//!
//! A table is `NAME.parquet` or a directory `NAME/` of `*.parquet` part
//! files; results must not depend on how rows are split across parts.
//!
//! The extract is a local directory or, with `--data s3://bucket/prefix`
//! (`gs://`, `az://`), a prefix in an object store ([`ExtractLocation`],
//! resolved once by [`Extract::open`]); tables there are the same
//! `NAME.parquet` objects or `NAME/` prefixes of parts.

pub mod remote;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use serde::Deserialize;

/// Errors reading the extract.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The data directory does not exist.
    #[error(
        "data directory {dir} does not exist: pass --data DIR (e.g. data-samples) or run `pireport generate`"
    )]
    NoDirectory {
        /// The directory.
        dir: PathBuf,
    },
    /// No file or directory for a table.
    #[error(
        "table `{table}` not found: expected {dir}/{table}.parquet or a directory {dir}/{table}/ of .parquet files"
    )]
    MissingTable {
        /// The data directory.
        dir: PathBuf,
        /// The table name.
        table: String,
    },
    /// A table the indicators read has no rows.
    #[error(
        "table `{table}` has no rows ({path}): the indicators that read it would all be empty; check the export"
    )]
    EmptyTable {
        /// The table.
        table: String,
        /// Its file or directory.
        path: PathBuf,
    },
    /// A column every figure needs is empty in every row.
    #[error(
        "column `{column}` of table `{table}` is empty in every one of its {rows} rows: {why}; check the export"
    )]
    AllNull {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Rows of the table.
        rows: u64,
        /// What the column is for.
        why: String,
    },
    /// A column summed as a count, prediction or weight holds a negative value.
    #[error(
        "column `{column}` of table `{table}` holds negative values (the least is {min}): it is summed as {what}, which cannot be negative; check the export"
    )]
    Negative {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The least value.
        min: f64,
        /// What it is summed as.
        what: String,
    },
    /// A column summed as a count, prediction or weight holds NaN or an
    /// infinity.
    #[error(
        "column `{column}` of table `{table}` holds {rows} NaN or infinite value{} (the first in {file}): it is summed as {what}, which must be a finite number; correct or remove those rows",
        if *rows == 1 { "" } else { "s" }
    )]
    NotFinite {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// A file holding one.
        file: PathBuf,
        /// How many rows.
        rows: u64,
        /// What it is summed as.
        what: String,
    },
    /// A cohort year column holds implausible years.
    #[error(
        "column `{column}` of table `{table}` holds years from {min} to {max}, outside {lo} to {hi}: correct those rows in the export"
    )]
    YearOutOfRange {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The least year.
        min: f64,
        /// The greatest year.
        max: f64,
        /// The earliest plausible year.
        lo: i32,
        /// The latest plausible year.
        hi: i32,
    },
    /// A contract column holds values outside the range the contract
    /// allows (an age below 0, say), which filters would drop in silence.
    #[error(
        "column `{column}` of table `{table}` holds values from {min} to {max}, outside the contract's {lo} to {hi} ({what}): correct those rows in the export"
    )]
    OutOfRange {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The least value.
        min: f64,
        /// The greatest value.
        max: f64,
        /// The least plausible value.
        lo: f64,
        /// The greatest plausible value.
        hi: f64,
        /// What the column holds.
        what: &'static str,
    },
    /// A table directory holds no part files.
    #[error("table directory {path} holds no .parquet files")]
    EmptyTableDir {
        /// The directory.
        path: PathBuf,
    },
    /// A Parquet file could not be read.
    #[error("{path} is not a readable Parquet file")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A column of a contract table has a type the contract does not
    /// allow there.
    #[error(transparent)]
    ContractType(Box<ContractTypeError>),
    /// Part files of one table disagree on their schema.
    #[error("{path} has a different schema from the other parts of table `{table}`")]
    SchemaMismatch {
        /// The table.
        table: String,
        /// The odd file.
        path: PathBuf,
    },
    /// A file could not be opened.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A table name that would reach outside the data directory.
    #[error(
        "table `{table}` is not a plain table name: tables are read from inside the data directory {dir} only; give the name of a file {dir}/NAME.parquet or directory {dir}/NAME/, without `/`, `\\` or `..`"
    )]
    OutsideData {
        /// The data directory.
        dir: PathBuf,
        /// The name as given.
        table: String,
    },
    /// A table present both as `NAME.parquet` and as a directory `NAME/`.
    #[error(
        "table `{table}` is both a file {file} and a directory {sub}: keep one (the directory of parts, or the single file) and move the other away"
    )]
    Ambiguous {
        /// The table.
        table: String,
        /// The file.
        file: PathBuf,
        /// The directory.
        sub: PathBuf,
    },
    /// A table file or part that is not a regular file (a FIFO, a device).
    #[error(
        "{path} is not a regular file (a pipe, socket or device): table `{table}` must be Parquet files"
    )]
    NotRegular {
        /// The table.
        table: String,
        /// The path.
        path: PathBuf,
    },
    /// Dates outside the plausible range.
    #[error(
        "table `{table}`, column `{column}`: {rows} row(s) dated outside {lo}..{hi}, e.g. {example} in {file}: correct or remove them (an extract of 2008-11 data holds no such dates)"
    )]
    DateOutOfRange {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The first file holding such a date.
        file: PathBuf,
        /// How many rows.
        rows: usize,
        /// One such value.
        example: String,
        /// Lowest plausible date.
        lo: NaiveDate,
        /// Highest plausible date.
        hi: NaiveDate,
    },
    /// The manifest is malformed.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `--data` is an object-store URL that cannot be used as given.
    #[error(
        "--data {url}: {message} (credentials come from the cloud's environment variables, never from flags)"
    )]
    StoreConfig {
        /// The URL as given.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The object store refused or failed a request.
    #[error("{url}: {failure}{}", detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Remote {
        /// The URL of the extract or object.
        url: String,
        /// What went wrong.
        failure: remote::RemoteFailure,
        /// The store's own words, for network failures only (a refusal's
        /// body can echo the access key id).
        detail: Option<String>,
    },
    /// The runtime for object-store reads could not start.
    #[error("cannot start the runtime that reads the object store")]
    Runtime,
}

impl ExtractError {
    /// Whether the user's input (or setup) is at fault (exit code 2); an
    /// unreachable object store is not (exit code 1).
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            ExtractError::Remote {
                failure: remote::RemoteFailure::Unreachable,
                ..
            } | ExtractError::Runtime
        )
    }
}

/// Where the extract is: a local directory, or a prefix in an object
/// store.
#[derive(Debug, Clone)]
pub enum ExtractLocation {
    /// A directory on this machine (`--data DIR`, or `file://DIR`).
    Local(PathBuf),
    /// `s3://`, `gs://` or `az://` bucket and prefix.
    Remote(Arc<remote::RemoteExtract>),
}

impl ExtractLocation {
    /// Resolve `--data`: a URL of an object store, or a directory.
    pub fn resolve(data: &Path) -> Result<ExtractLocation, ExtractError> {
        let text = data.to_string_lossy();
        if text.starts_with("file://") {
            let url = url::Url::parse(&text).map_err(|e| ExtractError::StoreConfig {
                url: text.to_string(),
                message: e.to_string(),
            })?;
            let dir = url.to_file_path().map_err(|()| ExtractError::StoreConfig {
                url: text.to_string(),
                message: "not a local path: write file:///ABSOLUTE/DIR".into(),
            })?;
            return Ok(ExtractLocation::Local(dir));
        }
        if remote::is_url(&text) {
            return Ok(ExtractLocation::Remote(Arc::new(
                remote::RemoteExtract::open(&text)?,
            )));
        }
        Ok(ExtractLocation::Local(data.to_path_buf()))
    }

    /// Register the object store (if any) on `ctx`'s runtime, so that the
    /// engine reads the tables' URLs.
    pub fn register_store(&self, ctx: &datafusion::prelude::SessionContext) {
        if let ExtractLocation::Remote(r) = self {
            ctx.register_object_store(&r.store_url, r.store.clone());
        }
    }

    /// A file or object of the extract to read as Parquet; a local file's
    /// error is the operating system's, an object's names its URL.
    pub fn source(&self, path: &Path) -> Result<ParquetSource, std::io::Error> {
        match self {
            ExtractLocation::Local(_) => std::fs::File::open(path).map(ParquetSource::File),
            ExtractLocation::Remote(r) => {
                let key = r.key_of(path);
                match r.head(&key) {
                    Ok(Some(meta)) => Ok(ParquetSource::Remote(remote::RemoteFile::new(
                        r.store.clone(),
                        key,
                        meta.size,
                    ))),
                    Ok(None) => Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such object",
                    )),
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                }
            }
        }
    }

    /// Open a Parquet file of the extract (a path or URL of [`TableFiles::files`]).
    pub fn parquet(
        &self,
        path: &Path,
    ) -> Result<ParquetRecordBatchReaderBuilder<ParquetSource>, ExtractError> {
        let (source, version) = match self {
            ExtractLocation::Local(_) => {
                let io = |source| ExtractError::Io {
                    path: path.to_path_buf(),
                    source,
                };
                let f = std::fs::File::open(path).map_err(io)?;
                let m = f.metadata().map_err(io)?;
                let version = FileVersion {
                    path: path.to_path_buf(),
                    len: m.len(),
                    modified: m.modified().ok(),
                    tag: None,
                };
                (ParquetSource::File(f), version)
            }
            ExtractLocation::Remote(r) => {
                let key = r.key_of(path);
                let Some(meta) = r.head(&key)? else {
                    return Err(ExtractError::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such object"),
                    });
                };
                let version = FileVersion {
                    path: path.to_path_buf(),
                    len: meta.size,
                    modified: Some(meta.last_modified.into()),
                    tag: meta.e_tag.clone(),
                };
                let file = remote::RemoteFile::new(r.store.clone(), key, meta.size);
                (ParquetSource::Remote(file), version)
            }
        };
        let corrupt = |source| ExtractError::Corrupt {
            path: path.to_path_buf(),
            source,
        };
        let metadata = match footer_cache().get(&version) {
            Some(m) => m,
            None => {
                let m = ArrowReaderMetadata::load(&source, Default::default()).map_err(corrupt)?;
                footer_cache().put(version, m.clone());
                m
            }
        };
        Ok(ParquetRecordBatchReaderBuilder::new_with_metadata(
            source, metadata,
        ))
    }

    /// SHA-256 (lower-case hex) of a file or object of the extract that
    /// exists (a path or URL of [`TableFiles::files`]).
    pub fn digest(&self, path: &Path) -> Result<String, ExtractError> {
        match self {
            ExtractLocation::Local(_) => sha256_file(path).map_err(|source| ExtractError::Io {
                path: path.to_path_buf(),
                source,
            }),
            ExtractLocation::Remote(r) => Ok(r.sha256(&r.key_of(path))?.0),
        }
    }

    /// SHA-256 of a file or object of the extract, with the object's
    /// ETag/version (`None` for a local file). `None` when there is no
    /// such object (only asked of the optional manifest).
    pub fn sha256(
        &self,
        path: &Path,
    ) -> Result<Option<(String, Option<remote::ObjectVersion>)>, ExtractError> {
        match self {
            ExtractLocation::Local(_) => Ok(None),
            ExtractLocation::Remote(r) => {
                let key = r.key_of(path);
                if r.head(&key)?.is_none() {
                    return Ok(None);
                }
                let (h, v) = r.sha256(&key)?;
                Ok(Some((h, Some(v))))
            }
        }
    }
}

/// A file of the extract as it was when its footer was read: its path
/// (or URL), length, modification time and, for an object, its ETag. A
/// file rewritten in place gets a new version, and its footer is read
/// again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileVersion {
    path: PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
    tag: Option<String>,
}

/// The parsed footers (schema, row groups, statistics) of the Parquet
/// files this process has opened. A run opens each file many times (each
/// definition's sources are resolved, then the dates, the extract date
/// and the values are checked, table by table) and used to parse its
/// footer every time. Bounded: past [`FooterCache::CAPACITY`] files it
/// starts again empty.
#[derive(Default)]
struct FooterCache(std::sync::Mutex<std::collections::HashMap<FileVersion, ArrowReaderMetadata>>);

impl FooterCache {
    /// Files kept at most (an extract has a few dozen).
    const CAPACITY: usize = 4096;

    fn get(&self, v: &FileVersion) -> Option<ArrowReaderMetadata> {
        // a poisoned lock only loses the cache: read the footer again
        self.0.lock().ok()?.get(v).cloned()
    }

    fn put(&self, v: FileVersion, m: ArrowReaderMetadata) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
            map.insert(v, m);
        }
    }
}

fn footer_cache() -> &'static FooterCache {
    static CACHE: std::sync::OnceLock<FooterCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(FooterCache::default)
}

/// A Parquet file to read: local, or an object read by ranged requests.
pub enum ParquetSource {
    /// A local file.
    File(std::fs::File),
    /// An object in a store.
    Remote(remote::RemoteFile),
}

impl parquet::file::reader::Length for ParquetSource {
    fn len(&self) -> u64 {
        match self {
            ParquetSource::File(f) => f.len(),
            ParquetSource::Remote(r) => r.len(),
        }
    }
}

impl parquet::file::reader::ChunkReader for ParquetSource {
    type T = Box<dyn std::io::Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            ParquetSource::File(f) => Box::new(f.get_read(start)?),
            ParquetSource::Remote(r) => Box::new(r.get_read(start)?),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        match self {
            ParquetSource::File(f) => f.get_bytes(start, length),
            ParquetSource::Remote(r) => r.get_bytes(start, length),
        }
    }
}

/// `manifest.yaml` beside the tables.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Manifest {
    /// The day the data were drawn.
    pub extract_date: NaiveDate,
    /// First financial year covered, e.g. `2005-06`.
    #[serde(default)]
    pub from: Option<String>,
    /// Last financial year covered.
    #[serde(default)]
    pub to: Option<String>,
    /// Generator seed, for synthetic extracts.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Generator scale, for synthetic extracts.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Rows written per table, for synthetic extracts.
    #[serde(default)]
    pub tables: Option<BTreeMap<String, u64>>,
}

/// A located table: its files and schema.
#[derive(Debug, Clone)]
pub struct TableFiles {
    /// Table name.
    pub name: String,
    /// The file or directory registered with DataFusion.
    pub path: PathBuf,
    /// Every Parquet file of the table, sorted.
    pub files: Vec<PathBuf>,
    /// The Arrow schema (of the first file; all parts are checked to agree).
    pub schema: SchemaRef,
    /// Where the extract is (to read the files).
    pub location: ExtractLocation,
}

/// SHA-256 (lower-case hex) of a local file, read in 64 KiB blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What a table's Parquet footers say of it ([`TableFiles::profile`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableProfile {
    /// Rows in all files.
    pub rows: u64,
    /// Per column (dotted path), its counts and range.
    pub columns: BTreeMap<String, ColumnProfile>,
}

/// One column of a [`TableProfile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnProfile {
    /// Null values, when every row group records them.
    pub nulls: Option<u64>,
    /// Least value of a numeric column, when recorded.
    pub min: Option<f64>,
    /// Greatest value of a numeric column, when recorded.
    pub max: Option<f64>,
}

/// An extract directory.
#[derive(Debug, Clone)]
pub struct Extract {
    /// The directory.
    pub dir: PathBuf,
    /// The manifest, when present.
    pub manifest: Option<Manifest>,
    /// Where the extract is.
    pub location: ExtractLocation,
}

impl Extract {
    /// Open a data directory and read its manifest if there is one.
    pub fn open(dir: &Path) -> Result<Extract, ExtractError> {
        let location = ExtractLocation::resolve(dir)?;
        let dir = match &location {
            ExtractLocation::Local(d) => d.as_path(),
            ExtractLocation::Remote(r) => return Extract::open_remote(r.clone(), location.clone()),
        };
        if !dir.is_dir() {
            return Err(ExtractError::NoDirectory {
                dir: dir.to_path_buf(),
            });
        }
        let mpath = dir.join("manifest.yaml");
        let manifest = if std::fs::symlink_metadata(&mpath).is_ok() {
            Some(read_manifest(&mpath)?)
        } else {
            None
        };
        Ok(Extract {
            dir: dir.to_path_buf(),
            manifest,
            location,
        })
    }

    fn open_remote(
        r: Arc<remote::RemoteExtract>,
        location: ExtractLocation,
    ) -> Result<Extract, ExtractError> {
        let mpath = r.url_of("manifest.yaml");
        let manifest = match r.read_small(&r.key("manifest.yaml"), MAX_MANIFEST_BYTES) {
            Ok(None) => None,
            Ok(Some(bytes)) => {
                let text =
                    String::from_utf8(bytes.to_vec()).map_err(|_| ExtractError::Manifest {
                        path: mpath.clone(),
                        message: "cannot read it: not UTF-8 text".into(),
                    })?;
                Some(parse_manifest(&mpath, &text)?)
            }
            Err(message) => {
                return Err(ExtractError::Manifest {
                    path: mpath,
                    message: format!("cannot read it: {message}"),
                });
            }
        };
        Ok(Extract {
            dir: PathBuf::from(r.url.as_str().trim_end_matches('/')),
            manifest,
            location,
        })
    }

    fn remote_table(
        &self,
        r: &remote::RemoteExtract,
        name: &str,
    ) -> Result<(PathBuf, Vec<PathBuf>), ExtractError> {
        let file_key = r.key(&format!("{name}.parquet"));
        let dir_key = r.key(name);
        let file = r.head(&file_key)?;
        let is_dir = r.has_prefix(&dir_key)?;
        let (file_url, sub_url) = (r.url_of(&format!("{name}.parquet")), r.url_of(name));
        if file.is_some() && is_dir {
            return Err(ExtractError::Ambiguous {
                table: name.to_string(),
                file: file_url,
                sub: sub_url,
            });
        }
        if file.is_some() {
            return Ok((file_url.clone(), vec![file_url]));
        }
        if !is_dir {
            return Err(ExtractError::MissingTable {
                dir: self.dir.clone(),
                table: name.to_string(),
            });
        }
        let parts = r.list_parts(&dir_key)?;
        if parts.is_empty() {
            return Err(ExtractError::EmptyTableDir { path: sub_url });
        }
        let files = parts
            .iter()
            .filter_map(|m| {
                m.location
                    .filename()
                    .map(|f| r.url_of(&format!("{name}/{f}")))
            })
            .collect();
        // a prefix, so that the engine lists its parts
        Ok((r.url_of(&format!("{name}/")), files))
    }

    /// The names of the tables of a local extract (`NAME.parquet` files and
    /// directories), sorted, for messages; empty for an object store.
    pub fn table_names(&self) -> Vec<String> {
        let ExtractLocation::Local(dir) = &self.location else {
            return Vec::new();
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().to_string();
                        match name.strip_suffix(".parquet") {
                            Some(stem) => Some(stem.to_string()),
                            None => e.path().is_dir().then_some(name),
                        }
                    })
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        names
    }

    /// Locate a table and read its schema from the Parquet footers.
    pub fn table(&self, name: &str) -> Result<TableFiles, ExtractError> {
        let plain = !name.is_empty()
            && !name.contains(['/', '\\'])
            && name != ".."
            && name != "."
            && !name.chars().any(|c| c.is_control());
        if !plain {
            return Err(ExtractError::OutsideData {
                dir: self.dir.clone(),
                table: name.to_string(),
            });
        }
        if let ExtractLocation::Remote(r) = &self.location {
            let (path, files) = self.remote_table(r, name)?;
            return self.finish_table(name, path, files);
        }
        let file = self.dir.join(format!("{name}.parquet"));
        let sub = self.dir.join(name);
        let file_meta = std::fs::metadata(&file).ok();
        if file_meta.is_some() && sub.is_dir() {
            return Err(ExtractError::Ambiguous {
                table: name.to_string(),
                file,
                sub,
            });
        }
        if let Some(m) = &file_meta
            && !m.is_file()
        {
            return Err(ExtractError::NotRegular {
                table: name.to_string(),
                path: file,
            });
        }
        let (path, files) = if file_meta.is_some() {
            (file.clone(), vec![file])
        } else if sub.is_dir() {
            let rd = std::fs::read_dir(&sub).map_err(|source| ExtractError::Io {
                path: sub.clone(),
                source,
            })?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            files.sort();
            if let Some(odd) = files.iter().find(|f| !f.is_file()) {
                return Err(ExtractError::NotRegular {
                    table: name.to_string(),
                    path: odd.clone(),
                });
            }
            if files.is_empty() {
                return Err(ExtractError::EmptyTableDir { path: sub });
            }
            (sub, files)
        } else {
            return Err(ExtractError::MissingTable {
                dir: self.dir.clone(),
                table: name.to_string(),
            });
        };
        self.finish_table(name, path, files)
    }

    /// Read and compare the schemas of a located table's files.
    fn finish_table(
        &self,
        name: &str,
        path: PathBuf,
        files: Vec<PathBuf>,
    ) -> Result<TableFiles, ExtractError> {
        let read_schema = |p: &Path| -> Result<SchemaRef, ExtractError> {
            Ok(self.location.parquet(p)?.schema().clone())
        };
        let schema = read_schema(&files[0])?;
        for f in &files[1..] {
            let s = read_schema(f)?;
            if s.fields() != schema.fields() {
                return Err(ExtractError::SchemaMismatch {
                    table: name.to_string(),
                    path: f.clone(),
                });
            }
        }
        check_contract(name, &path, &schema)?;
        Ok(TableFiles {
            name: name.to_string(),
            path,
            files,
            schema,
            location: self.location.clone(),
        })
    }
}

/// A column of a contract table whose type the contract does not allow.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path}: column `{column}` of table `{table}` is {found}, but the data contract (spec/data-contract.md) has {expected}: write the column as {expected} in the extract"
)]
pub struct ContractTypeError {
    /// The table.
    pub table: String,
    /// Its file or directory.
    pub path: PathBuf,
    /// The column.
    pub column: String,
    /// Its type in the extract.
    pub found: String,
    /// Its type in the contract.
    pub expected: String,
}

/// Refuse a column of a contract table whose type the contract does not
/// allow ([`crate::contract::conforms`]). Columns the contract does not
/// name, and tables it does not name, are the definitions' business.
fn check_contract(name: &str, path: &Path, schema: &SchemaRef) -> Result<(), ExtractError> {
    let Some(contract) = crate::contract::table_schema(name) else {
        return Ok(());
    };
    for want in contract.fields() {
        if let Ok(f) = schema.field_with_name(want.name())
            && !crate::contract::conforms(f.data_type(), want.data_type())
        {
            return Err(ExtractError::ContractType(Box::new(ContractTypeError {
                table: name.to_string(),
                path: path.to_path_buf(),
                column: want.name().clone(),
                found: f.data_type().to_string(),
                expected: want.data_type().to_string(),
            })));
        }
    }
    Ok(())
}

/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

fn read_manifest(mpath: &Path) -> Result<Manifest, ExtractError> {
    use crate::definition::precheck;
    let bad = |message: String| ExtractError::Manifest {
        path: mpath.to_path_buf(),
        message,
    };
    let text = precheck::read_regular(mpath, MAX_MANIFEST_BYTES)
        .map_err(|e| bad(format!("cannot read it: {e}")))?;
    parse_manifest(mpath, &text)
}

fn parse_manifest(mpath: &Path, text: &str) -> Result<Manifest, ExtractError> {
    use crate::definition::precheck;
    let bad = |message: String| ExtractError::Manifest {
        path: mpath.to_path_buf(),
        message,
    };
    let text = precheck::strip_bom(text);
    if let Err(p) = precheck::precheck(text) {
        let p = &p[0];
        return Err(bad(format!(
            "{}:{}: {}: expected `extract_date: YYYY-MM-DD`",
            p.line, p.column, p.message
        )));
    }
    let m: Manifest = serde_yaml::from_str(text).map_err(|e| {
        bad(format!(
            "{e}: expected `extract_date: YYYY-MM-DD` (and optionally from, to, and tables: a map of row counts)"
        ))
    })?;
    if !crate::period::plausible(m.extract_date) {
        return Err(bad(format!(
            "extract_date {} is outside {}..{}; give the day the data were drawn",
            m.extract_date,
            crate::period::earliest_date(),
            crate::period::latest_date()
        )));
    }
    let fy = |key: &str, v: &Option<String>| -> Result<Option<i32>, ExtractError> {
        match v {
            None => Ok(None),
            Some(text) => match text.parse::<crate::period::Period>() {
                Ok(crate::period::Period::FinancialYear(y))
                    if crate::period::plausible(
                        NaiveDate::from_ymd_opt(y, 4, 1).unwrap_or(NaiveDate::MIN),
                    ) =>
                {
                    Ok(Some(y))
                }
                _ => Err(bad(format!(
                    "`{key}: {text}` is not a financial year such as 2005-06"
                ))),
            },
        }
    };
    let from = fy("from", &m.from)?;
    let to = fy("to", &m.to)?;
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return Err(bad(format!(
            "from {} is after to {}: the first financial year comes first",
            m.from.as_deref().unwrap_or_default(),
            m.to.as_deref().unwrap_or_default()
        )));
    }
    if let Some(a) = from
        && NaiveDate::from_ymd_opt(a, 4, 1).is_some_and(|d| d > m.extract_date)
    {
        return Err(bad(format!(
            "from {} starts after extract_date {}",
            m.from.as_deref().unwrap_or_default(),
            m.extract_date
        )));
    }
    if let Some(s) = m.scale
        && !(s.is_finite() && s > 0.0)
    {
        return Err(bad(format!("scale {s} is not a positive number")));
    }
    Ok(m)
}

impl TableFiles {
    /// The row count and, per column, the null count and numeric range,
    /// from the Parquet footers alone (no data page is read). A count or
    /// range is `None` when a file does not record it.
    pub fn profile(&self) -> Result<TableProfile, ExtractError> {
        use parquet::file::statistics::Statistics;
        let mut out = TableProfile::default();
        for path in &self.files {
            let b = self.location.parquet(path)?;
            let meta = b.metadata().clone();
            let columns = meta.file_metadata().schema_descr().columns().to_vec();
            for rg in meta.row_groups() {
                out.rows += rg.num_rows().max(0) as u64;
                for (leaf, c) in columns.iter().enumerate() {
                    let name = c.path().parts().join(".");
                    let e = out.columns.entry(name).or_insert(ColumnProfile {
                        nulls: Some(0),
                        min: None,
                        max: None,
                    });
                    let stats = rg.column(leaf).statistics();
                    e.nulls = match (e.nulls, stats.and_then(|s| s.null_count_opt())) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                    let range = match stats {
                        Some(Statistics::Int32(s)) => s
                            .min_opt()
                            .zip(s.max_opt())
                            .map(|(a, b)| (*a as f64, *b as f64)),
                        Some(Statistics::Int64(s)) => s
                            .min_opt()
                            .zip(s.max_opt())
                            .map(|(a, b)| (*a as f64, *b as f64)),
                        Some(Statistics::Float(s)) => s
                            .min_opt()
                            .zip(s.max_opt())
                            .map(|(a, b)| (*a as f64, *b as f64)),
                        Some(Statistics::Double(s)) => {
                            s.min_opt().zip(s.max_opt()).map(|(a, b)| (*a, *b))
                        }
                        _ => None,
                    };
                    if let Some((lo, hi)) = range {
                        e.min = Some(e.min.map_or(lo, |m| m.min(lo)));
                        e.max = Some(e.max.map_or(hi, |m| m.max(hi)));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Refuse NaN and infinite values in the floating-point `column`
    /// (summed as `what`), naming the table, column, a file and the rows.
    /// Parquet statistics leave NaN out, so the column's values are read:
    /// one column, a few bytes per row.
    pub fn check_finite(&self, column: &str, what: &str) -> Result<(), ExtractError> {
        use datafusion::arrow::datatypes::DataType;
        use rayon::prelude::*;

        let Some((ci, field)) = self.schema.column_with_name(column) else {
            return Ok(());
        };
        if !matches!(field.data_type(), DataType::Float32 | DataType::Float64) {
            return Ok(());
        }
        // the files are read on every core; counted in the files' order,
        // so the file named is the first one with a bad value
        let per_file: Vec<Result<u64, ExtractError>> = self
            .files
            .par_iter()
            .map(|path| self.count_not_finite(path, ci))
            .collect();
        let mut rows = 0u64;
        let mut first: Option<PathBuf> = None;
        for (path, n) in self.files.iter().zip(per_file) {
            let n = n?;
            rows += n;
            if n > 0 && first.is_none() {
                first = Some(path.clone());
            }
        }
        match first {
            None => Ok(()),
            Some(file) => Err(ExtractError::NotFinite {
                table: self.name.clone(),
                column: column.to_string(),
                file,
                rows,
                what: what.to_string(),
            }),
        }
    }

    /// The NaN and infinite values of column `ci` in the file `path`
    /// (nulls are not counted).
    fn count_not_finite(&self, path: &Path, ci: usize) -> Result<u64, ExtractError> {
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
        use parquet::arrow::ProjectionMask;

        let b = self.location.parquet(path)?;
        let mask = ProjectionMask::roots(b.metadata().file_metadata().schema_descr(), [ci]);
        let corrupt = |source| ExtractError::Corrupt {
            path: path.to_path_buf(),
            source,
        };
        let reader = b.with_projection(mask).build().map_err(corrupt)?;
        let mut rows = 0u64;
        for batch in reader {
            let batch = batch
                .map_err(|e| corrupt(parquet::errors::ParquetError::ArrowError(e.to_string())))?;
            let a = batch.column(0);
            // the value first: most are finite, and validity is a lookup
            let n = match a.data_type() {
                DataType::Float64 => {
                    let v = a.as_primitive::<Float64Type>();
                    (0..v.len())
                        .filter(|&i| !v.value(i).is_finite() && v.is_valid(i))
                        .count()
                }
                _ => {
                    let v = a.as_primitive::<Float32Type>();
                    (0..v.len())
                        .filter(|&i| !v.value(i).is_finite() && v.is_valid(i))
                        .count()
                }
            };
            rows += n as u64;
        }
        Ok(rows)
    }

    /// Refuse dates outside the plausible range in any date column, naming
    /// the column, a file and the number of rows. Reads the Parquet
    /// statistics of each row group, and a column's values only when its
    /// statistics are missing or out of range.
    pub fn check_dates(&self) -> Result<(), ExtractError> {
        use datafusion::arrow::datatypes::DataType;

        let lo = crate::period::earliest_date();
        let hi = crate::period::latest_date();
        let (lo32, hi32) = (crate::period::to_date32(lo), crate::period::to_date32(hi));
        let date_cols: Vec<(usize, String)> = self
            .schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.data_type() == &DataType::Date32)
            .map(|(i, f)| (i, f.name().clone()))
            .collect();
        if date_cols.is_empty() {
            return Ok(());
        }
        for (ci, name) in &date_cols {
            let mut rows = 0usize;
            let mut first: Option<(PathBuf, i32)> = None;
            for path in &self.files {
                let (n, v) = self.dates_outside(path, *ci, name, (lo32, hi32))?;
                rows += n;
                if first.is_none()
                    && let Some(v) = v
                {
                    first = Some((path.clone(), v));
                }
            }
            if let Some((file, v)) = first {
                let example = NaiveDate::from_ymd_opt(1970, 1, 1)
                    .and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(v as i64)))
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| format!("day {v} after 1970-01-01"));
                return Err(ExtractError::DateOutOfRange {
                    table: self.name.clone(),
                    column: name.clone(),
                    file,
                    rows,
                    example,
                    lo,
                    hi,
                });
            }
        }
        Ok(())
    }

    /// The dates of column `name` (at `ci`) of one file of the table outside
    /// `lo32..=hi32` (days since 1970): how many, and the first. Reads the
    /// values only when a row group's statistics are missing or out of
    /// range; a file without the column has none.
    fn dates_outside(
        &self,
        path: &Path,
        ci: usize,
        name: &String,
        (lo32, hi32): (i32, i32),
    ) -> Result<(usize, Option<i32>), ExtractError> {
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::Date32Type;
        use parquet::arrow::ProjectionMask;
        use parquet::file::statistics::Statistics;

        let mut rows = 0usize;
        let mut first: Option<i32> = None;
        let b = self.location.parquet(path)?;
        let meta = b.metadata().clone();
        let Some(leaf) = meta
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.path().parts().first() == Some(name))
        else {
            return Ok((rows, first));
        };
        let suspicious = meta
            .row_groups()
            .iter()
            .any(|rg| match rg.column(leaf).statistics() {
                Some(Statistics::Int32(s)) => match (s.min_opt(), s.max_opt()) {
                    (Some(a), Some(b)) => *a < lo32 || *b > hi32,
                    _ => s.null_count_opt() != Some(rg.num_rows() as u64),
                },
                _ => true,
            });
        if !suspicious {
            return Ok((rows, first));
        }
        let mask = ProjectionMask::roots(meta.file_metadata().schema_descr(), [ci]);
        let reader = b
            .with_projection(mask)
            .build()
            .map_err(|source| ExtractError::Corrupt {
                path: path.to_path_buf(),
                source,
            })?;
        for batch in reader {
            let batch = batch.map_err(|e| ExtractError::Corrupt {
                path: path.to_path_buf(),
                source: parquet::errors::ParquetError::ArrowError(e.to_string()),
            })?;
            let a = batch.column(0).as_primitive::<Date32Type>();
            for i in 0..a.len() {
                if a.is_valid(i) {
                    let v = a.value(i);
                    if v < lo32 || v > hi32 {
                        rows += 1;
                        if first.is_none() {
                            first = Some(v);
                        }
                    }
                }
            }
        }
        Ok((rows, first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int32Array};
    use datafusion::arrow::record_batch::RecordBatch;

    /// Write a one-column Parquet file of `n` rows named `column`.
    fn write(path: &Path, column: &str, n: i32) {
        let values: ArrayRef = Arc::new(Int32Array::from_iter_values(0..n));
        let batch = RecordBatch::try_from_iter([(column, values)]).expect("batch");
        let f = std::fs::File::create(path).expect("create");
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
    }

    #[test]
    fn a_file_rewritten_in_place_is_read_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.parquet");
        let location = ExtractLocation::Local(dir.path().to_path_buf());
        let names = |b: ParquetRecordBatchReaderBuilder<ParquetSource>| -> (Vec<String>, i64) {
            let rows = b.metadata().file_metadata().num_rows();
            let names = b
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            (names, rows)
        };
        write(&path, "a", 3);
        let first = names(location.parquet(&path).expect("open"));
        assert_eq!(first, (vec!["a".to_string()], 3));
        // the second open is served from the cache, and agrees
        assert_eq!(names(location.parquet(&path).expect("open")), first);
        // another schema and length in the same place: its own footer
        write(&path, "bb", 1000);
        assert_eq!(
            names(location.parquet(&path).expect("open")),
            (vec!["bb".to_string()], 1000)
        );
    }
}
