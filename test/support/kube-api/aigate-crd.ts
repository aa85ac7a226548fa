/**
 * A minimal aigates CRD for emulator tests: the names, status subresource and printer columns of the
 * project's CRD (crds/aigates.gateway.example.com.yaml), with an open schema. Tests of the real
 * reconcile job should register the project's generated CRD instead.
 */
export function aigateTestCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'aigates.gateway.example.com' },
    spec: {
      group: 'gateway.example.com',
      names: { kind: 'AIGatewayResource', listKind: 'AIGatewayResourceList', plural: 'aigates', singular: 'aigate', categories: ['ai'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
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
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}
