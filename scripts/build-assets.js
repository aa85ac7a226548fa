#!/usr/bin/env node
// Build steps around `tsc` (plain Node, so the build runs the same on every OS and shell):
//   node scripts/build-assets.js clean    empties dist/lib, so no output of a deleted source is packed
//   node scripts/build-assets.js assets   copies every src/**/*.lua next to its compiled loader
//                                         (Lua filters are read at synth time from beside it; tsc
//                                         copies only what it compiles) and marks the CLI executable
'use strict';
const { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } = require('fs');
const { dirname, join, relative } = require('path');

const ROOT = join(__dirname, '..');
const LIB = join(ROOT, 'dist', 'lib');

/** Every file under `dir` whose name ends with `extension`, as absolute paths, sorted. */
function filesUnder(dir, extension) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(path, extension);
      return entry.isFile() && entry.name.endsWith(extension) ? [path] : [];
    })
    .sort();
}

/** Copies every .lua file under `fromDir` to the same relative path under `toDir`; returns the relative paths. */
function copyLuaFiles(fromDir, toDir) {
  return filesUnder(fromDir, '.lua').map((file) => {
    const rel = relative(fromDir, file);
    const target = join(toDir, rel);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    return rel.split('\\').join('/');
  });
}

/** Sets mode 0755 on every `bin` entry of package.json (tsc writes 0644; the shebang needs the bit). */
function markBinsExecutable(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) chmodSync(join(root, bin), 0o755);
  return bins;
}

if (require.main === module) {
  const step = process.argv[2];
  if (step === 'clean') {
    rmSync(LIB, { recursive: true, force: true });
  } else if (step === 'assets') {
    const lua = copyLuaFiles(join(ROOT, 'src'), join(LIB, 'src'));
    const bins = markBinsExecutable(ROOT);
    process.stderr.write(`build-assets: ${lua.length} Lua file(s) copied, ${bins.length} bin(s) marked executable\n`);
  } else {
    process.stderr.write(`usage: node scripts/build-assets.js clean|assets (got ${JSON.stringify(step)})\n`);
    process.exitCode = 2;
  }
}

module.exports = { copyLuaFiles, markBinsExecutable };
