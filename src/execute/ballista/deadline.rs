//! A bound on every query a Ballista context runs: the query planner wraps
//! Ballista's plan (a `DistributedQueryExec` that submits the job and
//! streams its results) in [`DeadlineExec`], whose stream ends with
//! [`BallistaError::QueryTimeout`] when the query outlives the timeout,
//! after asking the scheduler to cancel the job.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::CancelJobParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions,
};
use datafusion_proto::protobuf::LogicalPlanNode;
use futures::StreamExt;
use tokio::time::Instant;

use super::{BallistaError, Cancellation, SchedulerAddress};

/// How long cancelling a timed-out job may take before we give up on it.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Plans with the wrapped (Ballista) planner and bounds the result.
#[derive(Debug)]
pub(super) struct DeadlinePlanner {
    inner: Arc<dyn QueryPlanner + Send + Sync>,
    address: SchedulerAddress,
    timeout: Duration,
}

impl DeadlinePlanner {
    pub(super) fn new(
        inner: Arc<dyn QueryPlanner + Send + Sync>,
        address: SchedulerAddress,
        timeout: Duration,
    ) -> Self {
        DeadlinePlanner {
            inner,
            address,
            timeout,
        }
    }
}

#[async_trait]
impl QueryPlanner for DeadlinePlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = self
            .inner
            .create_physical_plan(logical_plan, session)
            .await?;
        Ok(Arc::new(DeadlineExec {
            input,
            address: self.address.clone(),
            timeout: self.timeout,
        }))
    }
}

/// Passes its input through, failing once `timeout` has passed since
/// `execute`.
#[derive(Debug)]
pub(super) struct DeadlineExec {
    input: Arc<dyn ExecutionPlan>,
    address: SchedulerAddress,
    timeout: Duration,
}

impl DisplayAs for DeadlineExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "DeadlineExec: timeout={}s", self.timeout.as_secs_f64())
    }
}

impl ExecutionPlan for DeadlineExec {
    fn name(&self) -> &str {
        "DeadlineExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(DataFusionError::Internal(format!(
                "DeadlineExec takes one child, got {}",
                children.len()
            )));
        }
        Ok(Arc::new(DeadlineExec {
            input: children.swap_remove(0),
            address: self.address.clone(),
            timeout: self.timeout,
        }))
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let deadline = Instant::now() + self.timeout;
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let state = Deadline {
            input: Some(input),
            plan: self.input.clone(),
            address: self.address.clone(),
            timeout: self.timeout,
            deadline,
        };
        let stream = futures::stream::unfold(state, |mut s| async move {
            let input = s.input.as_mut()?;
            match tokio::time::timeout_at(s.deadline, input.next()).await {
                Ok(item) => item.map(|batch| (batch, s)),
                Err(_) => {
                    s.input = None;
                    let job = cancel_job(s.plan.as_ref(), &s.address).await;
                    let e = BallistaError::QueryTimeout {
                        address: s.address.clone(),
                        after: s.timeout,
                        job,
                    };
                    Some((Err(DataFusionError::External(Box::new(e))), s))
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.input.metrics()
    }
}

struct Deadline {
    /// `None` once the deadline has passed.
    input: Option<SendableRecordBatchStream>,
    plan: Arc<dyn ExecutionPlan>,
    address: SchedulerAddress,
    timeout: Duration,
    deadline: Instant,
}

/// Ask the scheduler to cancel the job `plan` submitted, if it is a
/// Ballista job the scheduler accepted. A failure is logged and reported.
pub(super) async fn cancel_job(
    plan: &dyn ExecutionPlan,
    address: &SchedulerAddress,
) -> Cancellation {
    let Some(job_id) = plan
        .downcast_ref::<DistributedQueryExec<LogicalPlanNode>>()
        .and_then(|exec| exec.job_id())
        .map(|id| id.as_str().to_string())
    else {
        return Cancellation::NotSubmitted;
    };
    let cancelling = async {
        let mut client = SchedulerGrpcClient::connect(address.grpc_url()).await?;
        let params = CancelJobParams {
            job_id: job_id.clone(),
        };
        let answer = client.cancel_job(params).await.map_err(Box::new)?;
        Ok::<bool, Box<dyn std::error::Error + Send + Sync>>(answer.into_inner().cancelled)
    };
    match tokio::time::timeout(CANCEL_TIMEOUT, cancelling).await {
        Ok(Ok(true)) => {
            tracing::info!("cancelled Ballista job {job_id} at {address}");
            return Cancellation::Cancelled(job_id);
        }
        Ok(Ok(false)) => tracing::warn!("the scheduler at {address} did not cancel job {job_id}"),
        Ok(Err(e)) => tracing::warn!("cannot cancel Ballista job {job_id} at {address}: {e}"),
        Err(_) => tracing::warn!("cancelling Ballista job {job_id} at {address} timed out"),
    }
    Cancellation::NotCancelled(job_id)
}
