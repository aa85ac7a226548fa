/**
 * Entry point of the job bundle: esbuild bundles this file and everything it imports
 * (its own small client, zod, src/spec; never @kubernetes/client-node) into one script; the CronJob runs it with a stock
 * Node image. Exits explicitly: idle keep-alive sockets must not hold the pod open.
 */
import { runJob } from './job';
import { jsonLogger } from './log';

void runJob(process.argv.slice(2), jsonLogger((line) => process.stdout.write(line))).then((code) => process.exit(code));
