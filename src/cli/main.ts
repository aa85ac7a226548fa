#!/usr/bin/env node
import { readFileSync } from 'fs';
import { runCli } from './run';

void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
}).then((code) => {
  process.exitCode = code;
});
