/**
 * Maps API paths to operations on the store: discovery, LIST (namespaced and all namespaces, selectors,
 * limit/continue), GET, CREATE, PUT, PATCH (merge and JSON patch), DELETE, the /status subresource,
 * Table and PartialObjectMetadata output.
 */
import { jsonPatch, mergePatch, PatchError } from './patch';
import { apiVersionOf, KubeObject, Registry, ResourceDef } from './resources';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';
import { ApiError, errors } from './status';
import { Store } from './store';
import { toTable } from './table';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface JsonReply {
  status: number;
  body: unknown;
  contentType?: string;
}

/** A resolved resource path: collection (name undefined), object, or object subresource. */
export interface Target {
  def: ResourceDef;
  namespace?: string; // undefined = all namespaces (collections only)
  name?: string;
  subresource?: string;
}

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];

export interface ServerInfo {
  address(): string;
  now(): Date;
}

const mediaType = (h: string | string[] | undefined): string => (Array.isArray(h) ? h[0] : h ?? '').split(';')[0].trim().toLowerCase();

export type Want = { as: 'json' } | { as: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: string };

/** Content negotiation over the Accept header, in the order the client listed. */
/** The request's label and field selectors, parsed; a malformed one is a 400, as the API server answers. */
export function selectorsOf(req: ApiRequest, t: Target): { labelReqs: ReturnType<typeof parseLabelSelector>; fieldReqs: ReturnType<typeof parseFieldSelector> } {
  try {
    return {
      labelReqs: parseLabelSelector(req.query.get('labelSelector') ?? ''),
      fieldReqs: parseFieldSelector(req.query.get('fieldSelector') ?? '', t.def.custom),
    };
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(e.message);
    throw e;
  }
}

export function negotiate(accept: string | undefined): Want {
  if (!accept || !accept.trim()) return { as: 'json' };
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim())));
    if (p.as) {
      if (p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1') && ['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList'].includes(p.as)) {
        return { as: p.as, version: p.v };
      }
      continue; // e.g. aggregated discovery (apidiscovery.k8s.io): not served, fall through to plain JSON
    }
    if (['application/json', 'application/*', '*/*'].includes(type.toLowerCase())) return { as: 'json' };
  }
  throw errors.notAcceptable(['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io']);
}

export class Router {
  constructor(
    private readonly registry: Registry,
    private readonly store: Store,
    private readonly info: ServerInfo,
  ) {}

  /** Resolves /api/v1/... and /apis/g/v/... to a target; null for discovery paths; throws 404 when unknown. */
  resolve(path: string): Target | { discovery: string[] } {
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api') {
      if (seg.length === 1) return { discovery: ['api'] };
      group = '';
      version = seg[1];
      rest = seg.slice(2);
    } else if (seg[0] === 'apis') {
      if (seg.length <= 2) return { discovery: seg };
      group = seg[1];
      version = seg[2];
      rest = seg.slice(3);
    } else {
      throw errors.noSuchResource();
    }
    if (!this.registry.all().some((d) => d.group === group && d.version === version)) throw errors.noSuchResource();
    if (rest.length === 0) return { discovery: seg };
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const def = this.registry.byPath(group, version, rest[2]);
      if (def?.namespaced && rest.length <= 5) return { def, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
    const def = this.registry.byPath(group, version, rest[0]);
    if (def && rest.length === 1) return { def };
    if (def && !def.namespaced && rest.length <= 3) return { def, name: rest[1], subresource: rest[2] };
    throw errors.noSuchResource();
  }

