import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { customResourceDefinition } from '../../src/spec';
import { celViolations } from './cel';

type KubeObject = { apiVersion?: string; kind?: string; metadata?: { name?: string } };
type Model = new (data: unknown) => { validate(): void };

/** kubernetes-models module for an apiVersion: "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1. */
function modelFor(apiVersion: string, kind: string): Model | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`kubernetes-models/${apiVersion}`) as Record<string, Model>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

const crd = customResourceDefinition() as { spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
const crSchema = crd.spec.versions[0].schema.openAPIV3Schema;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateCr = ajv.compile(crSchema);

/**
 * Problems of one object against the official Kubernetes schemas (kubernetes-models), or, for
 * an AIGatewayResource, against the generated CRD's openAPIV3Schema and its CEL rules.
 */
export function schemaProblems(object: unknown): string[] {
  const o = object as KubeObject;
  const id = `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;
  if (!o.apiVersion || !o.kind) return [`${id}: apiVersion and kind are required`];
  if (o.apiVersion === `${crd.spec.group}/${crd.spec.versions[0].name}` && o.kind === crd.spec.names.kind) {
    const problems: string[] = [];
    if (!validateCr(object)) {
      problems.push(...(validateCr.errors ?? []).map((e) => `${id}: ${e.instancePath} ${e.message}`));
    }
    problems.push(...celViolations(crSchema, object).map((v) => `${id}: ${v.path}: ${v.message}`));
    return problems;
  }
  const Model = modelFor(o.apiVersion, o.kind);
  if (!Model) return [`${id}: no official schema for ${o.apiVersion} ${o.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    return [`${id}: ${(err as Error).message}`];
  }
}

/** Throws with every problem of every object. */
export function expectValidManifests(objects: readonly unknown[]): void {
  const problems = objects.flatMap(schemaProblems);
  if (problems.length > 0) throw new Error(`invalid Kubernetes objects:\n  ${problems.join('\n  ')}`);
}
