/**
 * Charts and markdown summaries beside each results file, drawn by Vega-Lite (rendered headless to SVG by Vega),
 * from the figures in the file itself, so a chart can always be redrawn: `npm run bench -- chart <results.json>`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

type LatencySweep = ReadonlyArray<{ readonly oneWayMs: number; readonly rttMs: number; readonly proxyCpuMicrosPerMb?: number; readonly points: ReadonlyArray<{ readonly streams: number; readonly median: number; readonly rowsPerSecond: readonly number[] }> }>;
interface LatencyResults {
  readonly scenario: 'latency';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number };
  readonly sweep: LatencySweep;
  readonly ratios: ReadonlyArray<{ readonly streams: number; readonly ratio: number }>;
  /** Newer files: one sweep per delayed side (target, source, both). */
  readonly sides?: ReadonlyArray<{ readonly side: string; readonly sweep: LatencySweep; readonly ratios: ReadonlyArray<{ readonly streams: number; readonly ratio: number }> }>;
}

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

function latencyChart(results: LatencyResults): { spec: TopLevelSpec; markdown: string } {
  const sides = results.sides ?? [{ side: 'target', sweep: results.sweep, ratios: results.ratios }];
  const values = sides.flatMap((side) => side.sweep.flatMap((run) => run.points.flatMap((point) => point.rowsPerSecond.map((rate) => ({
    streams: point.streams, rowsPerSecond: rate, rtt: `${side.side} at ${run.rttMs.toFixed(1)} ms RTT`, median: point.median,
  })))));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `c2y rows/s against COPY streams, ${sides.map((s) => s.side).join(' / ')} at ${sides[0]?.sweep[0]?.rttMs.toFixed(1) ?? '?'} and ${sides[0]?.sweep[1]?.rttMs.toFixed(1) ?? '?'} ms round trip`, subtitle: `${results.parameters.rows.toLocaleString('en-US')} rows, ${results.parameters.trials} trials per point (dots), median (line); commit ${results.commit}` },
    width: 520, height: 280, data: { values },
    layer: [
      { mark: { type: 'point', opacity: 0.5 }, encoding: { x: { field: 'streams', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'streams (parallelism)' }, y: { field: 'rowsPerSecond', type: 'quantitative', title: 'rows/s' }, color: { field: 'rtt', type: 'nominal', title: null } } },
      { mark: { type: 'line' }, encoding: { x: { field: 'streams', type: 'quantitative', scale: { type: 'log', base: 2 } }, y: { field: 'median', type: 'quantitative', aggregate: 'max' }, color: { field: 'rtt', type: 'nominal' } } },
    ],
  };
  const markdown = [`# latency (${results.commit})`, ''];
  for (const side of sides) {
    const [base, delayed] = side.sweep;
    markdown.push(
      `## ${side.side} behind the delay`, '',
      `RTT measured: ${base?.rttMs.toFixed(2)} ms and ${delayed?.rttMs.toFixed(2)} ms; proxy CPU ${delayed?.proxyCpuMicrosPerMb ?? '?'} µs per MB. Medians of ${results.parameters.trials} trials.`, '',
      `| streams | rows/s at ${base?.rttMs.toFixed(1)} ms | rows/s at ${delayed?.rttMs.toFixed(1)} ms | ratio |`, '|---|---|---|---|',
      ...(base?.points ?? []).map((point, index) => `| ${point.streams} | ${point.median.toLocaleString('en-US')} | ${(delayed?.points[index]?.median ?? 0).toLocaleString('en-US')} | ${side.ratios[index]?.ratio ?? ''} |`), '',
    );
  }
  return { spec, markdown: markdown.join('\n') };
}

interface PeerFigures { readonly rowsPerSecond: number; readonly peakRssBytes: number; readonly cpuSeconds: number }
interface PeersResults {
  readonly scenario: 'peers';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number; readonly parallelism: number };
  readonly c2y: { readonly median: PeerFigures | null };
  readonly sparkPeer: { readonly median?: PeerFigures | null; readonly error?: string };
  /** Older result files carry `dsbulk` with an error only. */
  readonly dsbulk?: { readonly error?: string };
  readonly dsbulkArchitecturePeer?: { readonly median?: PeerFigures | null; readonly error?: string };
}

function peersChart(results: PeersResults): { spec: TopLevelSpec; markdown: string } {
  const tools: Array<[string, PeerFigures | null | undefined]> = [
    ['c2y', results.c2y.median], ['Spark peer (seed)', results.sparkPeer.median], ["DSBulk's architecture (driver 4 + psql \\copy)", results.dsbulkArchitecturePeer?.median],
  ];
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
    ...(results.sparkPeer.error ? [`Spark peer: ${results.sparkPeer.error}`] : []), ...(results.dsbulk?.error ? [`DSBulk: ${results.dsbulk.error}`] : []),
    ...(results.dsbulkArchitecturePeer?.error ? [`DSBulk's architecture: ${results.dsbulkArchitecturePeer.error}`] : []), ''].join('\n');
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

