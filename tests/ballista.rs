//! The Ballista backend (`cargo test --features ballista --test ballista`).
//!
//! With the feature: every indicator computed on an in-process cluster (one
//! scheduler and two executors on loopback, reached over gRPC like a real
//! one) equals the local run exactly: the assessed rows, the LA, region and
//! national aggregates, the CSV the real binary writes, and a whole DOM
//! pack; a scheduler that is not there, does not answer, runs another major
//! version of Ballista, a query that outlives its timeout, and an executor
//! that dies mid-run all fail within a bound, clearly, non-zero, writing
//! nothing.
//! Without the feature: the flag is still parsed and asks for a rebuild.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;
#[cfg(feature = "ballista")]
#[path = "common/s3.rs"]
mod s3;

const BIN: &str = env!("CARGO_BIN_EXE_pireport");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the binary from the repository root with `env` set and the
/// Ballista variables of the caller's environment removed.
fn pireport(args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1270000000")
        .env_remove("PIREPORT_BALLISTA")
        .env_remove("PIREPORT_BALLISTA_CONNECT_TIMEOUT")
        .env_remove("PIREPORT_BALLISTA_QUERY_TIMEOUT")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().expect("run pireport");
    (out, started.elapsed())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[cfg(not(feature = "ballista"))]
#[test]
fn the_flag_asks_for_a_build_with_the_feature() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("results.csv");
    let by_flag = [
        "compute",
        "--ballista",
        "df://127.0.0.1:50050",
        "--out",
        path_arg(&out),
    ];
    let by_env = ["compute", "--out", path_arg(&out)];
    for (args, env) in [
        (&by_flag[..], &[][..]),
        (
            &by_env[..],
            &[("PIREPORT_BALLISTA", "df://127.0.0.1:50050")][..],
        ),
    ] {
        let (o, _) = pireport(args, env);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("--features ballista"), "{err}");
        assert!(err.contains("df://127.0.0.1:50050"), "{err}");
        assert!(!out.exists());
    }
    let pack_out = dir.path().join("pack");
    let (o, _) = pireport(
        &[
            "pack",
            "dom",
            "--region",
            "E12000001",
            "--quarter",
            "2009-10 Q2",
            "--ballista",
            "df://127.0.0.1:50050",
            "--out",
            path_arg(&pack_out),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--features ballista"));
    assert!(!pack_out.exists());
}

#[cfg(feature = "ballista")]
mod cluster {
    use super::*;

    use std::net::TcpListener;
    use std::sync::OnceLock;

    use super::common::files;
    use pireport::Backend;
    use pireport::engine::ballista::{
        BallistaOptions, SchedulerAddress, StandaloneCluster, start_standalone_cluster,
        start_standalone_cluster_with_runtime,
    };

    /// Ballista's and pireport's logs, when PIREPORT_LOG asks for them
    /// (e.g. `PIREPORT_LOG=ballista_scheduler=info`).
    fn logging() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("PIREPORT_LOG"))
            .with_test_writer()
            .try_init();
    }

    const REGION: &str = "E12000001";
    const QUARTER: &str = "2009-10 Q2";

    /// A runtime for the client side, and the cluster (on a runtime of its
    /// own): one per test process, serving until it exits.
    fn cluster() -> &'static (tokio::runtime::Runtime, StandaloneCluster) {
        static CLUSTER: OnceLock<(tokio::runtime::Runtime, StandaloneCluster)> = OnceLock::new();
        CLUSTER.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            // the cluster reads s3:// through a store for the test's
            // in-process S3 server (the stock executor would build it from
            // its AWS_* environment, as env_runtime() does)
            let runtime_env = pireport::engine::env_runtime().expect("runtime env");
            let s3 = super::s3::server();
            let store = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name("extract")
                .with_endpoint(s3.endpoint())
                .with_allow_http(true)
                .with_region("us-east-1")
                .with_access_key_id(super::s3::KEY)
                .with_secret_access_key(super::s3::SECRET)
                .build()
                .expect("s3 store");
            runtime_env.register_object_store(
                &url::Url::parse("s3://extract").expect("url"),
                std::sync::Arc::new(store),
            );
            let cluster = rt
                .block_on(start_standalone_cluster_with_runtime(2, 2, runtime_env))
                .expect("in-process cluster");
            (rt, cluster)
        })
    }

    fn address() -> String {
        cluster().1.scheduler.to_string()
    }

    fn options() -> BallistaOptions {
        BallistaOptions::new(cluster().1.scheduler.clone())
    }

    fn compute(backend: &Backend) -> Result<pireport::Run, pireport::Error> {
        let rt = &cluster().0;
        rt.block_on(pireport::compute_on(
            backend,
            &root().join("indicators"),
            &root().join("data-samples"),
            &[],
        ))
    }

    /// The error and its causes, as the binary prints them.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut s = e.to_string();
        let mut src = e.source();
        while let Some(c) = src {
            s.push_str(&format!("\n  caused by: {c}"));
            src = c.source();
        }
        s
    }

    #[test]
    fn every_indicator_on_the_cluster_equals_the_local_run() {
        let local = compute(&Backend::Local).expect("local run");
        let remote = compute(&Backend::Ballista(options())).expect("cluster run");

        // the whole catalog ran, at every level
        let ids: Vec<&str> = local
            .catalog
            .indicators
            .iter()
            .map(|i| i.def.id.as_str())
            .collect();
        assert!(ids.len() >= 8, "{ids:?}");
        for id in &ids {
            assert!(
                remote.rows.iter().any(|r| r.indicator == *id),
                "no rows for {id}"
            );
        }
        assert!(local.execution.aggregates.len() > 1000);

        // exactly the same figures, in the same order
        assert_eq!(
            remote.execution.aggregates.len(),
            local.execution.aggregates.len()
        );
        for (r, l) in remote
            .execution
            .aggregates
            .iter()
            .zip(&local.execution.aggregates)
        {
            assert_eq!(r, l);
        }
        assert_eq!(remote.execution.periods, local.execution.periods);
        assert_eq!(remote.execution.notes, local.execution.notes);
        assert_eq!(remote.rows.len(), local.rows.len());
        for (r, l) in remote.rows.iter().zip(&local.rows) {
            assert_eq!(r, l);
        }
        assert_eq!(
            remote.session.areas.las.len(),
            local.session.areas.las.len()
        );
        assert_eq!(remote.session.coverage_start, local.session.coverage_start);
        assert_eq!(remote.session.extract_date, local.session.extract_date);

        // and the plans did run as Ballista jobs, under the deadline
        let rt = &cluster().0;
        let ind = remote.catalog.get("NI38").expect("NI38").clone();
        let periods = remote.session.periods(&ind).computed;
        let plan = rt
            .block_on(pireport::engine::plan_indicator(
                &remote.session.ctx,
                &ind,
                &periods,
            ))
            .expect("plan");
        let physical = rt
            .block_on(remote.session.ctx.state().create_physical_plan(&plan))
            .expect("physical plan");
        let shown = datafusion::physical_plan::displayable(physical.as_ref())
            .indent(false)
            .to_string();
        assert!(shown.starts_with("DeadlineExec: timeout=3600s"), "{shown}");
        assert!(shown.contains("DistributedQueryExec"), "{shown}");
    }

    #[test]
    fn the_cluster_reads_an_extract_from_s3() {
        let dir = tempfile::tempdir().expect("temp dir");
        let local = dir.path().join("local.csv");
        let remote = dir.path().join("s3.csv");
        let ids = ["--indicator", "NI16", "--indicator", "NI40"];
        let mut args = vec!["compute", "--out", path_arg(&local)];
        args.extend(ids);
        let (o, local_t) = pireport(&args, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let addr = address();
        let s3 = super::s3::server();
        let endpoint = s3.endpoint();
        let mut args = vec![
            "compute",
            "--ballista",
            &addr,
            "--data",
            "s3://extract/sample",
            "--out",
            path_arg(&remote),
        ];
        args.extend(ids);
        let (o, remote_t) = pireport(
            &args,
            &[
                ("AWS_ENDPOINT", &endpoint),
                ("AWS_ALLOW_HTTP", "true"),
                ("AWS_ACCESS_KEY_ID", super::s3::KEY),
                ("AWS_SECRET_ACCESS_KEY", super::s3::SECRET),
                ("AWS_REGION", "us-east-1"),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        eprintln!(
            "NI16+NI40: local {:.1} s, cluster from s3 {:.1} s",
            local_t.as_secs_f64(),
            remote_t.as_secs_f64()
        );
        let (l, r) = (
            std::fs::read(&local).unwrap(),
            std::fs::read(&remote).unwrap(),
        );
        assert!(l.len() > 1000, "{} bytes", l.len());
        assert!(
            l == r,
            "the CSV from s3 on the cluster differs from the local one"
        );
    }

    #[test]
    fn the_binary_writes_the_same_csv_on_the_cluster() {
        let dir = tempfile::tempdir().expect("temp dir");
        let local = dir.path().join("local.csv");
        let remote = dir.path().join("remote.csv");
        let (o, _) = pireport(&["compute", "--out", path_arg(&local)], &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let addr = address();
        let (o, _) = pireport(
            &["compute", "--ballista", &addr, "--out", path_arg(&remote)],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let (l, r) = (
            std::fs::read(&local).unwrap(),
            std::fs::read(&remote).unwrap(),
        );
        assert!(l.len() > 100_000, "{} bytes", l.len());
        assert!(
            l == r,
            "the CSV from the cluster differs from the local one"
        );

        // the environment variable does the same
        let by_env = dir.path().join("env.csv");
        let (o, _) = pireport(
            &["compute", "--out", path_arg(&by_env)],
            &[("PIREPORT_BALLISTA", &addr)],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(std::fs::read(&by_env).unwrap() == l);
    }

    #[test]
    fn a_pack_built_on_the_cluster_equals_the_local_pack() {
        let dir = tempfile::tempdir().expect("temp dir");
        let build = |out: &Path, extra: &[&str]| {
            let mut args = vec![
                "pack",
                "dom",
                "--region",
                REGION,
                "--quarter",
                QUARTER,
                "--out",
                path_arg(out),
            ];
            args.extend_from_slice(extra);
            let (o, _) = pireport(&args, &[]);
            assert!(o.status.success(), "{}", stderr(&o));
            files(out)
        };
        let addr = address();
        let local = build(&dir.path().join("local"), &[]);
        let remote = build(&dir.path().join("remote"), &["--ballista", &addr]);
        assert!(local.contains_key("index.html") && local.contains_key("pack.xlsx"));
        assert_eq!(
            local.keys().collect::<Vec<_>>(),
            remote.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &local {
            if remote[name] != *bytes {
                let (l, r) = (
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&remote[name]),
                );
                let first = l.lines().zip(r.lines()).find(|(a, b)| a != b);
                panic!("{name} differs: first differing lines {first:?}");
            }
        }
    }

    /// A loopback port nothing listens on.
    fn closed_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        port
    }

    #[test]
    fn an_unreachable_scheduler_fails_at_once_naming_the_address_and_the_fix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = closed_port();
        let addr = format!("df://127.0.0.1:{port}");
        let out = dir.path().join("results.csv");
        let (o, took) = pireport(
            &["compute", "--ballista", &addr, "--out", path_arg(&out)],
            &[],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(took < Duration::from_secs(10), "took {took:?}");
        assert!(
            err.contains(&format!("cannot reach the Ballista scheduler at {addr}")),
            "{err}"
        );
        assert!(
            err.contains(&format!("ballista-scheduler --bind-port {port}")),
            "{err}"
        );
        assert!(err.contains("scripts/ballista-local.sh"), "{err}");
        assert!(err.contains("caused by: Connection refused"), "{err}");
        assert!(!out.exists());

        // a pack too: nothing written
        let pack_out = dir.path().join("pack");
        let (o, took) = pireport(
            &[
                "pack",
                "dom",
                "--region",
                REGION,
                "--quarter",
                QUARTER,
                "--out",
                path_arg(&pack_out),
            ],
            &[("PIREPORT_BALLISTA", &addr)],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(took < Duration::from_secs(10), "took {took:?}");
        assert!(stderr(&o).contains(&addr));
        assert!(!pack_out.exists());
    }

    #[test]
    fn a_scheduler_that_never_answers_fails_within_the_connect_timeout() {
        // accepts connections and holds them open without a word
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in listener.incoming() {
                held.push(s);
            }
        });
        let addr = format!("df://127.0.0.1:{port}");
        let (o, took) = pireport(
            &[
                "compute",
                "--ballista",
                &addr,
                "--ballista-connect-timeout",
                "2",
            ],
            &[],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(took >= Duration::from_secs(2), "took {took:?}");
        assert!(took < Duration::from_secs(15), "took {took:?}");
        assert!(
            err.contains(&format!(
                "the Ballista scheduler at {addr} accepted a connection but did not run a one-row test query within 2 s"
            )),
            "{err}"
        );
        assert!(err.contains("--ballista-connect-timeout"), "{err}");
        assert!(o.stdout.is_empty());
    }

    #[test]
    fn a_query_outliving_its_timeout_fails_the_run() {
        let mut opts = options();
        opts.query_timeout = Duration::from_millis(1);
        let started = Instant::now();
        let Err(e) = compute(&Backend::Ballista(opts)) else {
            panic!("a 1 ms query timeout let the run finish");
        };
        assert!(started.elapsed() < Duration::from_secs(30));
        let text = chain(&e);
        assert!(
            text.contains(&format!(
                "a query on the Ballista cluster at {} did not finish within 0.001 s",
                address()
            )),
            "{text}"
        );
        assert!(text.contains("--ballista-query-timeout"), "{text}");
        assert_eq!(
            e.fault(),
            pireport::Fault::Environment,
            "a cluster failure, not the input's: {e:?}"
        );
    }

    #[test]
    fn bad_addresses_are_the_users_to_fix() {
        for (given, says) in [
            ("localhost:50050", "must start with df://"),
            ("df://", "the host is missing"),
            ("df://h:99999", "`99999` is not a port"),
        ] {
            let (o, took) = pireport(&["compute", "--ballista", given], &[]);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{given}: {err}");
            assert!(took < Duration::from_secs(10));
            assert!(
                err.contains(says) && err.contains("df://HOST:PORT"),
                "{given}: {err}"
            );
        }
        // the parsed form prints back as given
        let a: SchedulerAddress = "df://10.1.2.3:50051".parse().expect("address");
        assert_eq!(a.to_string(), "df://10.1.2.3:50051");
    }

    /// A cluster of its own with `executors` one-slot executors, and a
    /// session on it (connected: the one-row probe ran on an executor; open:
    /// areas, coverage and data quality read on the cluster) whose queries
    /// time out after `query_timeout`. The extract is named by its
    /// canonical path, as `compute_on` names it.
    fn own_cluster_session(
        executors: usize,
        query_timeout: Duration,
    ) -> (
        tokio::runtime::Runtime,
        StandaloneCluster,
        pireport::engine::Session,
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        logging();
        let cluster = rt
            .block_on(start_standalone_cluster(executors, 1))
            .expect("an in-process cluster");
        let mut opts = BallistaOptions::new(cluster.scheduler.clone());
        opts.query_timeout = query_timeout;
        let data = std::fs::canonicalize(root().join("data-samples")).expect("data-samples");
        let (valid, extract) = pireport::load_and_validate(&root().join("indicators"), &data)
            .expect("definitions and extract");
        let ctx = rt
            .block_on(pireport::engine::ballista::connect(&opts))
            .expect("connect");
        let session = rt
            .block_on(pireport::engine::Session::open_with_context(
                ctx,
                std::sync::Arc::new(valid),
                &extract,
            ))
            .expect("session on the cluster");
        (rt, cluster, session)
    }

    /// One of two executors dies mid-run. Ballista may rerun its work on
    /// the survivor once the scheduler declares it dead (after
    /// `STANDALONE_EXECUTOR_TIMEOUT`), fail the job (a task could not read
    /// the dead executor's output), or stall until the query timeout;
    /// whichever happens, pireport must not print a figure that differs
    /// from the local run: the run ends with exactly the local figures, or
    /// fails, non-zero, within the bound, naming the query that failed.
    /// (Under Ballista's static planner the rerun inflated 5,888 of 32,375
    /// figures, which is why jobs use the adaptive planner.)
    #[test]
    fn one_of_two_executors_dying_mid_run_never_changes_a_figure() {
        // a recovery takes the executor timeout (20 s) and then some
        let (rt, mut cluster, session) = own_cluster_session(2, Duration::from_secs(60));

        let (outcome, killed_at, finished_at) = rt.block_on(async {
            let running = async {
                let outcome = session.execute(&[]).await;
                (outcome, Instant::now())
            };
            let killing = async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                assert!(cluster.kill_executor(1), "executor 1 was running");
                Instant::now()
            };
            let ((outcome, finished_at), killed_at) = tokio::join!(running, killing);
            (outcome, killed_at, finished_at)
        });
        assert!(
            finished_at > killed_at,
            "the run ended before the executor was killed: nothing was tested"
        );
        let remote = match outcome.map_err(pireport::Error::from) {
            Ok(remote) => remote,
            Err(e) => {
                // a failure, within the bound: Ballista failed the job, or
                // the query timeout ended a stalled one
                let text = chain(&e);
                let timed_out = text.contains("did not finish within 60 s")
                    && text.contains("one may have died");
                let job_failed = text.contains("Job") && text.contains("failed");
                assert!(
                    text.starts_with("computing ") && (timed_out || job_failed),
                    "{text}"
                );
                assert!(finished_at.duration_since(killed_at) < Duration::from_secs(90));
                eprintln!("the run failed clearly after losing an executor: {text}");
                return;
            }
        };
        eprintln!("the run completed after losing an executor; comparing figures");
        let local = compute(&Backend::Local).expect("local run");
        assert_eq!(remote.aggregates.len(), local.execution.aggregates.len());
        let differing: Vec<String> = remote
            .aggregates
            .iter()
            .zip(&local.execution.aggregates)
            .filter(|(r, l)| r != l)
            .map(|(r, l)| {
                format!(
                    "{} {} {}: cluster {:?} local {:?}",
                    l.indicator, l.period, l.area_code, r.measures, l.measures
                )
            })
            .collect();
        assert!(
            differing.is_empty(),
            "{} of {} figures differ, e.g.\n{}",
            differing.len(),
            local.execution.aggregates.len(),
            differing
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(remote.periods, local.execution.periods);
        drop(cluster);
    }

    /// The run is cut short by the query timeout once the only executor
    /// dies: the scheduler still counts it (it notices only after
    /// `STANDALONE_EXECUTOR_TIMEOUT` without a heartbeat, and then waits as
    /// long again for an executor to come back before failing the job), so
    /// the job's tasks wait for slots that never free up.
    #[test]
    fn an_executor_dying_mid_run_fails_within_the_query_timeout() {
        use pireport::engine::ballista::{BallistaError, Cancellation};

        let (rt, mut cluster, session) = own_cluster_session(1, Duration::from_secs(8));

        // the executor dies a moment into the indicator plans
        let started = Instant::now();
        let outcome = rt.block_on(async {
            let killing = async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert!(cluster.kill_executor(0), "the executor was running");
            };
            let (outcome, ()) = tokio::join!(session.execute(&[]), killing);
            outcome
        });
        let took = started.elapsed();
        let Err(e) = outcome.map_err(pireport::Error::from) else {
            panic!("the run finished with its only executor dead");
        };
        // the timeout, the cancellation (up to 5 s) and slack
        assert!(took >= Duration::from_secs(8), "took {took:?}");
        assert!(took < Duration::from_secs(40), "took {took:?}");
        let text = chain(&e);
        assert!(
            text.contains(&format!(
                "a query on the Ballista cluster at {} did not finish within 8 s",
                cluster.scheduler
            )),
            "{text}"
        );
        assert!(text.contains("one may have died"), "{text}");
        assert_eq!(
            e.fault(),
            pireport::Fault::Environment,
            "a cluster failure, not the input's"
        );

        // the scheduler, still up, was told to drop the job
        let mut cause: Option<&dyn std::error::Error> = Some(&e);
        let mut job = None;
        while let Some(c) = cause {
            if let Some(BallistaError::QueryTimeout { job: j, .. }) = c.downcast_ref() {
                job = Some(j.clone());
            }
            cause = c.source();
        }
        assert!(
            matches!(job, Some(Cancellation::Cancelled(_))),
            "{job:?}: {text}"
        );
        assert!(!cluster.kill_executor(0), "killed once only");

        // and the binary, against the cluster with no live executor, stops
        // within the connect timeout and writes no pack
        let dir = tempfile::tempdir().expect("temp dir");
        let pack_out = dir.path().join("pack");
        let addr = cluster.scheduler.to_string();
        let (o, took) = pireport(
            &[
                "pack",
                "dom",
                "--region",
                REGION,
                "--quarter",
                QUARTER,
                "--ballista",
                &addr,
                "--ballista-connect-timeout",
                "3",
                "--out",
                path_arg(&pack_out),
            ],
            &[],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(took < Duration::from_secs(20), "took {took:?}");
        assert!(
            err.contains("did not run a one-row test query within 3 s")
                && err.contains("at least one executor registered"),
            "{err}"
        );
        assert!(!pack_out.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        drop(cluster);
    }
}

/// A stand-in for a scheduler of another major version of Ballista: it
/// answers a job submission as such a scheduler would, and records what it
/// was asked to cancel.
#[cfg(feature = "ballista")]
mod other_version {
    use super::*;

    use std::pin::Pin;
    use std::sync::{Arc, Mutex};

    use ballista_core::serde::protobuf::scheduler_grpc_server::{
        SchedulerGrpc, SchedulerGrpcServer,
    };
    use ballista_core::serde::protobuf::*;
    use tonic::{Request, Response, Status};

    /// How the stand-in answers a job submission.
    #[derive(Clone, Copy, Debug)]
    enum Answer {
        /// Accepts it, sending this version back (an older scheduler, which
        /// sends none, does not check the client's).
        Accepts(Option<&'static str>),
        /// Refuses it as a scheduler of this version refuses a client of
        /// another major version.
        Refuses(&'static str),
    }

    #[derive(Clone)]
    struct Scheduler {
        answer: Answer,
        cancelled: Arc<Mutex<Vec<String>>>,
    }

    type Reply<T> = Result<Response<T>, Status>;

    fn unused<T>() -> Reply<T> {
        Err(Status::unimplemented("not part of a job submission"))
    }

    #[tonic::async_trait]
    impl SchedulerGrpc for Scheduler {
        type ExecuteQueryPushStream = Pin<
            Box<dyn futures::Stream<Item = Result<GetJobStatusResult, Status>> + Send + 'static>,
        >;

        async fn execute_query(
            &self,
            request: Request<ExecuteQueryParams>,
        ) -> Reply<ExecuteQueryResult> {
            let client = ballista_core::version::version_from_metadata(request.metadata())
                .map(str::to_string);
            match self.answer {
                Answer::Refuses(ours) => {
                    let message =
                        ballista_core::version::check_compatibility(client.as_deref(), Some(ours))
                            .expect_err("a client of another major version");
                    Err(Status::failed_precondition(message))
                }
                Answer::Accepts(version) => {
                    let session_id = request.into_inner().session_id;
                    let mut response = Response::new(ExecuteQueryResult {
                        operation_id: String::new(),
                        result: Some(execute_query_result::Result::Success(
                            ExecuteQuerySuccessResult {
                                job_id: "job-of-another-version".to_string(),
                                session_id,
                            },
                        )),
                    });
                    if let Some(v) = version {
                        response.metadata_mut().insert(
                            ballista_core::version::BALLISTA_VERSION_HEADER,
                            v.parse().expect("header value"),
                        );
                    }
                    Ok(response)
                }
            }
        }

        async fn cancel_job(&self, request: Request<CancelJobParams>) -> Reply<CancelJobResult> {
            self.cancelled
                .lock()
                .expect("lock")
                .push(request.into_inner().job_id);
            Ok(Response::new(CancelJobResult { cancelled: true }))
        }

        async fn execute_query_push(
            &self,
            _: Request<ExecuteQueryParams>,
        ) -> Reply<Self::ExecuteQueryPushStream> {
            unused()
        }
        async fn poll_work(&self, _: Request<PollWorkParams>) -> Reply<PollWorkResult> {
            unused()
        }
        async fn register_executor(
            &self,
            _: Request<RegisterExecutorParams>,
        ) -> Reply<RegisterExecutorResult> {
            unused()
        }
        async fn heart_beat_from_executor(
            &self,
            _: Request<HeartBeatParams>,
        ) -> Reply<HeartBeatResult> {
            unused()
        }
        async fn update_task_status(
            &self,
            _: Request<UpdateTaskStatusParams>,
        ) -> Reply<UpdateTaskStatusResult> {
            unused()
        }
        async fn create_update_session(
            &self,
            _: Request<CreateUpdateSessionParams>,
        ) -> Reply<CreateUpdateSessionResult> {
            unused()
        }
        async fn remove_session(
            &self,
            _: Request<RemoveSessionParams>,
        ) -> Reply<RemoveSessionResult> {
            unused()
        }
        async fn get_job_status(
            &self,
            _: Request<GetJobStatusParams>,
        ) -> Reply<GetJobStatusResult> {
            unused()
        }
        async fn get_job_metrics(
            &self,
            _: Request<GetJobMetricsParams>,
        ) -> Reply<GetJobMetricsResult> {
            unused()
        }
        async fn executor_stopped(
            &self,
            _: Request<ExecutorStoppedParams>,
        ) -> Reply<ExecutorStoppedResult> {
            unused()
        }
        async fn clean_job_data(
            &self,
            _: Request<CleanJobDataParams>,
        ) -> Reply<CleanJobDataResult> {
            unused()
        }
    }

    #[test]
    fn a_scheduler_of_another_major_version_is_refused_naming_the_version_to_run() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        for (answer, says, cancels) in [
            (Answer::Accepts(Some("54.1.0")), "scheduler 54.1.0", true),
            (Answer::Accepts(None), "scheduler older than 55.0.0", true),
            (Answer::Refuses("56.0.0"), "scheduler 56.0.0", false),
        ] {
            let scheduler = Scheduler {
                answer,
                cancelled: Arc::default(),
            };
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind");
            let port = listener.local_addr().expect("addr").port();
            let serving = rt.spawn(
                tonic::transport::Server::builder()
                    .add_service(SchedulerGrpcServer::new(scheduler.clone()))
                    .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
            );
            let dir = tempfile::tempdir().expect("temp dir");
            let out = dir.path().join("results.csv");
            let addr = format!("df://127.0.0.1:{port}");
            let (o, took) = pireport(
                &["compute", "--ballista", &addr, "--out", path_arg(&out)],
                &[],
            );
            serving.abort();
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{answer:?}: {err}");
            assert!(took < Duration::from_secs(15), "{answer:?}: took {took:?}");
            assert!(
                err.contains(&format!(
                    "the Ballista scheduler at {addr} runs another major version than this pireport (Ballista 55.0.0)"
                )),
                "{answer:?}: {err}"
            );
            assert!(
                err.contains("cargo install ballista-scheduler ballista-executor --version 55.0.0"),
                "{answer:?}: {err}"
            );
            assert!(
                err.contains(says) && err.contains("client 55.0.0"),
                "{answer:?}: {err}"
            );
            assert!(!out.exists());
            // a scheduler too old to check versions had queued the job
            let cancelled = scheduler.cancelled.lock().expect("lock").clone();
            let expected: Vec<String> = if cancels {
                vec!["job-of-another-version".to_string()]
            } else {
                vec![]
            };
            assert_eq!(cancelled, expected, "{answer:?}");
        }
    }
}