  discovery(seg: string[]): JsonReply {
    const defs = this.registry.all();
    const gv = (group: string, version: string) => ({ groupVersion: `${group}/${version}`, version });
    if (seg.length === 1 && seg[0] === 'api') {
      return ok({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.info.address() }] });
    }
    const groupObj = (g: { group: string; versions: string[] }) => ({
      name: g.group,
      versions: g.versions.map((v) => gv(g.group, v)),
      preferredVersion: gv(g.group, g.versions[0]),
    });
    if (seg[0] === 'apis' && seg.length === 1) return ok({ kind: 'APIGroupList', apiVersion: 'v1', groups: this.registry.groups().map(groupObj) });
    if (seg[0] === 'apis' && seg.length === 2) {
      const g = this.registry.groups().find((x) => x.group === seg[1]);
      if (!g) throw errors.noSuchResource();
      return ok({ kind: 'APIGroup', apiVersion: 'v1', ...groupObj(g) });
    }
    const [group, version] = seg[0] === 'api' ? ['', seg[1]] : [seg[1], seg[2]];
    const resources = defs
      .filter((d) => d.group === group && d.version === version)
      .flatMap((d) => {
        const main: Record<string, unknown> = {
          name: d.resource,
          singularName: d.singular,
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        };
        if (d.shortNames.length) main.shortNames = d.shortNames;
        if (d.categories.length) main.categories = d.categories;
        const status = { name: `${d.resource}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] };
        return d.statusSubresource ? [main, status] : [main];
      });
    return ok({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources });
  }

  handle(req: ApiRequest, t: Target): JsonReply {
    const { def } = t;
    const m = req.method;
    if (m !== 'GET' && req.query.has('dryRun')) {
      // Refused rather than silently persisted: a dry run that writes would hide bugs.
      throw errors.badRequest('dryRun is not emulated by the kube-api test server');
    }
    if (t.name === undefined) {
      if (m === 'GET') return this.list(req, t);
      if (m === 'POST' && (t.namespace !== undefined || !def.namespaced)) return this.create(req, t);
      if (m === 'DELETE' && (t.namespace !== undefined || !def.namespaced)) return this.deleteCollection(req, t);
      throw errors.methodNotSupported(def, methodVerb(m));
    }
    if (t.subresource !== undefined && !(t.subresource === 'status' && def.statusSubresource)) throw errors.noSuchResource();
    const sub = t.subresource as 'status' | undefined;
    switch (m) {
      case 'GET':
        return this.render(req, def, [this.store.mustGet(def, t.namespace, t.name)], false);
      case 'PUT': {
        const body = parseJson(req) as KubeObject;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
        checkKind(def, body);
        this.store.mustGet(def, t.namespace, t.name); // 404 before 422, as the API server orders them
        if (!body.metadata?.resourceVersion && !def.allowUnconditionalUpdate) {
          throw errors.invalid(def.kind, def.group, t.name, [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
        }
        return ok(this.store.update(def, t.namespace, t.name, body, { viaApi: true, subresource: sub }));
      }
      case 'PATCH':
        return ok(this.patch(req, t, sub));
      case 'DELETE': {
        if (sub) throw errors.methodNotSupported(def, 'delete');
        const pre = (req.body.length ? (parseJson(req) as { preconditions?: { resourceVersion?: string; uid?: string } }) : {})?.preconditions;
        const cur = this.store.mustGet(def, t.namespace, t.name);
        if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata?.resourceVersion) {
          throw errors.conflict(def, t.name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata?.resourceVersion}`);
        }
        if (pre?.uid && pre.uid !== cur.metadata?.uid) {
          throw errors.conflict(def, t.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata?.uid}`);
        }
        const gone = this.store.delete(def, t.namespace, t.name);
        if (def.returnDeletedObject) return ok(gone);
        return ok({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name: t.name, group: def.group, kind: def.resource, uid: gone.metadata?.uid },
        });
      }
      default:
        throw errors.methodNotSupported(def, methodVerb(m));
    }
  }

  /** LIST with label/field selectors and limit/continue; answers a List, a Table or a PartialObjectMetadataList. */
  selected(req: ApiRequest, t: Target): KubeObject[] {
    const { labelReqs, fieldReqs } = selectorsOf(req, t);
    return this.store
      .list(t.def, t.namespace)
      .filter((o) => matchesLabels(labelReqs, o.metadata?.labels) && matchesFields(fieldReqs, o));
  }

  private list(req: ApiRequest, t: Target): JsonReply {
    let items = this.selected(req, t);
    const rv = this.store.resourceVersion;
    const limit = Number(req.query.get('limit') ?? '0');
    const cont = req.query.get('continue');
    if (cont) {
      let after: string;
      try {
        after = JSON.parse(Buffer.from(cont, 'base64url').toString()).after;
      } catch {
        throw errors.badRequest('continue key is not valid: illegal base64 data');
      }
      items = items.filter((o) => sortKey(o) > after);
    }
    let continueToken: string | undefined;
    let remaining: number | undefined;
    if (limit > 0 && items.length > limit) {
      remaining = items.length - limit;
      items = items.slice(0, limit);
      continueToken = Buffer.from(JSON.stringify({ after: sortKey(items[items.length - 1]) })).toString('base64url');
    }
    const reply = this.render(req, t.def, items, true, rv);
    const meta = (reply.body as { metadata: Record<string, unknown> }).metadata;
    if (continueToken) {
      meta.continue = continueToken;
      meta.remainingItemCount = remaining;
    }
    return reply;
  }

  private render(req: ApiRequest, def: ResourceDef, items: KubeObject[], isList: boolean, rv = this.store.resourceVersion): JsonReply {
    const want = negotiate(headerString(req.headers.accept));
    if (want.as === 'Table') {
      const table = toTable(def, items, isList ? rv : items[0].metadata?.resourceVersion ?? rv, req.query.get('includeObject') ?? undefined, this.info.now());
      table.apiVersion = `meta.k8s.io/${want.version}`;
      return { status: 200, body: table, contentType: `application/json;as=Table;v=${want.version};g=meta.k8s.io` };
    }
    if (want.as === 'PartialObjectMetadata' || want.as === 'PartialObjectMetadataList') {
      if ((want.as === 'PartialObjectMetadataList') !== isList) {
        throw errors.notAcceptable(['application/json', `application/json;as=${isList ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=v1;g=meta.k8s.io`]);
      }
      const partial = (o: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${want.version}`, metadata: o.metadata });
      const body = isList
        ? { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${want.version}`, metadata: { resourceVersion: rv }, items: items.map(partial) }
        : partial(items[0]);
      return { status: 200, body, contentType: `application/json;as=${want.as};v=${want.version};g=meta.k8s.io` };
    }
    if (!isList) return ok(items[0]);
    // Built-in lists carry no apiVersion/kind on their items; custom resource lists do.
    const listItems = def.custom ? items : items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    return ok({ kind: def.listKind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: rv }, items: listItems });
  }

  private create(req: ApiRequest, t: Target): JsonReply {
    const body = parseJson(req) as KubeObject;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
    checkKind(t.def, body);
    if (t.def.namespaced && body.metadata?.namespace && body.metadata.namespace !== t.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return { status: 201, body: this.store.create(t.def, t.namespace, body, { viaApi: true }) };
  }

  private deleteCollection(req: ApiRequest, t: Target): JsonReply {
    const items = this.selected(req, t).map((o) => this.store.delete(t.def, o.metadata?.namespace, o.metadata!.name!));
    return ok({ kind: t.def.listKind, apiVersion: apiVersionOf(t.def), metadata: { resourceVersion: this.store.resourceVersion }, items });
  }

  private patch(req: ApiRequest, t: Target, sub: 'status' | undefined): KubeObject {
    const type = mediaType(req.headers['content-type']);
    if (!PATCH_TYPES.includes(type)) throw errors.unsupportedMediaType(type, PATCH_TYPES);
    const patchBody = parseJson(req);
    const current = this.store.mustGet(t.def, t.namespace, t.name!);
    let patched: unknown;
    try {
      if (type === 'application/merge-patch+json') {
        if (!patchBody || typeof patchBody !== 'object' || Array.isArray(patchBody)) {
          throw new PatchError('a JSON merge patch for an object must be a JSON object', 400);
        }
        patched = mergePatch(current, patchBody);
      } else {
        patched = jsonPatch(current, patchBody);
      }
    } catch (e) {
      if (e instanceof PatchError) {
        throw e.code === 400 ? errors.badRequest(e.message) : new ApiError(422, e.message, 'Invalid');
      }
      throw e;
    }
    const obj = patched as KubeObject;
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ApiError(422, 'the patched document is not an object', 'Invalid');
    if (obj.metadata?.name !== t.name) {
      throw errors.invalid(t.def.kind, t.def.group, t.name!, [{ field: 'metadata.name', message: 'Invalid value: field is immutable' }]);
    }
    checkKind(t.def, obj);
    // The patched object's resourceVersion is the precondition: unchanged by the patch, it matches; set by the patch, it must match.
    return this.store.update(t.def, t.namespace, t.name!, obj, { viaApi: true, subresource: sub });
  }
}

const ok = (body: unknown): JsonReply => ({ status: 200, body });

const sortKey = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

function headerString(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h.join(',') : h;
}

function methodVerb(m: string): string {
  return ({ GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[m] ?? m.toLowerCase();
}

function parseJson(req: ApiRequest): unknown {
  const type = mediaType(req.headers['content-type']);
  if (req.method !== 'PATCH' && type && type !== 'application/json') {
    throw errors.unsupportedMediaType(type, ['application/json']);
  }
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch (e) {
    throw errors.badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function checkKind(def: ResourceDef, body: KubeObject): void {
  if (body.kind !== undefined && body.kind !== def.kind) {
    throw errors.badRequest(`the kind of the provided object (${body.kind}) does not match the resource (${def.kind})`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(def)) {
    throw errors.badRequest(`the API version of the provided object (${body.apiVersion}) does not match ${apiVersionOf(def)}`);
  }
}
