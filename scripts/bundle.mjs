// Bundles what tsc emitted into dist/ with its dependencies, for the two kinds of process c2y starts:
// - the executor, as one file beside its module (dist/task/executor-main.bundle.mjs);
// - the CLI, as an entry and the chunks its lazily loaded commands share (dist/bundle/main.mjs; bin/c2y.js takes it).
// Why: a process importing ~270-330 module files (c2y's, cassandra-driver's, pg's, zod's, ...) spent 3.5-4x the CPU of
// importing the bundle (an executor 503 against 130 ms on one machine, 431 against 117 on another; migrate's code 800
// against 319 ms there: `npm run bench -- startup`), CPU every run pays before its first row. A bundle runs only while
// it is not older than the module it was made from (a later tsc alone leaves it stale, and then the modules run).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * cassandra-driver's Astra support (lib/datastax/cloud: a secure connect bundle's zip read by adm-zip, its metadata
 * service called over https) loads in every process that imports the driver, though c2y never passes the driver a
 * `cloud` option (a Spark job's secure connect bundle is refused when its properties are read). Left out of both
 * bundles (scripts/driver-cloud-stand-in.cjs in its place), each process compiles neither adm-zip nor Node's https
 * stack. The stand-in refuses a cloud option rather than ignore it, should one ever reach the driver.
 */
const withoutDriverCloud = {
  name: 'c2y-without-driver-cloud',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]cassandra-driver[\\/]lib[\\/]datastax[\\/]cloud[\\/]index\.js$/ }, () => ({
      loader: 'js',
      contents: readFileSync(join(root, 'scripts', 'driver-cloud-stand-in.cjs'), 'utf8'),
    }));
  },
};
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The CommonJS inside (cassandra-driver, pg, ...) requires Node's built-ins: an ES module has no `require` of its own.
  banner: { js: "import { createRequire as c2yCreateRequire } from 'node:module'; const require = c2yCreateRequire(import.meta.url);" },
  // Stack traces map back to src/ with node --enable-source-maps.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Written below, whole files renamed into place: a build stopped midway (Ctrl-C, a full disk) must not leave a
  // truncated bundle that is newer than the modules, which bin/c2y.js and forkExecutor would then take.
  write: false,
  plugins: [withoutDriverCloud],
};

/** Each output written beside its place, then renamed over it: the bundle (last) appears only complete. */
function publishFiles(outputFiles) {
  const ordered = [...outputFiles].sort((a, b) => Number(a.path.endsWith('.mjs')) - Number(b.path.endsWith('.mjs')));
  for (const file of ordered) {
    writeFileSync(`${file.path}.partial`, file.contents);
    renameSync(`${file.path}.partial`, file.path);
  }
}

/**
 * A folder of outputs built whole beside `folder`, then put in its place: chunk names carry a hash, so the previous
 * build's chunks go with the old folder rather than piling up. Between the two renames the modules run.
 */
function publishFolder(outputFiles, folder) {
  const next = `${folder}.next`;
  rmSync(next, { recursive: true, force: true });
  for (const file of outputFiles) {
    const target = join(next, relative(folder, file.path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
  rmSync(folder, { recursive: true, force: true });
  renameSync(next, folder);
}


const executor = await build({ ...common, entryPoints: ['dist/task/executor-main.js'], outfile: 'dist/task/executor-main.bundle.mjs' });
publishFiles(executor.outputFiles);

// dist/bundle/ sits as deep as dist/cli/, dist/task/, ...: the paths c2y finds from its own module's URL (the
// executor, the testbed's files, the CDC agent's source) resolve the same from a chunk.
const cli = await build({
  ...common,
  entryPoints: { main: 'dist/cli/main.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  // Commands stay lazily loaded: `c2y status` does not compile migrate's code.
  splitting: true,
  // msgpackr's optional native addon (through BullMQ) is found at run time, or not, as without the bundle.
  external: ['msgpackr-extract'],
});
publishFolder(cli.outputFiles, join(root, 'dist', 'bundle'));
