import { stringify } from 'yaml';
import { z } from 'zod';
import { API_GROUP, API_VERSION_NAME, CRD_NAME, KIND, LIST_KIND, PLURAL, SINGULAR } from './names';
import { baseSpecSchema } from './shape';
import { statusSchema } from './status';
import { toStructural } from './structural';

type Schema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Schema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as Schema;
}

/** The openAPIV3Schema of the AIGatewayResource, generated from the zod schema. */
export function openApiSchema(): Schema {
  return {
    description: 'AIGatewayResource declares an AI/LLM gateway: upstream endpoints, model routing and policies.',
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { type: 'object' },
      spec: toStructural(jsonSchema(baseSpecSchema), '$.spec'),
      status: toStructural(jsonSchema(statusSchema), '$.status'),
    },
  };
}

/** The CustomResourceDefinition for aigates.gateway.example.com. */
export function customResourceDefinition(): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { 'app.kubernetes.io/name': 'aigateway', 'app.kubernetes.io/managed-by': 'cdk8s-ai-gateway' },
    },
    spec: {
      group: API_GROUP,
      names: { kind: KIND, listKind: LIST_KIND, plural: PLURAL, singular: SINGULAR, categories: ['ai'] },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION_NAME,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Address', type: 'string', jsonPath: '.status.address' },
            { name: 'Models', type: 'string', jsonPath: '.status.deployedModels' },
            { name: 'Strategy', type: 'string', jsonPath: '.spec.modelRouting.strategy', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: openApiSchema() },
        },
      ],
    },
  };
}

/** The CRD as the YAML file that is committed, applied and imported by `cdk8s import`. */
export function renderCrdYaml(): string {
  return (
    '# Generated from the zod schema in src/spec. Do not edit: regenerate it with `aigate crd -o <this file>`.\n' +
    stringify(customResourceDefinition(), { aliasDuplicateObjects: false, lineWidth: 0 })
  );
}
