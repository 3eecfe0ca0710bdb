//! An in-process Ballista cluster on loopback: one scheduler and some
//! executors running on a Tokio runtime of their own, reached through gRPC
//! like a real cluster, so the same client code path is exercised.

use std::time::Duration;

use ballista_core::error::BallistaError as CoreError;
use ballista_core::extension::SessionConfigExt;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::execution::{SessionState, SessionStateBuilder};

use super::{BallistaError, SchedulerAddress};

/// How long to keep retrying the connection to the scheduler just started.
const SCHEDULER_START_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The runtime the cluster runs on (`None` once dropped).
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for StandaloneCluster {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Start a scheduler and `executors` executors (each advertising `vcores`
/// task slots) in this process, on a runtime of their own, configured like
/// the local engine ([`crate::execute::session_config`]) with Ballista's
/// settings, as a client's job configures a real scheduler (the in-process
/// one plans every job with this configuration).
pub async fn start_standalone_cluster(
    executors: usize,
    vcores: usize,
) -> Result<StandaloneCluster, BallistaError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ballista-standalone")
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
        .map_err(|e| BallistaError::Standalone {
            part: "runtime",
            source: CoreError::IoError(e),
        })?;
    let started = runtime
        .spawn(start_on_this_runtime(executors, vcores.max(1)))
        .await
        .map_err(|e| BallistaError::Standalone {
            part: "scheduler",
            source: CoreError::TokioError(e),
        });
    match started {
        Ok(Ok(scheduler)) => Ok(StandaloneCluster {
            scheduler,
            executors,
            runtime: Some(runtime),
        }),
        Ok(Err(e)) | Err(e) => {
            runtime.shutdown_background();
            Err(e)
        }
    }
}

async fn start_on_this_runtime(
    executors: usize,
    vcores: usize,
) -> Result<SchedulerAddress, BallistaError> {
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(crate::execute::session_config().upgrade_for_ballista())
        .build();
    let bound = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state)
        .await
        .map_err(|source| BallistaError::Standalone {
            part: "scheduler",
            source,
        })?;
    let scheduler = SchedulerAddress {
        host: "localhost".to_string(),
        port: bound.port(),
    };
    for _ in 0..executors {
        start_executor(&scheduler, vcores, &state).await?;
    }
    Ok(scheduler)
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
