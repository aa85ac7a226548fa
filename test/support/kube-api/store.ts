/**
 * The object store behind the emulated API: resourceVersion, generation, uid and status-subresource rules.
 */
import { randomUUID } from 'node:crypto';
import { clone, deepEqual } from './patch';
import { apiVersionOf, KubeObject, ResourceDef } from './resources';
import { errors } from './status';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent {
  type: WatchEventType;
  def: ResourceDef;
  object: KubeObject;
  /** The object before a MODIFIED event (a watch with a selector turns a change of match into ADDED/DELETED). */
  previous?: KubeObject;
  rv: number;
}

export interface WriteOptions {
  /** The write came over HTTP: .status is ignored on the main resource of a kind with a status subresource. */
  viaApi: boolean;
  /** Write to the /status subresource: only .status changes. */
  subresource?: 'status';
}

const HISTORY = 1000;

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class Store {
  private objects = new Map<string, KubeObject>();
  private counter: number;
  private listeners = new Set<(e: StoreEvent) => void>();
  readonly history: StoreEvent[] = [];
  /** Events up to this resourceVersion were dropped from the history (a WATCH from before it gets 410). */
  compactedThrough = 0;

  constructor(private readonly now: () => Date = () => new Date(), initialResourceVersion = 1000) {
    this.counter = initialResourceVersion;
  }

  get resourceVersion(): string {
    return String(this.counter);
  }

  private key(def: ResourceDef, ns: string | undefined, name: string): string {
    return `${def.group}|${def.resource}|${def.namespaced ? ns ?? '' : ''}|${name}`;
  }

  /** Copies an object out of the store with the apiVersion/kind of the served version. */
  private out(def: ResourceDef, obj: KubeObject): KubeObject {
    const { apiVersion: _a, kind: _k, ...rest } = clone(obj);
    return { apiVersion: apiVersionOf(def), kind: def.kind, ...rest };
  }

  private emit(type: WatchEventType, def: ResourceDef, object: KubeObject, previous?: KubeObject): void {
    const e: StoreEvent = { type, def, object: clone(object), rv: this.counter };
    if (previous) e.previous = clone(previous);
    this.history.push(e);
    if (this.history.length > HISTORY) this.compactedThrough = this.history.shift()!.rv;
    for (const l of [...this.listeners]) l(e);
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(def: ResourceDef, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(this.key(def, ns, name));
    return o && this.out(def, o);
  }

  mustGet(def: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const o = this.get(def, ns, name);
    if (!o) throw errors.notFound(def, name);
    return o;
  }

  /** Every object of the resource (in one namespace, or all), sorted by namespace then name like etcd keys. */
  list(def: ResourceDef, ns?: string): KubeObject[] {
    const prefix = `${def.group}|${def.resource}|`;
    const items: KubeObject[] = [];
    for (const [k, o] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      if (ns !== undefined && def.namespaced && o.metadata?.namespace !== ns) continue;
      items.push(this.out(def, o));
    }
    const sortKey = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    return items.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  }

  create(def: ResourceDef, ns: string | undefined, input: KubeObject, opts: WriteOptions): KubeObject {
    const obj = clone(input);
    const meta = (obj.metadata ??= {});
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    const name = meta.name ?? '';
    const kindName = def.kind;
    if (!name) throw errors.invalid(kindName, def.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', type: 'FieldValueRequired' }]);
    if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      throw errors.invalid(kindName, def.group, name, [{ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` }]);
    }
    if (def.namespaced) meta.namespace = ns ?? meta.namespace ?? 'default';
    else delete meta.namespace;
    const key = this.key(def, meta.namespace, name);
    if (this.objects.has(key)) throw errors.alreadyExists(def, name);
    if (opts.viaApi && meta.resourceVersion) {
      throw errors.badRequest('resourceVersion should not be set on objects to be created');
    }
    if (opts.viaApi && def.statusSubresource) delete obj.status;
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    if (def.generation) meta.generation = 1;
    else delete meta.generation;
    meta.resourceVersion = String(++this.counter);
    const stored = { ...obj, apiVersion: apiVersionOf(def), kind: def.kind };
    this.objects.set(key, stored);
    this.emit('ADDED', def, stored);
    return this.out(def, stored);
  }

  /**
   * Writes `candidate` over the stored object: checks a carried resourceVersion (409 on mismatch),
   * keeps server-owned metadata, applies the status-subresource split and the generation rule.
   * A write that changes nothing keeps the old resourceVersion, as the real API server does.
   */
  update(def: ResourceDef, ns: string | undefined, name: string, candidate: KubeObject, opts: WriteOptions): KubeObject {
    const key = this.key(def, ns, name);
    const old = this.objects.get(key);
    if (!old) throw errors.notFound(def, name);
    const next = clone(candidate) ?? {};
    const meta = (next.metadata ??= {});
    const oldMeta = old.metadata!;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== oldMeta.resourceVersion) {
      throw errors.conflict(def, name);
    }
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== oldMeta.uid) {
      throw errors.conflict(def, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${oldMeta.uid}`);
    }
    if (meta.name !== undefined && meta.name !== name) {
      throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && meta.namespace !== undefined && meta.namespace !== oldMeta.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    let result: KubeObject;
    if (opts.subresource === 'status') {
      result = clone(old);
      if (next.status === undefined) delete result.status;
      else result.status = next.status;
    } else {
      result = next;
      if (opts.viaApi && def.statusSubresource) {
        if (old.status === undefined) delete result.status;
        else result.status = clone(old.status);
      }
      result.metadata = {
        ...meta,
        name: oldMeta.name,
        namespace: oldMeta.namespace,
        uid: oldMeta.uid,
        creationTimestamp: oldMeta.creationTimestamp,
        generation: oldMeta.generation,
      };
      if (!def.namespaced) delete result.metadata.namespace;
      if (oldMeta.generation === undefined) delete result.metadata.generation;
    }
    result.apiVersion = apiVersionOf(def);
    result.kind = def.kind;
    result.metadata!.resourceVersion = oldMeta.resourceVersion;
    if (def.generation && opts.subresource !== 'status' && this.generationChanged(def, old, result)) {
      result.metadata!.generation = (oldMeta.generation ?? 0) + 1;
    }
    if (deepEqual(result, old)) return this.out(def, old);
    result.metadata!.resourceVersion = String(++this.counter);
    this.objects.set(key, result);
    this.emit('MODIFIED', def, result, old);
    return this.out(def, result);
  }

  private generationChanged(def: ResourceDef, a: KubeObject, b: KubeObject): boolean {
    if (def.generation === 'spec') return !deepEqual(a.spec, b.spec);
    const strip = (o: KubeObject) => {
      const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
      return def.statusSubresource ? rest : { ...rest, status: o.status };
    };
    return !deepEqual(strip(a), strip(b));
  }

  delete(def: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const key = this.key(def, ns, name);
    const old = this.objects.get(key);
    if (!old) throw errors.notFound(def, name);
    this.objects.delete(key);
    const gone = clone(old);
    gone.metadata!.resourceVersion = String(++this.counter);
    this.emit('DELETED', def, gone);
    return this.out(def, gone);
  }

  /** Test seeding: create, or replace keeping uid/creationTimestamp; .status is taken as given. */
  put(def: ResourceDef, obj: KubeObject): KubeObject {
    const ns = def.namespaced ? obj.metadata?.namespace ?? 'default' : undefined;
    const name = obj.metadata?.name ?? '';
    const body = clone(obj);
    if (body.metadata) delete body.metadata.resourceVersion;
    if (this.objects.has(this.key(def, ns, name))) return this.update(def, ns, name, body, { viaApi: false });
    return this.create(def, ns, body, { viaApi: false });
  }
}
