#!/usr/bin/env node
/**
 * Bundles the reconcile job (src/reconcile/job-entry.ts and everything it imports: its own small
 * HTTPS client, zod, src/spec) into one minified CommonJS file, gzips it, and fails loudly when
 * the ConfigMap that carries it would not leave room for `kubectl apply`'s
 * last-applied-configuration annotation (256 KiB for all annotations of an object: the whole
 * object's JSON lands in it), or when @kubernetes/client-node creeps back into the bundle.
 *
 *   node scripts/bundle-reconcile-job.js          (part of `npm run build`; jest's globalSetup too)
 *
 * Writes dist/reconcile-job/aigate-reconcile.js (to read) and aigate-reconcile.js.gz (what the
 * ReconcileJob construct puts in the ConfigMap's binaryData, base64-encoded).
 */
'use strict';
const { mkdirSync, writeFileSync, readFileSync } = require('fs');
const { join } = require('path');
const { gzipSync, constants } = require('zlib');

const ROOT = join(__dirname, '..');
const OUT_DIR = join(ROOT, 'dist', 'reconcile-job');
const SCRIPT = join(OUT_DIR, 'aigate-reconcile.js');
/**
 * What the bundle may take in the ConfigMap: three quarters of the 262,144 bytes the API server
 * allows for an object's annotations, so that client-side `kubectl apply` (and Argo CD's default
 * sync) can record the ConfigMap in last-applied-configuration with room to spare.
 */
const CONFIGMAP_LIMIT = 192 * 1024;
/** Room kept for the loader script and the keys next to the compressed bundle. */
const LOADER_ALLOWANCE = 4096;

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

/** Bytes the ConfigMap needs for a gzipped bundle of this size (base64 text plus the loader); throws when over the limit. */
function assertFitsConfigMap(minified, gzipped, limit = CONFIGMAP_LIMIT) {
  const payload = Math.ceil(gzipped / 3) * 4 + LOADER_ALLOWANCE;
  const summary = `aigate-reconcile.js: ${kib(minified)} minified, ${kib(gzipped)} gzipped; ConfigMap payload ${kib(payload)} of ${kib(limit)}`;
  if (payload > limit) {
    throw new Error(`the reconcile job bundle is too big for its ConfigMap to be applied with kubectl apply: ${summary}. Trim its dependencies (see scripts/bundle-reconcile-job.js).`);
  }
  return { payload, summary };
}

async function bundleReconcileJob({ quiet = false } = {}) {
  const esbuild = require('esbuild');
  mkdirSync(OUT_DIR, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'reconcile', 'job-entry.ts')],
    outfile: SCRIPT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    metafile: true,
    logLevel: 'error',
  });
  const heavy = Object.keys(result.metafile.inputs).filter((f) => f.includes('node_modules/@kubernetes/'));
  if (heavy.length > 0) {
    throw new Error(`the reconcile job bundle must not include @kubernetes/client-node (it uses src/reconcile/rest-client.ts), but it bundles ${heavy[0]}: check what src/reconcile/job.ts imports`);
  }
  const code = readFileSync(SCRIPT);
  const gz = gzipSync(code, { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(`${SCRIPT}.gz`, gz);
  const { payload, summary } = assertFitsConfigMap(code.length, gz.length);
  if (!quiet) process.stdout.write(`${summary}\n`);
  return { minified: code.length, gzipped: gz.length, payload };
}

module.exports = bundleReconcileJob;
module.exports.bundleReconcileJob = bundleReconcileJob;
module.exports.assertFitsConfigMap = assertFitsConfigMap;
module.exports.CONFIGMAP_LIMIT = CONFIGMAP_LIMIT;

if (require.main === module) {
  bundleReconcileJob().catch((err) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  });
}