interface LimitsResults {
  readonly scenario: 'limits';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number; readonly parallelism: number; readonly executors: number; readonly cores: number };
  readonly medians: {
    readonly sourceOnlyRowsPerSecond: number; readonly sinkOnlyRowsPerSecond: number; readonly e2eRowsPerSecond: number; readonly ratio: number; readonly e2eCpuMicrosPerRow: number; readonly encodeMicrosPerRow: number;
    readonly cassandraMicrosPerRow?: number; readonly postgresMicrosPerRow?: number; readonly boundRowsPerSecond?: number; readonly e2eOverBound?: number;
  };
}

function limitsChart(results: LimitsResults): { spec: TopLevelSpec; markdown: string } {
  const m = results.medians;
  const values = [
    { stage: 'source-only (scan + decode)', rowsPerSecond: Math.round(m.sourceOnlyRowsPerSecond) },
    { stage: 'sink-only (psql \\copy)', rowsPerSecond: Math.round(m.sinkOnlyRowsPerSecond) },
    { stage: 'c2y end to end', rowsPerSecond: Math.round(m.e2eRowsPerSecond) },
    ...(m.boundRowsPerSecond === undefined ? [] : [{ stage: 'bound: cores / (Cassandra + PostgreSQL CPU per row)', rowsPerSecond: Math.round(m.boundRowsPerSecond) }]),
  ];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'c2y end to end beside the physical limits on this machine', subtitle: `${results.parameters.rows.toLocaleString('en-US')} rows, medians of ${results.parameters.trials}; e2e / bound = ${m.e2eOverBound?.toFixed(2) ?? '–'} (goal ≥ 0.85); e2e / min = ${m.ratio.toFixed(2)}; commit ${results.commit}` },
    width: 420, height: 160, data: { values },
    mark: { type: 'bar' },
    encoding: { y: { field: 'stage', type: 'nominal', sort: null, title: null }, x: { field: 'rowsPerSecond', type: 'quantitative', title: 'rows/s' } },
  };
  const markdown = [
    `# limits (${results.commit})`, '',
    '| source-only | sink-only | c2y e2e | bound | e2e / bound | e2e / min | c2y CPU µs/row | Cassandra µs/row | PostgreSQL µs/row |', '|---|---|---|---|---|---|---|---|---|',
    `| ${Math.round(m.sourceOnlyRowsPerSecond).toLocaleString('en-US')} | ${Math.round(m.sinkOnlyRowsPerSecond).toLocaleString('en-US')} | ${Math.round(m.e2eRowsPerSecond).toLocaleString('en-US')} | ${m.boundRowsPerSecond === undefined ? '–' : Math.round(m.boundRowsPerSecond).toLocaleString('en-US')} | ${m.e2eOverBound?.toFixed(2) ?? '–'} | ${m.ratio.toFixed(2)} | ${m.e2eCpuMicrosPerRow.toFixed(1)} | ${m.cassandraMicrosPerRow?.toFixed(1) ?? '–'} | ${m.postgresMicrosPerRow?.toFixed(1) ?? '–'} |`, '',
  ].join('\n');
  return { spec, markdown };
}

interface MemoryFigures { readonly peakRssMiB: number; readonly plannedPeakRssMiB: number; readonly peakHeapMiB: number; readonly plannedTaskMiB: number; readonly withinPlan: boolean }
interface MemoryResults {
  readonly scenario: 'memory';
  readonly commit: string;
  readonly parameters: { readonly rows: number; readonly trials: number; readonly executorMemory?: string };
  readonly grid: ReadonlyArray<{ readonly copyBufferSize: number; readonly cores: number; readonly median: MemoryFigures }>;
  readonly flat: ReadonlyArray<{ readonly rows: number; readonly peakRssMiB: number; readonly plannedPeakRssMiB: number; readonly rowsPerSecond: number }>;
  readonly flatness: { readonly fromRows: number; readonly toRows: number; readonly peakRssRatio: number } | null;
}

