//! Running the compiled indicator plans on an Apache DataFusion Ballista
//! cluster instead of the local context (cargo feature `ballista`).
//!
//! [`connect`] returns a `SessionContext` whose queries are planned here
//! and executed by the cluster: every `collect` becomes a Ballista job, so
//! [`Session::open_with_context`](super::Session::open_with_context) and
//! `Session::execute` run unchanged on it. Connecting checks, within the
//! connect timeout, that the scheduler accepts connections and runs a
//! one-row query (which needs a scheduler of our major version and at
//! least one executor); every later query is bounded by the query timeout
//! and its job cancelled when the timeout fires (module `deadline`).
//!
//! The executors (and the scheduler, which plans the scans) read the
//! extract's Parquet files themselves, so the tables must be registered
//! under paths they can reach: `crate::compute_on` canonicalises the data
//! directory, and a real cluster needs it mounted at the same path.
//!
//! [`start_standalone_cluster`] starts a scheduler and executors inside
//! this process, on loopback, for the tests and for trying the feature
//! without a cluster.

mod deadline;
mod standalone;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::config::{
    BALLISTA_ADAPTIVE_PLANNER_ENABLED, BALLISTA_CLIENT_GRPC_CONNECT_TIMEOUT_SECONDS,
    BALLISTA_CLIENT_GRPC_TIMEOUT_SECONDS, BALLISTA_CLIENT_PULL,
};
use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use datafusion::arrow::array::{Array, Int64Array};
use datafusion::error::DataFusionError;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::{LogicalPlanBuilder, lit};
use datafusion::prelude::SessionContext;

pub use standalone::{
    StandaloneCluster, start_standalone_cluster, start_standalone_cluster_with_runtime,
};

/// The Ballista version this build's client speaks; scheduler and
/// executors must have the same major version.
pub const BALLISTA_VERSION: &str = ballista_core::BALLISTA_VERSION;

/// The port Ballista schedulers listen on unless told otherwise.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// How long [`connect`] waits for the scheduler by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one query may run on the cluster by default.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(3600);

/// How much longer than the connect timeout Ballista's gRPC client waits
/// for a connection or a response's headers.
const GRPC_TIMEOUT_MARGIN_SECS: u64 = 5;

/// Errors of running on a Ballista cluster.
#[derive(Debug, thiserror::Error)]
pub enum BallistaError {
    /// The scheduler address is not of the form `df://HOST:PORT`.
    #[error(
        "`{given}` is not a Ballista scheduler address: {problem}; write df://HOST:PORT, e.g. df://10.0.0.5:50050"
    )]
    Address {
        /// What was given.
        given: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Nothing accepts connections at the address.
    #[error(
        "cannot reach the Ballista scheduler at {address}: start one there (`ballista-scheduler --bind-port {port}`, or scripts/ballista-local.sh for a loopback cluster) or pass the right address with --ballista / PIREPORT_BALLISTA",
        port = address.port
    )]
    Unreachable {
        /// The scheduler.
        address: SchedulerAddress,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TCP connection was not established within the connect timeout.
    #[error(
        "no connection to the Ballista scheduler at {address} within {} s: check the host, port and firewall, or raise --ballista-connect-timeout",
        after.as_secs_f64()
    )]
    ConnectTimeout {
        /// The scheduler.
        address: SchedulerAddress,
        /// The timeout.
        after: Duration,
    },
    /// The scheduler accepted the connection but did not run a one-row
    /// query in time: no executor, executors of another version, or not a
    /// Ballista scheduler at all.
    #[error(
        "the Ballista scheduler at {address} accepted a connection but did not run a one-row test query within {} s: check that it is a Ballista {BALLISTA_VERSION} scheduler with at least one executor registered (executors of another version are refused), or raise --ballista-connect-timeout",
        after.as_secs_f64()
    )]
    NoAnswer {
        /// The scheduler.
        address: SchedulerAddress,
        /// The timeout.
        after: Duration,
    },
    /// The scheduler runs another major version of Ballista.
    #[error(
        "the Ballista scheduler at {address} runs another major version than this pireport (Ballista {BALLISTA_VERSION}): run scheduler and executors {BALLISTA_VERSION} (`cargo install ballista-scheduler ballista-executor --version {BALLISTA_VERSION} --locked`)"
    )]
    VersionMismatch {
        /// The scheduler.
        address: SchedulerAddress,
        /// What the Ballista client reported.
        #[source]
        source: DataFusionError,
    },
    /// The one-row test query failed for another reason.
    #[error("the Ballista scheduler at {address} failed a one-row test query")]
    Probe {
        /// The scheduler.
        address: SchedulerAddress,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
    /// The one-row test query came back with another answer.
    #[error("the Ballista scheduler at {address} answered a one-row test query with {answer}")]
    WrongAnswer {
        /// The scheduler.
        address: SchedulerAddress,
        /// What came back.
        answer: String,
    },
    /// A query ran longer than the query timeout.
    #[error(
        "a query on the Ballista cluster at {address} did not finish within {} s ({job}): raise --ballista-query-timeout, or check the executors (one may have died or the cluster may be busy)",
        after.as_secs_f64()
    )]
    QueryTimeout {
        /// The scheduler.
        address: SchedulerAddress,
        /// The timeout.
        after: Duration,
        /// What became of its job.
        job: Cancellation,
    },
    /// The in-process scheduler or an executor could not start.
    #[error("cannot start the in-process Ballista {part}")]
    Standalone {
        /// Which part.
        part: &'static str,
        /// The cause.
        #[source]
        source: ballista_core::error::BallistaError,
    },
    /// The Ballista session could not be set up.
    #[error("cannot set up a Ballista session for {address}")]
    Session {
        /// The scheduler.
        address: SchedulerAddress,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
}

