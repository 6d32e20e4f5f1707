/**
 * Charts and markdown summaries beside each results file, drawn by Vega-Lite (rendered headless to SVG by Vega),
 * from the figures in the file itself, so a chart can always be redrawn: `npm run bench -- chart <results.json>`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

interface LatencyResults {
  readonly scenario: 'latency';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number };
  readonly sweep: ReadonlyArray<{ readonly oneWayMs: number; readonly rttMs: number; readonly points: ReadonlyArray<{ readonly streams: number; readonly median: number; readonly rowsPerSecond: readonly number[] }> }>;
  readonly ratios: ReadonlyArray<{ readonly streams: number; readonly ratio: number }>;
}

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

function latencyChart(results: LatencyResults): { spec: TopLevelSpec; markdown: string } {
  const values = results.sweep.flatMap((run) => run.points.flatMap((point) => point.rowsPerSecond.map((rate) => ({
    streams: point.streams, rowsPerSecond: rate, rtt: `${run.rttMs.toFixed(1)} ms RTT`, median: point.median,
  }))));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'c2y rows/s against COPY streams, target at 0 and 20 ms round trip', subtitle: `${results.parameters.rows.toLocaleString('en-US')} rows, ${results.parameters.trials} trials per point (dots), median (line); commit ${results.commit}` },
    width: 520, height: 280, data: { values },
    layer: [
      { mark: { type: 'point', opacity: 0.5 }, encoding: { x: { field: 'streams', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'streams (parallelism)' }, y: { field: 'rowsPerSecond', type: 'quantitative', title: 'rows/s' }, color: { field: 'rtt', type: 'nominal', title: null } } },
      { mark: { type: 'line' }, encoding: { x: { field: 'streams', type: 'quantitative', scale: { type: 'log', base: 2 } }, y: { field: 'median', type: 'quantitative', aggregate: 'max' }, color: { field: 'rtt', type: 'nominal' } } },
    ],
  };
  const [base, delayed] = results.sweep;
  const rows = (base?.points ?? []).map((point, index) => `| ${point.streams} | ${point.median.toLocaleString('en-US')} | ${(delayed?.points[index]?.median ?? 0).toLocaleString('en-US')} | ${results.ratios[index]?.ratio ?? ''} |`);
  const markdown = [
    `# latency (${results.commit})`, '',
    `RTT measured: ${base?.rttMs.toFixed(2)} ms and ${delayed?.rttMs.toFixed(2)} ms. Medians of ${results.parameters.trials} trials.`, '',
    `| streams | rows/s at ${base?.rttMs.toFixed(1)} ms | rows/s at ${delayed?.rttMs.toFixed(1)} ms | ratio |`, '|---|---|---|---|', ...rows, '',
  ].join('\n');
  return { spec, markdown };
}

interface PeerFigures { readonly rowsPerSecond: number; readonly peakRssBytes: number; readonly cpuSeconds: number }
interface PeersResults {
  readonly scenario: 'peers';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number; readonly parallelism: number };
  readonly c2y: { readonly median: PeerFigures | null };
  readonly sparkPeer: { readonly median?: PeerFigures | null; readonly error?: string };
  readonly dsbulk: { readonly error?: string };
}

function peersChart(results: PeersResults): { spec: TopLevelSpec; markdown: string } {
  const tools: Array<[string, PeerFigures | null | undefined]> = [['c2y', results.c2y.median], ['Spark peer (seed)', results.sparkPeer.median]];
  const values = tools.flatMap(([tool, figures]) => (figures ? [
    { tool, measure: 'rows/s (higher is better)', value: figures.rowsPerSecond },
    { tool, measure: 'peak RSS, MiB (lower is better)', value: Math.round(figures.peakRssBytes / 1024 / 1024) },
    { tool, measure: 'CPU seconds (lower is better)', value: figures.cpuSeconds },
  ] : []));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'c2y beside the seed\'s own architecture, same table and run', subtitle: `${results.parameters.rows.toLocaleString('en-US')} rows, parallelism ${results.parameters.parallelism}, medians of ${results.parameters.trials}; commit ${results.commit}` },
    data: { values },
    facet: { column: { field: 'measure', type: 'nominal', title: null } },
    spec: { width: 160, height: 200, mark: 'bar', encoding: { x: { field: 'tool', type: 'nominal', title: null, axis: { labelAngle: -30, labelLimit: 140 } }, y: { field: 'value', type: 'quantitative', title: null }, color: { field: 'tool', type: 'nominal', legend: null } } },
    resolve: { scale: { y: 'independent' } },
  };
  const line = ([tool, figures]: [string, PeerFigures | null | undefined]): string => (figures
    ? `| ${tool} | ${figures.rowsPerSecond.toLocaleString('en-US')} | ${Math.round(figures.peakRssBytes / 1024 / 1024)} MiB | ${figures.cpuSeconds} |` : `| ${tool} | could not run | | |`);
  const markdown = [`# peers (${results.commit})`, '', '| tool | rows/s | peak RSS | CPU s |', '|---|---|---|---|', ...tools.map(line), '',
    ...(results.sparkPeer.error ? [`Spark peer: ${results.sparkPeer.error}`] : []), ...(results.dsbulk.error ? [`DSBulk: ${results.dsbulk.error}`] : []), ''].join('\n');
  return { spec, markdown };
}

/** Writes `<results>.svg` and `<results>.md` next to a results file; returns their paths. */
interface ScaleOutResults {
  readonly scenario: 'scale-out';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number; readonly coresPerWorker: number };
  readonly byWorkerCount: ReadonlyArray<{ readonly workers: number; readonly rowsPerSecond: number; readonly cpuBusy: number; readonly overOneWorker: number; readonly trials: readonly number[] }>;
  readonly note: string;
}

