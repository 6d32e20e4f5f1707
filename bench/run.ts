/** `npm run bench -- <scenario> [options]`: one entry point for every bench scenario. */
import { killResumeBench, soakBench } from './kill-resume-trials.js';
import { latencyBench } from './latency.js';
import { chartBench } from './lib/charts.js';
import { limitsBench } from './limits.js';
import { peersBench } from './peers.js';
import { scaleOutBench } from './scale-out.js';
import { wideBench } from './wide.js';

const scenarios: Record<string, (argv: string[]) => Promise<void>> = {
  'kill-resume': killResumeBench,
  soak: soakBench,
  chart: chartBench,
  latency: latencyBench,
  limits: limitsBench,
  peers: peersBench,
  'scale-out': scaleOutBench,
  wide: wideBench,
};

const [name, ...rest] = process.argv.slice(2);
const scenario = name ? scenarios[name] : undefined;
if (!scenario) {
  console.error(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}> [--quick] [options]`);
  process.exit(2);
}
await scenario(rest);
process.exit(process.exitCode ?? 0);
