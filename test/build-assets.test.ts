import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

// scripts/build-assets.js is plain Node (it runs in `npm run build`, before any TypeScript exists in dist).
const { copyLuaFiles, markBinsExecutable } = require('../scripts/build-assets') as {
  copyLuaFiles: (fromDir: string, toDir: string) => string[];
  markBinsExecutable: (root: string) => string[];
};

describe('build assets (scripts/build-assets.js)', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'aigate-build-assets-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('copies every src/**/*.lua to the same place under dist/lib/src, next to where tsc puts its loader', () => {
    write('src/envoy/lua/index.ts', 'export const loader = 1;');
    write('src/envoy/lua/api-key-auth.lua', 'function envoy_on_request(handle) end\n');
    write('src/envoy/lua/lib/json.lua', 'local json = {}\nreturn json\n');
    write('src/spec/notes.lua.txt', 'not Lua');

    const copied = copyLuaFiles(join(root, 'src'), join(root, 'dist/lib/src'));

    expect(copied).toEqual(['envoy/lua/api-key-auth.lua', 'envoy/lua/lib/json.lua']);
    for (const rel of copied) {
      expect(readFileSync(join(root, 'dist/lib/src', rel), 'utf8')).toBe(readFileSync(join(root, 'src', rel), 'utf8'));
    }
    expect(existsSync(join(root, 'dist/lib/src/envoy/lua/index.ts'))).toBe(false);
    expect(existsSync(join(root, 'dist/lib/src/spec/notes.lua.txt'))).toBe(false);
  });

  test('a tree without Lua copies nothing and creates nothing', () => {
    write('src/index.ts', 'export {};');
    expect(copyLuaFiles(join(root, 'src'), join(root, 'dist/lib/src'))).toEqual([]);
    expect(existsSync(join(root, 'dist'))).toBe(false);
  });

  test('marks every package.json bin executable (tsc writes 0644)', () => {
    write('package.json', JSON.stringify({ name: 'x', bin: { aigate: 'dist/lib/src/cli/main.js' } }));
    write('dist/lib/src/cli/main.js', '#!/usr/bin/env node\n');
    chmodSync(join(root, 'dist/lib/src/cli/main.js'), 0o644);

    expect(markBinsExecutable(root)).toEqual(['dist/lib/src/cli/main.js']);
    expect((statSync(join(root, 'dist/lib/src/cli/main.js')).mode & 0o777).toString(8)).toBe('755');
  });

  test('fails the build when a bin named in package.json was not built', () => {
    write('package.json', JSON.stringify({ name: 'x', bin: { aigate: 'dist/lib/src/cli/main.js' } }));
    expect(() => markBinsExecutable(root)).toThrow(/ENOENT.*main\.js/);
  });
});
