/**
 * Loads Envoy's API protos (the copy shipped by `@grpc/grpc-js-xds` in `deps/`) into one
 * protobufjs Root, lazily: `bootstrap.proto` and what it imports up front, extension packages
 * (filters, transport sockets, access loggers, ...) the first time an `@type` names them.
 *
 * The Root is cached at module level: one load per jest worker / process.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';

const DEPS_DIR = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
/** Folders whose top level mirrors proto package paths (`envoy/...`, `xds/...`, `udpa/...`, `google/...`, `validate/...`). */
const PROTO_DIRS = [
  path.join(DEPS_DIR, 'envoy-api'),
  path.join(DEPS_DIR, 'xds'),
  path.join(DEPS_DIR, 'googleapis'),
  path.join(DEPS_DIR, 'protoc-gen-validate'),
  // google/protobuf/descriptor.proto (the other well-known types are built into protobufjs).
  path.dirname(require.resolve('protobufjs/package.json')),
];

const BOOTSTRAP_PROTO = 'envoy/config/bootstrap/v3/bootstrap.proto';
const BUILTIN_PROTOS = new Set(Object.keys(protobuf.common).filter((k) => k.endsWith('.proto')));

/** A field that exists in a newer Envoy API than the bundled protos (checked against upstream). */
export interface OverlayField {
  /** Full message name, without leading dot. */
  message: string;
  name: string;
  id: number;
  /** Type name as written in the .proto, resolved relative to the message (e.g. `google.protobuf.BoolValue`). */
  type: string;
  repeated?: boolean;
  /** Envoy release that introduced the field (documentation only). */
  since: string;
}

/**
 * Fields newer than the bundled (mid-2024) protos that the project may emit. Each entry was
 * checked against upstream `envoyproxy/data-plane-api`.
 */
export const DEFAULT_OVERLAY_FIELDS: readonly OverlayField[] = [
  // lua.proto: `google.protobuf.BoolValue clear_route_cache = 5;` (data-plane-api commit abb0ce9a,
  // Feb 2025, "lua: add a new clear_route_cache option support", first released in Envoy 1.34).
  {
    message: 'envoy.extensions.filters.http.lua.v3.Lua',
    name: 'clear_route_cache',
    id: 5,
    type: 'google.protobuf.BoolValue',
    since: '1.34',
  },
  // generic.proto: `string header_value_prefix = 3;`, read off the descriptor embedded in the
  // pinned Envoy 1.40.0 binary (absent in 1.36; the release between that added it is unchecked).
  {
    message: 'envoy.extensions.http.injected_credentials.generic.v3.Generic',
    name: 'header_value_prefix',
    id: 3,
    type: 'string',
    since: '1.40',
  },
];

/**
 * Fields that the bundled protos do not yet mark deprecated but upstream data-plane-api
 * (checked Jan 2026) does. Envoy warns (and may later reject) when they are used; we treat them
 * like any other deprecated field.
 */
export const UPSTREAM_DEPRECATED_FIELDS: readonly string[] = [
  'envoy.config.cluster.v3.Cluster.dns_refresh_rate',
  'envoy.config.cluster.v3.Cluster.dns_failure_refresh_rate',
  'envoy.config.cluster.v3.Cluster.respect_dns_ttl',
  'envoy.config.route.v3.VirtualHost.per_request_buffer_limit_bytes',
  'envoy.config.route.v3.Route.per_request_buffer_limit_bytes',
  'envoy.config.core.v3.Http1ProtocolOptions.use_balsa_parser',
  'envoy.config.core.v3.JsonFormatOptions.sort_properties',
  'envoy.config.core.v3.KeyValue.key',
  'envoy.config.core.v3.KeyValue.value',
  'envoy.config.core.v3.KeyValueAppend.entry',
  'envoy.config.endpoint.v3.LocalityLbEndpoints.load_balancer_endpoints',
];

function findProtoFile(target: string): string | undefined {
  for (const dir of PROTO_DIRS) {
    const p = path.join(dir, target);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

const IMPORT_RE = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;
/** rel → undefined when its import closure is on disk, else the first missing file. */
const missingImport = new Map<string, string | undefined>();

/** The first file in `rel`'s transitive imports that is not on disk (undefined: all there). */
function findMissingImport(rel: string, seen = new Set<string>()): string | undefined {
  if (missingImport.has(rel)) return missingImport.get(rel);
  if (BUILTIN_PROTOS.has(rel) || seen.has(rel)) return undefined;
  seen.add(rel);
  const file = findProtoFile(rel);
  let missing: string | undefined = file === undefined ? rel : undefined;
  if (file) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      missing = findMissingImport(m[1], seen);
      if (missing) break;
    }
  }
  missingImport.set(rel, missing);
  return missing;
}

