// The public spec types are plain TypeScript expanded from the zod schemas (scripts/public-types.js),
// so the package's declarations never make a consumer's tsc load zod's (test/consumer.test.ts
// checks that against the installed tarball). Here: the expansion is current.
import { spawnSync } from 'child_process';
import { join } from 'path';

test('src/spec/public-types.ts is what scripts/public-types.js generates from the schemas (run `npm run generate` when it is stale)', () => {
  const r = spawnSync(process.execPath, [join(__dirname, '..', 'scripts', 'public-types.js'), '--check'], { encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
}, 60_000);
