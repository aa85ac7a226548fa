/**
 * Real Envoy in the tests: the pinned binary, the pod's files, the one adaptation allowed, and
 * processes (validate mode and a running gateway). See README.md beside this file.
 */
export { envoyBinary, PINNED_ENVOY_VERSION, versionOf } from './binary';
export { adaptForTest, childPath, differingLeaves, relocatePaths, valueAt } from './adapt';
export type { Adaptation, TestAdaptation } from './adapt';
export { placeholderSecrets, podBootstrap, podConfigFiles, podFiles, podsOf } from './pod-files';
export type { PodFiles, SecretValues } from './pod-files';
export { freePort, mapConcurrent, startEnvoy, startGateway, validateAll, validateBootstrap, validateWithEnvoy } from './process';
export type { GatewayOptions, RunningEnvoy, RunningGateway, ValidateCase, ValidateResult } from './process';
export { anthropicHandler, anthropicMessage, anthropicStream, failingHandler, openAiCompletion, openAiHandler, openAiStream, startMock, writeSse } from './mocks';
export type { MockHandler, MockOptions, MockUpstream, ProviderMockOptions, RecordedRequest, Usage } from './mocks';
export { testCa } from './test-ca';
export type { TestCa } from './test-ca';
export { gatewayObjects } from './gateway';
export { signJwt, startJwks } from './jwt';