function memoryChart(results: MemoryResults): { spec: TopLevelSpec; markdown: string } {
  const values = results.grid.flatMap((g) => [
    { setting: `buffer ${g.copyBufferSize / 1000}K × ${g.cores} core(s)`, what: 'planned ceiling', mib: g.median.plannedPeakRssMiB },
    { setting: `buffer ${g.copyBufferSize / 1000}K × ${g.cores} core(s)`, what: 'measured peak RSS', mib: g.median.peakRssMiB },
    { setting: `buffer ${g.copyBufferSize / 1000}K × ${g.cores} core(s)`, what: 'measured peak heap', mib: g.median.peakHeapMiB },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'executor memory: planned ceiling beside measured peaks', subtitle: `${results.parameters.rows.toLocaleString('en-US')} rows, one executor (executorMemory ${results.parameters.executorMemory ?? '2g'}), one split per core, medians of ${results.parameters.trials}; commit ${results.commit}` },
    width: 460, data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'setting', type: 'nominal', sort: null, title: null }, yOffset: { field: 'what', type: 'nominal' },
      x: { field: 'mib', type: 'quantitative', title: 'MiB' }, color: { field: 'what', type: 'nominal', title: null },
    },
  };
  const markdown = [
    `# memory (${results.commit}, executorMemory ${results.parameters.executorMemory ?? '2g'})`, '',
    '| copyBufferSize | cores | planned per task | planned peak RSS ≤ | measured peak RSS | measured peak heap | within plan |', '|---|---|---|---|---|---|---|',
    ...results.grid.map((g) => `| ${g.copyBufferSize.toLocaleString('en-US')} | ${g.cores} | ${g.median.plannedTaskMiB} MiB | ${g.median.plannedPeakRssMiB} MiB | ${g.median.peakRssMiB} MiB | ${g.median.peakHeapMiB} MiB | ${g.median.withinPlan ? 'yes' : 'NO'} |`),
    '', '| rows | rows/s | peak RSS | planned ≤ |', '|---|---|---|---|',
    ...results.flat.map((f) => `| ${f.rows.toLocaleString('en-US')} | ${f.rowsPerSecond.toLocaleString('en-US')} | ${f.peakRssMiB} MiB | ${f.plannedPeakRssMiB} MiB |`), '',
    results.flatness ? `Peak RSS at ${results.flatness.toRows.toLocaleString('en-US')} rows / at ${results.flatness.fromRows.toLocaleString('en-US')} rows = **${results.flatness.peakRssRatio}**.` : '', '',
  ].join('\n');
  return { spec, markdown };
}

interface ScaleResults {
  readonly scenario: 'scale';
  readonly commit: string;
  readonly results: ReadonlyArray<{ readonly rows: number; readonly rowsPerSecond: number; readonly secondsPerMillion: number; readonly peakRssMiB: number; readonly cpuMicrosPerRow: number; readonly trials: readonly unknown[] }>;
  readonly growth: { readonly rowsFactor: number; readonly secondsPerMillionRatio: number; readonly peakRssRatio: number } | null;
}

function scaleChart(results: ScaleResults): { spec: TopLevelSpec; markdown: string } {
  const values = results.results.flatMap((r) => [
    { rows: r.rows, measure: 'rows/s', value: r.rowsPerSecond },
    { rows: r.rows, measure: 'peak executor RSS, MiB', value: r.peakRssMiB },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'c2y as the table grows: rows/s and peak RSS per step', subtitle: `2 executors × 4 cores, parallelism 16; commit ${results.commit}` },
    data: { values },
    facet: { column: { field: 'measure', type: 'nominal', title: null } },
    spec: {
      width: 240, height: 200,
      mark: { type: 'line', point: true },
      encoding: { x: { field: 'rows', type: 'quantitative', scale: { type: 'log' }, title: 'rows (log)' }, y: { field: 'value', type: 'quantitative', title: null } },
    },
    resolve: { scale: { y: 'independent' } },
  };
  const markdown = [
    `# scale (${results.commit})`, '',
    '| rows | rows/s | s per million rows | peak RSS | c2y CPU µs/row | trials |', '|---|---|---|---|---|---|',
    ...results.results.map((r) => `| ${r.rows.toLocaleString('en-US')} | ${r.rowsPerSecond.toLocaleString('en-US')} | ${r.secondsPerMillion} | ${r.peakRssMiB} MiB | ${r.cpuMicrosPerRow} | ${r.trials.length} |`), '',
    results.growth ? `×${results.growth.rowsFactor} rows: seconds per million rows ×${results.growth.secondsPerMillionRatio}, peak RSS ×${results.growth.peakRssRatio}.` : '', '',
  ].join('\n');
  return { spec, markdown };
}

export async function chartResults(resultsFile: string): Promise<{ svg: string; markdown: string }> {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { scenario: string };
  const drawn = results.scenario === 'latency' ? latencyChart(results as LatencyResults)
    : results.scenario === 'peers' ? peersChart(results as PeersResults)
    : results.scenario === 'scale-out' ? scaleOutChart(results as ScaleOutResults)
    : results.scenario === 'limits' ? limitsChart(results as LimitsResults)
    : results.scenario === 'memory' ? memoryChart(results as MemoryResults)
    : results.scenario === 'scale' ? scaleChart(results as ScaleResults) : undefined;
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
