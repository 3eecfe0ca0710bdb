//! Extracts in object storage: `--data s3://bucket/prefix` (or `gs://`,
//! `az://`). The store is DataFusion's own `object_store`, built from each
//! cloud's standard environment variables (never from flags); the same
//! store is registered on the run's `RuntimeEnv` so the engine reads the
//! tables as listing tables over the URL.
//!
//! The checks that run before the engine (schemas, dates, the calendar and
//! geography codes, the manifest) are synchronous: they read objects
//! through [`RemoteFile`], a Parquet [`ChunkReader`] doing ranged `GET`s on
//! a small runtime of its own, so only footers and the columns read are
//! fetched.

use std::fmt;
use std::future::Future;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::file::reader::{ChunkReader, Length};
use url::Url;

use super::ExtractError;

/// What went wrong talking to the object store, for the message and the
/// exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFailure {
    /// The bucket (container) does not exist.
    NoBucket,
    /// The credentials were refused.
    Credentials,
    /// The endpoint could not be reached (not the input's fault).
    Unreachable,
}

impl fmt::Display for RemoteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemoteFailure::NoBucket => {
                "the bucket does not exist: check the bucket name in --data (and AWS_ENDPOINT / AWS_REGION, or the gs:// / az:// account, for the store it lives in)"
            }
            RemoteFailure::Credentials => {
                "the store refused our credentials: set the cloud's standard variables (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE; GOOGLE_SERVICE_ACCOUNT; AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY) to an identity allowed to list and read it"
            }
            RemoteFailure::Unreachable => {
                "the object store could not be reached: check the network and AWS_ENDPOINT (or the cloud's endpoint), then retry"
            }
        })
    }
}

/// An extract in an object store: the store, the URL of the extract
/// (ending in `/`) and the key prefix under which its tables are.
pub struct RemoteExtract {
    /// `scheme://bucket/prefix/`.
    pub url: Url,
    /// `scheme://bucket`, the key DataFusion finds the store under.
    pub store_url: Url,
    /// The store (clients for each cloud from `object_store`).
    pub store: Arc<dyn ObjectStore>,
    /// Key prefix of the extract inside the bucket (may be empty).
    pub prefix: ObjPath,
}

impl fmt::Debug for RemoteExtract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // never the store's Debug: it holds the credentials
        f.debug_struct("RemoteExtract")
            .field("url", &self.url.as_str())
            .finish()
    }
}

/// Whether `--data` names an object store URL rather than a directory.
pub fn is_url(text: &str) -> bool {
    [
        "s3://", "s3a://", "gs://", "az://", "abfs://", "abfss://", "file://",
    ]
    .iter()
    .any(|s| text.starts_with(s))
}

/// A small runtime, alive for the whole process, for the synchronous reads
/// the checks do (they may be called from inside another runtime).
fn io_runtime() -> Result<&'static tokio::runtime::Runtime, ExtractError> {
    static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pireport-objstore")
            .enable_all()
            .build()
            .ok()
    })
    .as_ref()
    .ok_or(ExtractError::Runtime)
}

/// Run `fut` on the I/O runtime and wait for it (from any thread, inside a
/// runtime or not).
pub fn block<F>(fut: F) -> Result<F::Output, ExtractError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = io_runtime()?;
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().map_err(|_| ExtractError::Runtime)
}

/// Build the store for `url` from the environment of its cloud.
fn build_store(url: &Url) -> Result<Arc<dyn ObjectStore>, ExtractError> {
    use object_store::RetryConfig;
    // fail within seconds, not minutes, when the endpoint is down
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: std::time::Duration::from_secs(20),
        ..RetryConfig::default()
    };
    let bad = |e: object_store::Error| ExtractError::StoreConfig {
        url: url.to_string(),
        message: e.to_string(),
    };
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "s3" | "s3a" => Arc::new(
            object_store::aws::AmazonS3Builder::from_env()
                .with_url(url.as_str())
                .with_retry(retry)
                .build()
                .map_err(bad)?,
        ),
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry)
                .build()
                .map_err(bad)?,
        ),
        "az" | "abfs" | "abfss" => Arc::new(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry)
                .build()
                .map_err(bad)?,
        ),
        other => {
            return Err(ExtractError::StoreConfig {
                url: url.to_string(),
                message: format!(
                    "unsupported scheme `{other}`: use s3://, gs://, az:// or file://"
                ),
            });
        }
    };
    Ok(store)
}