class EnvoyProtoRegistry {
  root!: protobuf.Root;
  /** Package directories (relative, e.g. `envoy/extensions/filters/http/lua/v3`) loaded so far. */
  private loadedDirs: string[] = [];
  private failedDirs = new Map<string, string>();
  private attemptedDirs = new Set<string>();
  loadMs = 0;

  constructor(private readonly overlay: readonly OverlayField[]) {
    this.rebuild();
  }

  private newRoot(): protobuf.Root {
    const root = new protobuf.Root();
    root.resolvePath = (_origin: string, target: string) => findProtoFile(target) ?? target;
    return root;
  }

  private rebuild(): void {
    const t0 = Date.now();
    const root = this.newRoot();
    root.loadSync([BOOTSTRAP_PROTO], { keepCase: true });
    for (const dir of this.loadedDirs) root.loadSync(this.filesIn(dir), { keepCase: true });
    root.resolveAll();
    this.root = root;
    this.applyOverlay();
    this.loadMs += Date.now() - t0;
  }

  private applyOverlay(): void {
    for (const o of this.overlay) {
      const t = this.root.lookup(o.message);
      if (!(t instanceof protobuf.Type) || t.fields[o.name]) continue;
      const f = new protobuf.Field(o.name, o.id, o.type, o.repeated ? 'repeated' : undefined);
      f.setOption('(aigw.overlay).since', o.since);
      t.add(f);
      f.resolve();
    }
  }

  /** The loadable .proto files of a package directory; files whose imports are missing are skipped. */
  private filesIn(dir: string, skipped: string[] = []): string[] {
    for (const base of PROTO_DIRS) {
      const abs = path.join(base, dir);
      if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
        const out: string[] = [];
        for (const f of fs.readdirSync(abs).filter((n) => n.endsWith('.proto')).sort()) {
          const rel = `${dir}/${f}`;
          const missing = findMissingImport(rel);
          if (missing) skipped.push(`${rel} needs ${missing}, which @grpc/grpc-js-xds does not ship`);
          else out.push(rel);
        }
        return out;
      }
    }
    return [];
  }

  /**
   * Resolve a fully-qualified message name (no leading dot), loading its package directory on
   * demand. Returns undefined when no loaded or loadable proto defines it.
   */
  lookupType(fullName: string): protobuf.Type | undefined {
    const found = this.tryLookup(fullName);
    if (found) return found;
    // The package is the run of lower-case segments before the first capitalised one.
    const segs = fullName.split('.');
    const idx = segs.findIndex((s) => /^[A-Z]/.test(s));
    if (idx <= 0) return undefined;
    const dir = segs.slice(0, idx).join('/');
    if (this.loadedDirs.includes(dir) || this.attemptedDirs.has(dir)) return undefined;
    this.attemptedDirs.add(dir);
    const skipped: string[] = [];
    const files = this.filesIn(dir, skipped);
    if (skipped.length > 0) this.failedDirs.set(dir, skipped.join('; '));
    if (files.length === 0) {
      if (skipped.length === 0) this.failedDirs.set(dir, `no proto package ${segs.slice(0, idx).join('.')}`);
      return undefined;
    }
    const t0 = Date.now();
    try {
      this.root.loadSync(files, { keepCase: true });
      this.root.resolveAll();
      this.loadedDirs.push(dir);
      this.applyOverlay();
      this.loadMs += Date.now() - t0;
    } catch (e) {
      // A failed load leaves half-registered types behind: start over without this directory.
      this.failedDirs.set(dir, (e as Error).message);
      this.rebuild();
    }
    return this.tryLookup(fullName);
  }

  private tryLookup(fullName: string): protobuf.Type | undefined {
    try {
      const t = this.root.lookup(fullName);
      return t instanceof protobuf.Type ? t : undefined;
    } catch {
      return undefined;
    }
  }

  /** Why a package could not be loaded (for error messages). */
  failureFor(fullName: string): string | undefined {
    const segs = fullName.split('.');
    const idx = segs.findIndex((s) => /^[A-Z]/.test(s));
    return idx > 0 ? this.failedDirs.get(segs.slice(0, idx).join('/')) : undefined;
  }
}

let registry: EnvoyProtoRegistry | undefined;

/** The shared registry (built on first use, ~0.2 s). */
export function envoyProtos(): EnvoyProtoRegistry {
  if (!registry) registry = new EnvoyProtoRegistry(DEFAULT_OVERLAY_FIELDS);
  return registry;
}

export type { EnvoyProtoRegistry };
