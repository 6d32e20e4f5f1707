// Bundles the executor (dist/task/executor-main.js, as tsc emitted it) with its dependencies into one file beside it.
// Why: an executor is a fresh Node process per run, and importing ~270 module files (92 of c2y's, 110 of
// cassandra-driver's, pg's) cost it ~3.5-3.9x the CPU of importing this one file (250 against 73 ms on one machine,
// 503 against 130 on a slower one: `npm run bench -- startup`), CPU every run pays before its first row and the
// per-row bars count. forkExecutor takes the bundle only while it is not older than the module it was made from (a
// later tsc alone leaves it stale, and then the modules run).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ['dist/task/executor-main.js'],
  outfile: 'dist/task/executor-main.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The CommonJS inside (cassandra-driver, pg) requires Node's built-ins: an ES module has no `require` of its own.
  banner: { js: "import { createRequire as c2yCreateRequire } from 'node:module'; const require = c2yCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