/// Classify an `object_store` error on `url`.
pub fn store_error(url: &str, e: object_store::Error) -> ExtractError {
    use object_store::Error as E;
    let text = e.to_string();
    let failure = match &e {
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => RemoteFailure::Credentials,
        E::NotFound { .. } => RemoteFailure::NoBucket,
        // S3-compatible servers answer a bad signature with 403 and some
        // error text; anything else is the network or the service
        _ if text.contains("SignatureDoesNotMatch")
            || text.contains("InvalidAccessKeyId")
            || text.contains("AccessDenied") =>
        {
            RemoteFailure::Credentials
        }
        _ if text.contains("NoSuchBucket") => RemoteFailure::NoBucket,
        _ => RemoteFailure::Unreachable,
    };
    ExtractError::Remote {
        url: url.to_string(),
        failure,
        // the store's own text for the network only: a refusal's body can
        // echo the access key id
        detail: (failure == RemoteFailure::Unreachable).then_some(text),
    }
}

impl RemoteExtract {
    /// Resolve `text` (`s3://bucket/prefix`) and check that the bucket
    /// answers and holds something under the prefix.
    pub fn open(text: &str) -> Result<RemoteExtract, ExtractError> {
        let mut url = Url::parse(text).map_err(|e| ExtractError::StoreConfig {
            url: text.to_string(),
            message: e.to_string(),
        })?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ExtractError::StoreConfig {
                url: text.to_string(),
                message: "no bucket: write scheme://BUCKET/PREFIX".into(),
            });
        }
        if !url.path().ends_with('/') {
            let p = format!("{}/", url.path());
            url.set_path(&p);
        }
        let mut store_url = url.clone();
        store_url.set_path("");
        let store = build_store(&url)?;
        let prefix = ObjPath::from_url_path(url.path()).map_err(|e| ExtractError::StoreConfig {
            url: url.to_string(),
            message: e.to_string(),
        })?;
        let r = RemoteExtract {
            url,
            store_url,
            store,
            prefix,
        };
        let (store, prefix) = (r.store.clone(), r.prefix.clone());
        let listed = block(async move {
            store
                .list_with_delimiter((!prefix.as_ref().is_empty()).then_some(&prefix))
                .await
        })?
        .map_err(|e| store_error(r.url.as_str(), e))?;
        if listed.objects.is_empty() && listed.common_prefixes.is_empty() {
            return Err(ExtractError::NoDirectory {
                dir: PathBuf::from(r.url.as_str()),
            });
        }
        Ok(r)
    }

    /// The key of `name` under the extract.
    pub fn key(&self, name: &str) -> ObjPath {
        self.prefix.clone().join(name)
    }

    /// The URL of `name` under the extract, as a path for messages and
    /// for DataFusion's registration.
    pub fn url_of(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("{}{name}", self.url))
    }

    /// The key of a URL made by [`RemoteExtract::url_of`].
    pub fn key_of(&self, path: &std::path::Path) -> ObjPath {
        let s = path.to_string_lossy();
        let rest = s.strip_prefix(self.url.as_str()).unwrap_or(&s);
        let mut key = self.prefix.clone();
        for part in rest.split('/').filter(|p| !p.is_empty()) {
            key = key.join(part);
        }
        key
    }

    /// The object's size, ETag and version, `None` when there is none.
    pub fn head(&self, key: &ObjPath) -> Result<Option<object_store::ObjectMeta>, ExtractError> {
        let (store, k) = (self.store.clone(), key.clone());
        match block(async move { store.head(&k).await })? {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(&self.display(key), e)),
        }
    }

    /// The `.parquet` objects directly under `dir/` (a table of parts).
    pub fn list_parts(&self, dir: &ObjPath) -> Result<Vec<object_store::ObjectMeta>, ExtractError> {
        let (store, d) = (self.store.clone(), dir.clone());
        let listed = block(async move { store.list_with_delimiter(Some(&d)).await })?
            .map_err(|e| store_error(&self.display(dir), e))?;
        let mut parts: Vec<_> = listed
            .objects
            .into_iter()
            .filter(|m| m.location.extension() == Some("parquet"))
            .collect();
        parts.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(parts)
    }

    /// Whether anything lies under `dir/`.
    pub fn has_prefix(&self, dir: &ObjPath) -> Result<bool, ExtractError> {
        let (store, d) = (self.store.clone(), dir.clone());
        let listed = block(async move { store.list_with_delimiter(Some(&d)).await })?
            .map_err(|e| store_error(&self.display(dir), e))?;
        Ok(!listed.objects.is_empty() || !listed.common_prefixes.is_empty())
    }

    /// A whole (small) object, refused above `max` bytes.
    pub fn read_small(&self, key: &ObjPath, max: u64) -> Result<Option<Bytes>, String> {
        let Some(meta) = self.head(key).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if meta.size > max {
            return Err(format!("{} bytes, more than the {max} allowed", meta.size));
        }
        let (store, k) = (self.store.clone(), key.clone());
        let got = block(async move {
            match store.get(&k).await {
                Ok(r) => r.bytes().await,
                Err(e) => Err(e),
            }
        })
        .map_err(|e| e.to_string())?;
        got.map(Some)
            .map_err(|e| store_error(&self.display(key), e).to_string())
    }

    /// SHA-256 of an object, streamed, with its ETag and version.
    pub fn sha256(&self, key: &ObjPath) -> Result<(String, ObjectVersion), ExtractError> {
        use sha2::{Digest, Sha256};
        let (store, k) = (self.store.clone(), key.clone());
        let got = block(async move {
            let r = store.get(&k).await?;
            let meta = r.meta.clone();
            let mut stream = r.into_stream();
            let mut h = Sha256::new();
            while let Some(chunk) = stream.next().await {
                h.update(&chunk?);
            }
            Ok::<_, object_store::Error>((h.finalize(), meta))
        })?
        .map_err(|e| store_error(&self.display(key), e))?;
        let (digest, meta) = got;
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok((
            hex,
            ObjectVersion {
                e_tag: meta.e_tag,
                version: meta.version,
            },
        ))
    }

    /// The URL of a key, for messages.
    pub fn display(&self, key: &ObjPath) -> String {
        let mut u = self.store_url.clone();
        u.set_path(key.as_ref());
        u.to_string()
    }
}

