// Bundles the executor (dist/task/executor-main.js, as tsc emitted it) with its dependencies into one file beside it.
// Why: an executor is a fresh Node process per run, and loading ~270 module files (92 of c2y's, 110 of
// cassandra-driver's, pg's) cost ~0.22 s of CPU per executor, ~0.1 s once bundled: CPU every run pays before its
// first row, which the per-row bars count. forkExecutor takes the bundle only when it is newer than the module it was
// made from (a later tsc alone leaves it stale, and then the modules run).
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