impl BallistaError {
    /// Whether the user's input (the address, or what runs there) is at
    /// fault rather than a failure while running (exit code 2 against 1).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            BallistaError::Address { .. }
                | BallistaError::Unreachable { .. }
                | BallistaError::VersionMismatch { .. }
        )
    }
}

/// The [`BallistaError`] behind a query's error, if any (a query timeout
/// reaches the caller wrapped in DataFusion's errors).
pub fn cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a BallistaError> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<BallistaError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// What became of the job of a query that timed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancellation {
    /// The scheduler cancelled it.
    Cancelled(String),
    /// Asking the scheduler to cancel it failed (see the log); it may run on.
    NotCancelled(String),
    /// The scheduler had not accepted it yet.
    NotSubmitted,
}

impl fmt::Display for Cancellation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cancellation::Cancelled(job) => write!(f, "job {job} cancelled"),
            Cancellation::NotCancelled(job) => {
                write!(f, "job {job} could not be cancelled and may run on")
            }
            Cancellation::NotSubmitted => write!(f, "not yet submitted"),
        }
    }
}

/// A Ballista scheduler's address, written `df://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerAddress {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// gRPC port.
    pub port: u16,
}

impl SchedulerAddress {
    /// The URL Ballista's gRPC client connects to.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.host_port())
    }

    fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for SchedulerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "df://{}", self.host_port())
    }
}

impl FromStr for SchedulerAddress {
    type Err = BallistaError;

    /// Parse `df://HOST:PORT` (the port defaults to 50050).
    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| BallistaError::Address {
            given: given.to_string(),
            problem: problem.to_string(),
        };
        let rest = given
            .trim()
            .strip_prefix("df://")
            .ok_or_else(|| bad("it must start with df://"))?
            .trim_end_matches('/');
        if rest.contains('/') || rest.contains('@') || rest.contains('?') {
            return Err(bad("only a host and a port may follow df://"));
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address needs its closing `]`"))?;
            match after {
                "" => (host, None),
                _ => (
                    host,
                    Some(
                        after
                            .strip_prefix(':')
                            .ok_or_else(|| bad("expected `:PORT` after `]`"))?,
                    ),
                ),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                Some(_) => {
                    return Err(bad(
                        "write an IPv6 address in brackets, e.g. df://[::1]:50050",
                    ));
                }
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(bad("the host is missing"));
        }
        let port = match port {
            None => DEFAULT_SCHEDULER_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(bad(&format!("`{p}` is not a port (1-65535)"))),
            },
        };
        Ok(SchedulerAddress {
            host: host.to_string(),
            port,
        })
    }
}