/// What identifies one state of an object besides its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The object's ETag, as the store gives it.
    pub e_tag: Option<String>,
    /// The object's version id, on a versioned bucket.
    pub version: Option<String>,
}

impl fmt::Display for ObjectVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(e) = &self.e_tag {
            parts.push(format!("etag={}", e.trim_matches('"')));
        }
        if let Some(v) = &self.version {
            parts.push(format!("version={v}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// One Parquet object read by ranged `GET`s, for Parquet's synchronous
/// readers.
#[derive(Clone)]
pub struct RemoteFile {
    store: Arc<dyn ObjectStore>,
    key: ObjPath,
    size: u64,
}

impl RemoteFile {
    /// The object at `key`, `size` bytes long.
    pub fn new(store: Arc<dyn ObjectStore>, key: ObjPath, size: u64) -> RemoteFile {
        RemoteFile { store, key, size }
    }

    fn range(&self, start: u64, end: u64) -> parquet::errors::Result<Bytes> {
        use parquet::errors::ParquetError;
        if end > self.size || start > end {
            return Err(ParquetError::EOF(format!(
                "range {start}..{end} beyond the object's {} bytes",
                self.size
            )));
        }
        let (store, key) = (self.store.clone(), self.key.clone());
        block(async move { store.get_range(&key, start..end).await })
            .map_err(|e| ParquetError::External(Box::new(e)))?
            .map_err(|e| ParquetError::External(Box::new(e)))
    }
}

impl Length for RemoteFile {
    fn len(&self) -> u64 {
        self.size
    }
}

impl ChunkReader for RemoteFile {
    type T = Cursor<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(Cursor::new(self.range(start, self.size)?))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.range(start, start.saturating_add(length as u64))
    }
}

/// An object-store registry that builds the store of an `s3://`, `gs://`
/// or `az://` URL on first use, from the cloud's environment variables,
/// and otherwise behaves as DataFusion's default (local files). Ballista's
/// scheduler and executors use it: they meet the extract's URLs only in
/// the plans they receive, not through [`ExtractLocation::register_store`](super::ExtractLocation::register_store).
#[cfg(feature = "ballista")]
#[derive(Debug, Default)]
pub struct EnvObjectStoreRegistry {
    inner: datafusion::execution::object_store::DefaultObjectStoreRegistry,
}

#[cfg(feature = "ballista")]
impl EnvObjectStoreRegistry {
    /// A registry knowing only local files until a cloud URL is asked for.
    pub fn new() -> EnvObjectStoreRegistry {
        EnvObjectStoreRegistry::default()
    }
}

#[cfg(feature = "ballista")]
impl datafusion::execution::object_store::ObjectStoreRegistry for EnvObjectStoreRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::common::Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::common::Result<Arc<dyn ObjectStore>> {
        if let Ok(s) = self.inner.get_store(url) {
            return Ok(s);
        }
        if is_url(url.as_str()) && url.scheme() != "file" {
            let store = build_store(url)
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            let mut key = url.clone();
            key.set_path("");
            self.inner.register_store(&key, store.clone());
            return Ok(store);
        }
        self.inner.get_store(url)
    }
}

/// A runtime environment whose object stores come from
/// [`EnvObjectStoreRegistry`].
#[cfg(feature = "ballista")]
pub fn env_runtime()
-> datafusion::common::Result<Arc<datafusion::execution::runtime_env::RuntimeEnv>> {
    datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(EnvObjectStoreRegistry::new()))
        .build_arc()
}
