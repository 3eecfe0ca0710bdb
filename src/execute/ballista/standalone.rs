//! An in-process Ballista cluster on loopback: one scheduler and some
//! executors, each running on a Tokio runtime of its own, reached through
//! gRPC like a real cluster, so the same client code path is exercised. An
//! executor can be killed abruptly ([`StandaloneCluster::kill_executor`])
//! to see how a run fails when one dies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::error::BallistaError as CoreError;
use ballista_core::extension::SessionConfigExt;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_core::utils::{GrpcServerConfig, create_grpc_server, default_session_builder};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::metrics::default_metrics_collector;
use ballista_scheduler::scheduler_server::SchedulerServer;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use super::{BallistaError, SchedulerAddress};

/// How long to keep retrying the connection to the scheduler just started.
const SCHEDULER_START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the in-process scheduler waits for an executor's heartbeat
/// before declaring it dead and rerunning its tasks elsewhere; also how long
/// it waits for an executor to come back when none is left before failing
/// the jobs. Ballista's default is 180 s, too long for a test; executors
/// polling for work beat at least every 5 s.
pub const STANDALONE_EXECUTOR_TIMEOUT: Duration = Duration::from_secs(20);

/// How often the in-process scheduler looks for dead executors.
const STANDALONE_EXPIRY_CHECK: Duration = Duration::from_secs(1);

/// Stack of the cluster's worker threads: decoding and planning a job's
/// plan recurse deeply, beyond Tokio's 2 MiB default in debug builds.
const WORKER_STACK_BYTES: usize = 16 << 20;

/// A running in-process cluster; dropping it stops the scheduler and the
/// executors.
#[derive(Debug)]
pub struct StandaloneCluster {
    /// The scheduler, to pass to [`super::connect`] or `--ballista`.
    pub scheduler: SchedulerAddress,
    /// How many executors were started.
    pub executors: usize,
    /// The scheduler's runtime (`None` once dropped).
    runtime: Option<tokio::runtime::Runtime>,
    /// Each executor's runtime (`None` once killed or dropped).
    executor_runtimes: Vec<Option<tokio::runtime::Runtime>>,
}

impl StandaloneCluster {
    /// Kill executor `index` (counting from 0) without a word to the
    /// scheduler, as a crash or a lost machine would: its task slots, its
    /// in-flight tasks and the shuffle files it serves vanish, and the
    /// scheduler only learns of it when its heartbeats stop being expected
    /// (three minutes by default). Returns whether it was still running.
    pub fn kill_executor(&mut self, index: usize) -> bool {
        match self.executor_runtimes.get_mut(index).and_then(Option::take) {
            Some(runtime) => {
                runtime.shutdown_background();
                true
            }
            None => false,
        }
    }
}