function scaleOutChart(results: ScaleOutResults): { spec: TopLevelSpec; markdown: string } {
  const values = results.byWorkerCount.flatMap((b) => b.trials.map((rate) => ({ workers: b.workers, rowsPerSecond: rate, median: b.rowsPerSecond, cpu: Math.round(b.cpuBusy * 100) })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'c2y distributed: rows/s against workers (one network namespace each, one 2-core machine)', subtitle: `${results.parameters.rows.toLocaleString('en-US')} rows, ${results.parameters.coresPerWorker} cores per worker, ${results.parameters.trials} trials (dots), median (bars, label = machine CPU busy); commit ${results.commit}` },
    width: 420, height: 260, data: { values },
    layer: [
      { mark: { type: 'bar', opacity: 0.4 }, encoding: { x: { field: 'workers', type: 'ordinal', title: 'workers' }, y: { field: 'median', type: 'quantitative', aggregate: 'max', title: 'rows/s' } } },
      { mark: { type: 'point' }, encoding: { x: { field: 'workers', type: 'ordinal' }, y: { field: 'rowsPerSecond', type: 'quantitative' } } },
      { mark: { type: 'text', dy: -8 }, encoding: { x: { field: 'workers', type: 'ordinal' }, y: { field: 'median', type: 'quantitative', aggregate: 'max' }, text: { field: 'cpu', aggregate: 'max', format: 'd', title: 'CPU %' } } },
    ],
  };
  const markdown = [
    `# scale-out (${results.commit})`, '',
    `| workers | rows/s (median) | × one worker | machine CPU busy |`, '|---|---|---|---|',
    ...results.byWorkerCount.map((b) => `| ${b.workers} | ${b.rowsPerSecond.toLocaleString('en-US')} | ${b.overOneWorker} | ${Math.round(b.cpuBusy * 100)} % |`), '',
    results.note, '',
  ].join('\n');
  return { spec, markdown };
}

export async function chartResults(resultsFile: string): Promise<{ svg: string; markdown: string }> {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { scenario: string };
  const drawn = results.scenario === 'latency' ? latencyChart(results as LatencyResults)
    : results.scenario === 'peers' ? peersChart(results as PeersResults)
    : results.scenario === 'scale-out' ? scaleOutChart(results as ScaleOutResults) : undefined;
  if (!drawn) throw new Error(`no chart is defined for the ${results.scenario} scenario yet`);
  const { spec, markdown } = drawn;
  const base = resultsFile.replace(/\.json$/, '');
  writeFileSync(`${base}.svg`, await svgOf(spec));
  writeFileSync(`${base}.md`, markdown);
  return { svg: `${base}.svg`, markdown: `${base}.md` };
}

/** `npm run bench -- chart <results.json> …` */
export async function chartBench(argv: string[]): Promise<void> {
  for (const file of argv) {
    const written = await chartResults(file);
    console.log(`[bench] ${written.svg}, ${written.markdown}`);
  }
}
