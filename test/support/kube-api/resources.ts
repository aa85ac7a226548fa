/**
 * The resource types the emulator serves, and what discovery says about them.
 */

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

/** One additionalPrinterColumns entry of a CRD version. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Has a /status subresource: the main resource ignores .status, /status changes only .status. */
  statusSubresource: boolean;
  /**
   * When metadata.generation moves: 'spec' = on a change of .spec (Deployments, Ingresses);
   * 'content' = on a change of anything but metadata and status (custom resources, EndpointSlices);
   * false = never set (Services).
   */
  generation: 'spec' | 'content' | false;
  /** PUT without metadata.resourceVersion is allowed (built-ins) or rejected with 422 (custom resources). */
  allowUnconditionalUpdate: boolean;
  /** DELETE answers with the deleted object (custom resources) or with a Success Status (built-ins). */
  returnDeletedObject: boolean;
  /** Printer columns for Table output (custom resources only); undefined = NAME/AGE. */
  printerColumns?: PrinterColumn[];
  custom: boolean;
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

const builtin = (d: Omit<ResourceDef, 'custom' | 'listKind' | 'returnDeletedObject' | 'allowUnconditionalUpdate'>): ResourceDef => ({
  ...d,
  listKind: `${d.kind}List`,
  custom: false,
  returnDeletedObject: false,
  allowUnconditionalUpdate: true,
});

export const AIGATE_GROUP = 'gateway.example.com';

export function builtinResources(): ResourceDef[] {
  return [
    builtin({ group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, shortNames: [], categories: [], statusSubresource: false, generation: false }),
    builtin({ group: '', version: 'v1', resource: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], statusSubresource: true, generation: false }),
    builtin({ group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], statusSubresource: true, generation: 'spec' }),
    builtin({ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true, shortNames: ['ing'], categories: [], statusSubresource: true, generation: 'spec' }),
    builtin({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, shortNames: [], categories: [], statusSubresource: false, generation: 'content' }),
    {
      group: AIGATE_GROUP,
      version: 'v1',
      resource: 'aigates',
      singular: 'aigate',
      kind: 'AIGatewayResource',
      listKind: 'AIGatewayResourceList',
      namespaced: true,
      shortNames: [],
      categories: ['ai'],
      statusSubresource: true,
      generation: 'content',
      allowUnconditionalUpdate: false,
      returnDeletedObject: true,
      custom: true,
    },
  ];
}

type Crd = {
  spec?: {
    group?: string;
    scope?: string;
    names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
    versions?: { name?: string; served?: boolean; subresources?: { status?: unknown }; additionalPrinterColumns?: PrinterColumn[] }[];
  };
};

/** The served versions of an apiextensions.k8s.io/v1 CustomResourceDefinition, as resource definitions. */
export function defsFromCrd(crdObject: unknown): ResourceDef[] {
  const crd = crdObject as Crd;
  const spec = crd?.spec;
  const names = spec?.names;
  if (!spec?.group || !names?.plural || !names.kind || !Array.isArray(spec.versions)) {
    throw new Error('registerCrd: not an apiextensions.k8s.io/v1 CustomResourceDefinition (need spec.group, spec.names.plural/kind, spec.versions)');
  }
  return spec.versions
    .filter((v) => v.served !== false && v.name)
    .map((v) => ({
      group: spec.group!,
      version: v.name!,
      resource: names.plural!,
      singular: names.singular ?? names.kind!.toLowerCase(),
      kind: names.kind!,
      listKind: names.listKind ?? `${names.kind}List`,
      namespaced: spec.scope !== 'Cluster',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      statusSubresource: v.subresources?.status !== undefined,
      generation: 'content' as const,
      allowUnconditionalUpdate: false,
      returnDeletedObject: true,
      // An empty list gets the API server's default column, Age.
      printerColumns: v.additionalPrinterColumns?.length
        ? v.additionalPrinterColumns
        : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      custom: true,
    }));
}

export class Registry {
  private defs: ResourceDef[] = builtinResources();

  all(): readonly ResourceDef[] {
    return this.defs;
  }

  add(defs: ResourceDef[]): void {
    for (const d of defs) {
      this.defs = this.defs.filter((x) => !(x.group === d.group && x.version === d.version && x.resource === d.resource));
      this.defs.push(d);
    }
  }

  byPath(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.version === version && d.resource === resource);
  }

  byApiVersionKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.defs.find((d) => apiVersionOf(d) === apiVersion && d.kind === kind);
  }

  /**
   * Resolves what a person would type after `kubectl get`: a plural, a singular, a short name or a Kind,
   * optionally qualified with the group (`aigates.gateway.example.com`), case-insensitively.
   */
  resolve(kindish: string): ResourceDef | undefined {
    const want = kindish.toLowerCase();
    return this.defs.find((d) => {
      const names = [d.resource, d.singular, d.kind.toLowerCase(), ...d.shortNames.map((s) => s.toLowerCase())];
      return names.some((n) => n === want || (d.group && `${n}.${d.group}` === want));
    });
  }

  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const d of this.defs) {
      if (!d.group) continue;
      const vs = out.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      out.set(d.group, vs);
    }
    return [...out].map(([group, versions]) => ({ group, versions }));
  }
}