/// Where the cluster is and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallistaOptions {
    /// The scheduler.
    pub scheduler: SchedulerAddress,
    /// Bound on reaching the scheduler and running the one-row test query.
    pub connect_timeout: Duration,
    /// Bound on each query; its job is cancelled when it fires.
    pub query_timeout: Duration,
}

impl BallistaOptions {
    /// Options for `scheduler` with the default timeouts.
    pub fn new(scheduler: SchedulerAddress) -> Self {
        BallistaOptions {
            scheduler,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
        }
    }
}

/// Whether `ctx` was configured for Ballista (its options carry
/// Ballista's configuration), so its queries run on the cluster.
pub fn is_ballista(ctx: &SessionContext) -> bool {
    ctx.state()
        .config()
        .options()
        .extensions
        .get::<ballista_core::config::BallistaConfig>()
        .is_some()
}

/// Connect to the scheduler and return a context whose queries run on the
/// cluster, each bounded by the query timeout. Fails within about the
/// connect timeout when the scheduler is unreachable, silent, of another
/// major version, or has no executor.
pub async fn connect(options: &BallistaOptions) -> Result<SessionContext, BallistaError> {
    let address = &options.scheduler;
    check_reachable(address, options.connect_timeout).await?;
    let state = ballista_state(options)?;
    probe(&state, address, options.connect_timeout).await?;
    let planner = deadline::DeadlinePlanner::new(
        state.query_planner().clone(),
        address.clone(),
        options.query_timeout,
    );
    let state = SessionStateBuilder::new_from_existing(state)
        .with_query_planner(Arc::new(planner))
        .build();
    Ok(SessionContext::new_with_state(state))
}

/// Open (and close) a TCP connection, so a wrong address fails at once.
async fn check_reachable(
    address: &SchedulerAddress,
    timeout: Duration,
) -> Result<(), BallistaError> {
    let connecting = tokio::net::TcpStream::connect((address.host.as_str(), address.port));
    match tokio::time::timeout(timeout, connecting).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(source)) => Err(BallistaError::Unreachable {
            address: address.clone(),
            source,
        }),
        Err(_) => Err(BallistaError::ConnectTimeout {
            address: address.clone(),
            after: timeout,
        }),
    }
}

/// The local configuration ([`super::session_config`]) with Ballista's
/// settings, upgraded to plan every query as a Ballista job. Ballista's own
/// gRPC timeouts are set a little beyond the connect timeout, so a silent
/// scheduler is reported by [`probe`] rather than as a transport error.
/// The client polls the job's status (every 50 ms) rather than waiting on
/// a pushed stream: the job id is then known from submission, so a query
/// that times out can be cancelled, and a scheduler that dies is noticed
/// at the next poll.
///
/// Jobs are planned by Ballista's adaptive planner (its default, set here
/// so that a scheduler configured otherwise does not change it). Its static
/// planner reruns a dead executor's tasks, but in Ballista 55.0.0 that
/// recovery can count shuffle output twice: on the in-process cluster of
/// `tests/ballista.rs` 5,888 of 32,375 figures came out inflated (NI16
/// crimes 46 against 25) after one of two executors died. Under the
/// adaptive planner a job that lost an executor has, in every run we made,
/// completed with the local figures, been failed by Ballista (a task could
/// not read the dead executor's output), or stalled until the query
/// timeout failed the run; the test checks that no figure ever changes.
fn ballista_state(options: &BallistaOptions) -> Result<SessionState, BallistaError> {
    let secs = options.connect_timeout.as_secs() + GRPC_TIMEOUT_MARGIN_SECS;
    let config = super::session_config()
        .upgrade_for_ballista()
        .set_u64(BALLISTA_CLIENT_GRPC_CONNECT_TIMEOUT_SECONDS, secs)
        .set_u64(BALLISTA_CLIENT_GRPC_TIMEOUT_SECONDS, secs)
        .set_bool(BALLISTA_CLIENT_PULL, true)
        .set_bool(BALLISTA_ADAPTIVE_PLANNER_ENABLED, true);
    SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build()
        .upgrade_for_ballista(options.scheduler.grpc_url())
        .map_err(|source| BallistaError::Session {
            address: options.scheduler.clone(),
            source,
        })
}