impl Drop for StandaloneCluster {
    fn drop(&mut self) {
        for runtime in self.executor_runtimes.iter_mut().filter_map(Option::take) {
            runtime.shutdown_background();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A multi-threaded runtime for one part of the cluster.
fn part_runtime(part: &'static str) -> Result<tokio::runtime::Runtime, BallistaError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(format!("ballista-{part}"))
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
        .map_err(|e| BallistaError::Standalone {
            part,
            source: CoreError::IoError(e),
        })
}

/// Start a scheduler and `executors` executors (each advertising `vcores`
/// task slots) in this process, each on a runtime of its own, configured
/// like the local engine ([`crate::execute::session_config`]) with
/// Ballista's settings; each job is planned with the session settings its
/// client sends, as on a real scheduler.
///
/// Object stores (`--data s3://…`, `gs://`, `az://`) are built from the
/// environment on first use ([`crate::extract::remote::env_runtime`]), as
/// the stock `ballista-executor` does for s3://: the scheduler and the
/// executors meet the URLs only in the plans they receive.
pub async fn start_standalone_cluster(
    executors: usize,
    vcores: usize,
) -> Result<StandaloneCluster, BallistaError> {
    let runtime_env =
        crate::extract::remote::env_runtime().map_err(|e| BallistaError::Standalone {
            part: "scheduler",
            source: CoreError::DataFusionError(Box::new(e)),
        })?;
    start_standalone_cluster_with_runtime(executors, vcores, runtime_env).await
}

/// [`start_standalone_cluster`] with the scheduler and executors reading
/// through `runtime_env` (its object stores, e.g. one registered for a
/// test's S3 endpoint).
pub async fn start_standalone_cluster_with_runtime(
    executors: usize,
    vcores: usize,
    runtime_env: Arc<datafusion::execution::runtime_env::RuntimeEnv>,
) -> Result<StandaloneCluster, BallistaError> {
    let scheduler_runtime = part_runtime("scheduler")?;
    let scheduler_handle = scheduler_runtime.handle().clone();
    // from here on, dropping `cluster` (on an error too) stops what started
    let mut cluster = StandaloneCluster {
        scheduler: SchedulerAddress {
            host: "localhost".to_string(),
            port: 0,
        },
        executors,
        runtime: Some(scheduler_runtime),
        executor_runtimes: Vec::with_capacity(executors),
    };
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(crate::execute::session_config().upgrade_for_ballista())
        .with_runtime_env(runtime_env)
        .build();
    let bound = scheduler_handle
        .spawn({
            let state = state.clone();
            async move { start_scheduler(&state).await }
        })
        .await
        .map_err(|e| BallistaError::Standalone {
            part: "scheduler",
            source: CoreError::TokioError(e),
        })?
        .map_err(|source| BallistaError::Standalone {
            part: "scheduler",
            source,
        })?;
    cluster.scheduler.port = bound.port();
    for _ in 0..executors {
        let runtime = part_runtime("executor")?;
        let started = runtime.spawn({
            let (address, state) = (cluster.scheduler.clone(), state.clone());
            async move { start_executor(&address, vcores.max(1), &state).await }
        });
        cluster.executor_runtimes.push(Some(runtime));
        started.await.map_err(|e| BallistaError::Standalone {
            part: "executor",
            source: CoreError::TokioError(e),
        })??;
    }
    Ok(cluster)
}

/// Start a scheduler on this runtime, as Ballista's
/// `standalone::new_standalone_scheduler_from_state` does (executors pull
/// their tasks), but planning each job with the session its client sent,
/// as the `ballista-scheduler` binary does (so the client's choice of
/// planner holds), and declaring a silent executor dead after
/// [`STANDALONE_EXECUTOR_TIMEOUT`].
async fn start_scheduler(state: &SessionState) -> Result<SocketAddr, CoreError> {
    let config = state.config().clone();
    let codec = BallistaCodec::new(
        config.ballista_logical_extension_codec(),
        config.ballista_physical_extension_codec(),
    );
    let max_message_size = config.ballista_grpc_client_max_message_size();
    // each job is planned (its listing tables listed) with the stores of
    // this runtime, so the scheduler reads s3:// like the executors
    let runtime_env = state.runtime_env().clone();
    let session_builder = Arc::new(move |config| {
        let planned = default_session_builder(config)?;
        Ok(SessionStateBuilder::new_from_existing(planned)
            .with_runtime_env(runtime_env.clone())
            .build())
    });
    let config_producer = Arc::new(move || config.clone());
    let cluster = BallistaCluster::new_memory("localhost:50050", session_builder, config_producer);
    let mut scheduler_config =
        SchedulerConfig::default().with_scheduler_policy(TaskSchedulingPolicy::PullStaged);
    scheduler_config.executor_timeout_seconds = STANDALONE_EXECUTOR_TIMEOUT.as_secs();
    scheduler_config.expire_dead_executor_interval_seconds = STANDALONE_EXPIRY_CHECK.as_secs();
    scheduler_config.no_executors_grace_period_seconds = STANDALONE_EXECUTOR_TIMEOUT.as_secs();
    let mut server: SchedulerServer<LogicalPlanNode, PhysicalPlanNode> = SchedulerServer::new(
        "localhost:50050".to_string(),
        cluster,
        codec,
        Arc::new(scheduler_config),
        default_metrics_collector()?,
    );
    server.init().await?;
    let service = SchedulerGrpcServer::new(server)
        .max_decoding_message_size(max_message_size)
        .max_encoding_message_size(max_message_size);
    let listener = tokio::net::TcpListener::bind("localhost:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(
        create_grpc_server(&GrpcServerConfig::default())
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    Ok(address)
}

/// Start one executor, connecting to the scheduler just started (retrying
/// while it comes up).
async fn start_executor(
    address: &SchedulerAddress,
    vcores: usize,
    state: &SessionState,
) -> Result<(), BallistaError> {
    let failed = |source| BallistaError::Standalone {
        part: "executor",
        source,
    };
    let started = tokio::time::Instant::now();
    let client = loop {
        match SchedulerGrpcClient::connect(address.grpc_url()).await {
            Ok(client) => break client,
            Err(e) if started.elapsed() >= SCHEDULER_START_TIMEOUT => {
                return Err(failed(CoreError::from(e)));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    ballista_executor::new_standalone_executor_from_state(client, vcores, state)
        .await
        .map_err(failed)
}
