//! `--data s3://bucket/prefix`: the real binary against an S3-compatible
//! server (`s3s-fs`, [`s3`]) started in this process on 127.0.0.1.
//! Credentials reach the child only through the standard AWS environment
//! variables.

#[path = "common/s3.rs"]
mod s3;

use std::process::{Command, Output};

use s3::{KEY, SECRET, repo, server};

/// `pireport ARGS` with the AWS variables pointing at the server (and
/// `secret` as the secret key).
fn run_with(endpoint: &str, secret: &str, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pireport"));
    c.current_dir(repo());
    for k in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "PIREPORT_BALLISTA",
    ] {
        c.env_remove(k);
    }
    c.env("AWS_ENDPOINT", endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", "us-east-1")
        .args(args);
    c.output().expect("run pireport")
}

fn run(args: &[&str]) -> Output {
    let s = server();
    run_with(&format!("http://127.0.0.1:{}", s.port), SECRET, args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The indicators the error cases compute: one per table family is not
/// needed, errors come before any plan runs.
const ONE: [&str; 2] = ["--indicator", "NI40"];

/// Run `compute` on `data` expecting failure: exit code, stderr, and
/// nothing at `--out`.
fn compute_fails(data: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.csv");
    let out_s = out.to_str().expect("utf-8 path");
    let mut args = vec!["compute", "--data", data, "--out", out_s];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(!out.exists(), "{out_s} written by a failed run");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("read").count(),
        0,
        "nothing written beside --out"
    );
    let err = stderr(&o);
    eprintln!("{data}: exit {:?}\n{err}", o.status.code());
    assert!(
        !err.contains(SECRET),
        "the secret key appears in the message: {err}"
    );
    (o.status.code().unwrap_or(-1), err)
}

#[test]
fn compute_from_s3_matches_the_local_run_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dir.path().join("local.csv");
    let remote = dir.path().join("s3.csv");
    let t = std::time::Instant::now();
    let o = run(&["compute", "--out", local.to_str().expect("utf-8")]);
    let local_s = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "local compute: {}", stderr(&o));
    let t = std::time::Instant::now();
    let o = run(&[
        "compute",
        "--data",
        "s3://extract/sample",
        "--out",
        remote.to_str().expect("utf-8"),
    ]);
    let s3_s = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "s3 compute: {}", stderr(&o));
    eprintln!("compute: local {local_s:.1} s, s3 {s3_s:.1} s");
    let a = std::fs::read(&local).expect("local csv");
    let b = std::fs::read(&remote).expect("s3 csv");
    assert!(a.len() > 1000, "the local run computed rows");
    assert!(a == b, "the s3:// run differs from the local run");
}

#[test]
fn validate_reads_the_manifest_and_tables_from_s3() {
    let o = run(&["validate", "--data", "s3://extract/sample/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn pack_from_s3_records_etags_beside_the_hashes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pack");
    let o = run(&[
        "pack",
        "dom",
        "--data",
        "s3://extract/sample",
        "--region",
        "E12000001",
        "--quarter",
        "2009-10 Q2",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "s3 pack: {}", stderr(&o));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    let m: serde_json::Value = serde_json::from_str(&manifest).expect("json");
    // the hash of the manifest object is the hash of the local file
    let want = {
        use sha2::{Digest, Sha256};
        let bytes = std::fs::read(repo().join("data-samples/manifest.yaml")).expect("manifest");
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(m["inputs"]["data/manifest.yaml"], want.as_str());
    let areas = m["objects"]["data/areas/part-0.parquet"]
        .as_str()
        .expect("an ETag for the geography part");
    assert!(areas.starts_with("etag="), "{areas}");
    assert!(m["inputs"]["data/areas/part-0.parquet"].is_string());
}

#[test]
fn a_missing_bucket_is_named_with_the_fix() {
    let (code, err) = compute_fails("s3://no-such-bucket/sample", &ONE);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("s3://no-such-bucket/sample/"), "{err}");
    assert!(err.contains("the bucket does not exist"), "{err}");
}

#[test]
fn wrong_credentials_are_refused_without_echoing_them() {
    let s = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.csv");
    let o = run_with(
        &format!("http://127.0.0.1:{}", s.port),
        "not-the-secret",
        &[
            "compute",
            "--data",
            "s3://extract/sample",
            "--out",
            out.to_str().expect("utf-8"),
            "--indicator",
            "NI40",
        ],
    );
    let err = stderr(&o);
    eprintln!("wrong secret: exit {:?}\n{err}", o.status.code());
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("s3://extract/sample/"), "{err}");
    assert!(err.contains("refused our credentials"), "{err}");
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    assert!(
        !err.contains("not-the-secret") && !err.contains(KEY),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_missing_table_is_named_with_its_url() {
    let (code, err) = compute_fails("s3://broken/missing", &["--indicator", "NI16"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("recorded_crime"), "{err}");
    assert!(
        err.contains("s3://broken/missing/recorded_crime.parquet"),
        "{err}"
    );
}

#[test]
fn a_truncated_object_is_not_readable_parquet() {
    let (code, err) = compute_fails("s3://broken/truncated", &ONE);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("s3://broken/truncated/areas.parquet is not a readable Parquet file"),
        "{err}"
    );
}

#[test]
fn an_unreachable_endpoint_exits_1() {
    // a port nobody listens on: bound, then released
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.csv");
    let o = run_with(
        &format!("http://127.0.0.1:{port}"),
        SECRET,
        &[
            "compute",
            "--data",
            "s3://extract/sample",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    let err = stderr(&o);
    eprintln!("unreachable: exit {:?}\n{err}", o.status.code());
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("could not be reached"), "{err}");
    assert!(!out.exists());
}
