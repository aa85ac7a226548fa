/**
 * The reconcile job: observes what runs for each AIGatewayResource and writes its status.
 * Pure parts (`computeStatus`, `clusterView`) and the run (`reconcileOnce`) over a `KubeClient`.
 * Not exported from the package root: it loads @kubernetes/client-node.
 */
export { computeStatus, needsPatch, applied, type StatusPatch } from './status';
export { clusterView, LABEL_SERVICE_NAME, type Snapshot, type ScopedListing, type Listing } from './observe';
export { reconcileOnce, type ReconcileOptions, type RunResult, type GatewayResult, type GatewayOutcome } from './run';
export { kubeClient, loadKubeConfig, type KubeConfigSource } from './kube';
export { withServer, type KubeClient, type KubeClientOptions, type Scope, type SecretKeyReader, type SecretKeys } from './client';
export { inClusterConnection, restKubeClient, ApiHttpError, SERVICE_ACCOUNT_DIR, type ApiConnection, type InClusterOptions } from './rest-client';
export { jsonLogger, type Logger, type LogFields } from './log';
export { DEFAULT_RETRY, describeFailure, type RetryPolicy, type ApiFailure } from './retry';
export { CONDITION_TYPES, type ConditionType } from './conditions';
export { runJob, parseJobArgs, JOB_EXIT } from './job';
export type * from './types';
