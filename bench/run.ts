/** `npm run bench -- <scenario> [options]`: one entry point for every bench scenario. */
import { killResumeBench, soakBench } from './kill-resume-trials.js';
import { latencyBench } from './latency.js';
import { chartBench } from './lib/charts.js';
import { limitsBench } from './limits.js';
import { peersBench } from './peers.js';
import { scaleOutBench } from './scale-out.js';
import { keyspaceBench } from './keyspace.js';
import { memoryBench } from './memory.js';
import { scaleBench } from './scale.js';
import { sourceCostBench } from './source-cost.js';
import { startupBench } from './startup.js';
import { wideBench } from './wide.js';

const scenarios: Record<string, (argv: string[]) => Promise<void>> = {
  'kill-resume': killResumeBench,
  soak: soakBench,
  chart: chartBench,
  latency: latencyBench,
  limits: limitsBench,
  peers: peersBench,
  'scale-out': scaleOutBench,
  keyspace: keyspaceBench,
  memory: memoryBench,
  scale: scaleBench,
  wide: wideBench,
  startup: startupBench,
  'source-cost': sourceCostBench,
};

/** The result sets the README quotes, one after another: `npm run bench -- all [--quick]`. */
const ALL = ['limits', 'latency', 'memory', 'peers', 'scale', 'scale-out', 'keyspace'] as const;
scenarios['all'] = async (argv) => {
  const quick = argv.includes('--quick') ? ['--quick'] : [];
  // In the test suite's quick pass, the fault benches run too, so none of them rots.
  const names = quick.length > 0 ? [...ALL, 'wide', 'kill-resume', 'soak', 'startup', 'source-cost'] : ALL;
  for (const name of names) {
    console.log(`[bench] ===== ${name} =====`);
    const started = Date.now();
    await (scenarios[name] as (a: string[]) => Promise<void>)(quick);
    // The suite runs this pass: where its minutes go shows here.
    console.log(`[bench] ===== ${name} took ${Math.round((Date.now() - started) / 1000)} s =====`);
  }
};

const [name, ...rest] = process.argv.slice(2);
const scenario = name ? scenarios[name] : undefined;
if (!scenario) {
  console.error(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}> [--quick] [options]`);
  process.exit(2);
}
await scenario(rest);
process.exit(process.exitCode ?? 0);
