//! An S3-compatible server (`s3s-fs`) in the test process on 127.0.0.1,
//! serving copies of `data-samples/` from a temporary directory, for
//! `tests/object_store.rs` and `tests/ballista.rs`.
//!
//! Buckets served (each a directory of the server's root):
//! - `extract/sample/`: `data-samples/`, with the geography table `areas`
//!   as a prefix of one part (`areas/part-0.parquet`) instead of a file;
//! - `broken/missing/`: `data-samples/` without `recorded_crime.parquet`;
//! - `broken/truncated/`: `data-samples/` with `areas.parquet` cut to half.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The access key the server accepts.
pub const KEY: &str = "pireport-test-key";
/// The secret key the server accepts.
pub const SECRET: &str = "pireport-test-secret";

/// The running server.
pub struct Server {
    /// Its port on 127.0.0.1.
    pub port: u16,
    _root: tempfile::TempDir,
}

/// The repository.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create bucket dir");
    for e in std::fs::read_dir(from).expect("read data-samples") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// Start the server once for the whole test binary.
pub fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        let root = tempfile::tempdir().expect("tempdir");
        let samples = repo().join("data-samples");
        let sample = root.path().join("extract/sample");
        copy_dir(&samples, &sample);
        std::fs::create_dir_all(sample.join("areas")).expect("areas/");
        std::fs::rename(
            sample.join("areas.parquet"),
            sample.join("areas/part-0.parquet"),
        )
        .expect("areas as parts");
        let missing = root.path().join("broken/missing");
        copy_dir(&samples, &missing);
        std::fs::remove_file(missing.join("recorded_crime.parquet")).expect("remove");
        let truncated = root.path().join("broken/truncated");
        copy_dir(&samples, &truncated);
        let areas = std::fs::read(samples.join("areas.parquet")).expect("areas");
        std::fs::write(truncated.join("areas.parquet"), &areas[..areas.len() / 2])
            .expect("truncate");

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let dir = root.path().to_path_buf();
        std::thread::spawn(move || serve(listener, dir));
        Server { port, _root: root }
    })
}

fn serve(listener: std::net::TcpListener, root: PathBuf) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder as ConnBuilder;
    use s3s::auth::SimpleAuth;
    use s3s::service::S3ServiceBuilder;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    rt.block_on(async move {
        let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs root");
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(KEY, SECRET));
        let service = b.build();
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let http = ConnBuilder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