/// Run `SELECT 1` as a job, bounded by `timeout`.
async fn probe(
    state: &SessionState,
    address: &SchedulerAddress,
    timeout: Duration,
) -> Result<(), BallistaError> {
    let failed = |source| classify_probe_error(address, source);
    let plan = LogicalPlanBuilder::empty(true)
        .project(vec![lit(1i64).alias("probe")])
        .and_then(|b| b.build())
        .map_err(failed)?;
    let physical = state.create_physical_plan(&plan).await.map_err(failed)?;
    let running = datafusion::physical_plan::collect(physical.clone(), state.task_ctx());
    let batches = match tokio::time::timeout(timeout, running).await {
        Ok(result) => result.map_err(failed)?,
        Err(_) => {
            deadline::cancel_job(physical.as_ref(), address).await;
            return Err(BallistaError::NoAnswer {
                address: address.clone(),
                after: timeout,
            });
        }
    };
    let values: Vec<i64> = batches
        .iter()
        .filter_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>())
        .flat_map(|a| (0..a.len()).map(|i| a.value(i)).collect::<Vec<_>>())
        .collect();
    if values == [1] {
        Ok(())
    } else {
        Err(BallistaError::WrongAnswer {
            address: address.clone(),
            answer: format!("{values:?} instead of [1]"),
        })
    }
}

/// Tell a version mismatch (reported by the client's check of the
/// scheduler's version header, or by the scheduler's check of ours) from
/// other failures.
fn classify_probe_error(address: &SchedulerAddress, source: DataFusionError) -> BallistaError {
    let text = source.to_string();
    if text.contains("same major version") || text.contains("ballista-version") {
        BallistaError::VersionMismatch {
            address: address.clone(),
            source,
        }
    } else {
        BallistaError::Probe {
            address: address.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SchedulerAddress, String> {
        s.parse::<SchedulerAddress>().map_err(|e| e.to_string())
    }

    #[test]
    fn addresses_parse_and_print_back() {
        let a = parse("df://10.0.0.5:50051").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("10.0.0.5", 50051));
        assert_eq!(a.to_string(), "df://10.0.0.5:50051");
        assert_eq!(a.grpc_url(), "http://10.0.0.5:50051");
        let d = parse("df://scheduler.internal/").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("scheduler.internal", 50050));
        let v6 = parse("df://[::1]:4000").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 4000));
        assert_eq!(v6.grpc_url(), "http://[::1]:4000");
    }

    #[test]
    fn bad_addresses_say_what_to_write() {
        for (given, problem) in [
            ("http://h:1", "must start with df://"),
            ("df://:50050", "host is missing"),
            ("df://h:0", "`0` is not a port"),
            ("df://h:70000", "`70000` is not a port"),
            ("df://h:1/x", "only a host and a port"),
            ("df://::1:4000", "IPv6 address in brackets"),
        ] {
            let e = parse(given).unwrap_err();
            assert!(e.contains(problem), "{given}: {e}");
            assert!(e.contains("df://HOST:PORT"), "{given}: {e}");
        }
    }

    #[test]
    fn jobs_are_planned_by_the_adaptive_planner() {
        use ballista_core::extension::SessionConfigExt;
        let options = BallistaOptions::new(parse("df://h:1").unwrap());
        let state = ballista_state(&options).unwrap();
        assert!(
            state
                .config()
                .ballista_config()
                .adaptive_query_planner_enabled()
        );
    }

    #[test]
    fn version_mismatches_are_told_apart() {
        let address = parse("df://h:1").unwrap();
        // the exact text Ballista's client reports for a 54.x scheduler
        let msg =
            ballista_core::version::check_compatibility(Some(BALLISTA_VERSION), Some("54.1.0"))
                .unwrap_err();
        let e = classify_probe_error(&address, DataFusionError::Execution(msg));
        assert!(matches!(e, BallistaError::VersionMismatch { .. }), "{e}");
        assert!(e.to_string().contains("--version 55"), "{e}");
        // and for a scheduler older than 55 (no version header at all)
        let msg =
            ballista_core::version::check_compatibility(Some(BALLISTA_VERSION), None).unwrap_err();
        let e = classify_probe_error(&address, DataFusionError::Execution(msg));
        assert!(matches!(e, BallistaError::VersionMismatch { .. }), "{e}");
        let other =
            classify_probe_error(&address, DataFusionError::Execution("Job 1 failed".into()));
        assert!(matches!(other, BallistaError::Probe { .. }));
    }
}
