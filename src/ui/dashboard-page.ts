/**
 * The dashboard: one self-contained page (no CDN, no build step), fed by /api/state and then by the /events SSE stream
 * (the whole state once, then what changed: see state-diff.ts). Only the visible tab is drawn, and on the splits tab
 * only the rows that changed, so a run of thousands of splits stays responsive.
 * Tabs mirror what Spark users look at on :4040: overview, executors, splits, target nodes, config; a keyspace run
 * adds its tables.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>c2y</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .status { padding: 2px 8px; border-radius: 4px; background: #3a7; }
  header .status.failed, header .status.interrupted { background: #c44; }
  nav { display: flex; gap: 4px; padding: 0 20px; background: #e3e6eb; }
  nav button { border: 0; background: none; padding: 10px 14px; cursor: pointer; font: inherit; }
  nav button.active { background: #f6f7f9; font-weight: 600; }
  main { padding: 16px 20px; }
  section { display: none; } section.active { display: block; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
  .card { background: #fff; border-radius: 6px; padding: 10px 14px; min-width: 130px; box-shadow: 0 1px 2px #0002; }
  .card b { display: block; font-size: 20px; }
  .bar { height: 14px; background: #dde; border-radius: 7px; overflow: hidden; margin-bottom: 16px; }
  .bar div { height: 100%; background: #3a7; }
  table { border-collapse: collapse; background: #fff; width: 100%; box-shadow: 0 1px 2px #0002; }
  th, td { padding: 5px 10px; border-bottom: 1px solid #e6e8ec; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child, td.text { text-align: left; }
  th { background: #eef0f3; }
  td.failed { color: #c44; } td.running { color: #27c; }
  pre { background: #fff; padding: 12px; overflow: auto; box-shadow: 0 1px 2px #0002; }
  svg { background: #fff; box-shadow: 0 1px 2px #0002; }
  .note { color: #667; }
</style>
</head>
<body>
<header><h1>c2y</h1><span id="title"></span><span id="status" class="status"></span><span id="updated" class="note"></span></header>
<nav>
  <button data-tab="overview" class="active">Overview</button><button data-tab="tables" id="tables-tab" hidden>Tables</button><button data-tab="executors">Executors</button>
  <button data-tab="splits">Splits</button><button data-tab="nodes">Target nodes</button><button data-tab="config">Config</button>
</nav>
<main>
<section id="overview" class="active">
  <div class="bar"><div id="progress-bar" style="width:0"></div></div>
  <div class="cards" id="cards"></div>
  <h3>rows/s over time</h3>
  <svg id="chart" width="900" height="220" viewBox="0 0 900 220" role="img" aria-label="rows per second over time"></svg>
  <h3>planned</h3><div id="planned" class="note"></div>
</section>
<section id="tables"><table id="tables-table"><thead><tr>
  <th>table</th><th>state</th><th>rows / estimated</th><th>done</th><th>splits done / running / failed of total</th><th>run</th></tr></thead><tbody></tbody></table>
  <p class="note">A keyspace run: the splits of all its tables share one queue, largest first, on the same executors.</p></section>
<section id="executors"><table id="executors-table"><thead><tr>
  <th>executor</th><th>memory used / total</th><th>peak RSS</th><th>heap used</th><th>peak heap</th><th>GC time</th>
  <th>CPU (of a core)</th><th>wait Cassandra / transcode / wait target</th><th>bound by</th><th>active tasks</th><th>completed</th><th>failed</th><th>rows</th></tr></thead><tbody></tbody></table></section>
<section id="splits"><table id="splits-table"><thead><tr>
  <th>split</th><th>state</th><th>rows</th><th>attempts</th><th>node</th><th>executor</th><th>page read p50 / p99</th><th>commit p50 / p99</th><th>last error</th></tr></thead><tbody></tbody></table></section>
<section id="nodes"><table id="nodes-table"><thead><tr>
  <th>target node</th><th>streams open</th><th>streams opened</th><th>this run's connections (pg_stat_activity)</th><th>server address</th></tr></thead><tbody></tbody></table>
  <p class="note">Connections are read live from each node's own pg_stat_activity. Nodes that are one server (one PostgreSQL listening on several addresses) each list all of them.</p>
  <p id="target-waits"></p><p id="target-advice" class="note"></p></section>
<section id="config"><pre id="config-json"></pre></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const fmt = (n) => n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
const bytes = (n) => { if (!n) return '0 B'; const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return n.toFixed(i ? 1 : 0) + ' ' + u[i]; };
const dur = (s) => s === null ? '–' : s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's' : Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
const esc = (t) => String(t ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const rows = (tbody, list) => { tbody.innerHTML = list.map((cells) => '<tr>' + cells.join('') + '</tr>').join(''); };
const td = (v, cls) => '<td' + (cls ? ' class="' + cls + '"' : '') + '>' + esc(v) + '</td>';
let state = null;
let visible = 'overview';
/** Rows of the splits table by split id, while that tab shows every split. */
const splitRows = new Map();
/** Milliseconds each live update took to apply (merge and render), the last 200: for the page's own tests. */
window.c2yApplyMs = [];
document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('nav button, section').forEach((e) => e.classList.remove('active'));
  b.classList.add('active'); $(b.dataset.tab).classList.add('active');
  visible = b.dataset.tab;
  splitRows.clear();
  if (state) sections[visible](state);
}));
function chart(points) {
  const svg = $('chart'); const W = 900, H = 220, L = 60, B = 24;
  if (points.length < 2) { svg.innerHTML = '<text x="20" y="30" fill="#667">waiting for data…</text>'; return; }
  const tMax = Math.max(1, points[points.length - 1][0]); const rMax = Math.max(1, ...points.map((p) => p[1]));
  const x = (t) => L + (t / tMax) * (W - L - 10); const y = (r) => H - B - (r / rMax) * (H - B - 10);
  const line = points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
  svg.innerHTML = '<line x1="' + L + '" y1="' + (H - B) + '" x2="' + W + '" y2="' + (H - B) + '" stroke="#999"/>' +
    '<line x1="' + L + '" y1="10" x2="' + L + '" y2="' + (H - B) + '" stroke="#999"/>' +
    '<text x="4" y="16" font-size="11">' + fmt(rMax) + '</text><text x="4" y="' + (H - B) + '" font-size="11">0</text>' +
    '<text x="' + (W - 60) + '" y="' + (H - 6) + '" font-size="11">' + dur(tMax) + '</text>' +
    '<polyline fill="none" stroke="#27c" stroke-width="2" points="' + line + '"/>';
}
function renderHeader(s) {
  $('tables-tab').hidden = !s.tables;
  $('title').textContent = s.kind + ' ' + s.runId + ': ' + s.source + ' → ' + s.target;
  $('status').textContent = s.live ? s.status : s.status + ' (read-only)'; $('status').className = 'status ' + s.status;
  $('updated').textContent = 'updated ' + new Date(s.updatedAt).toLocaleTimeString();
}
function renderOverview(s) {
  const lat = (q) => (q && q.count > 0 ? q.p50 + ' / ' + q.p99 + ' ms' : '–');
  const p = s.progress;
  $('progress-bar').style.width = (p.estimatedRows ? Math.min(100, 100 * p.rows / p.estimatedRows) : 0) + '%';
  $('cards').innerHTML = [['rows', fmt(p.rows) + ' / ' + fmt(p.estimatedRows)], ['committed', fmt(p.committed)], ['rows/s', fmt(p.rowsPerSecond)],
    ['elapsed', dur(p.elapsedSeconds)], ['ETA', dur(p.etaSeconds)], ['splits', p.splitsDone + ' done · ' + p.splitsRunning + ' running · ' + p.splitsFailed + ' failed of ' + p.splitsTotal],
    ['retries', fmt(p.retries)], ['rejected', fmt(p.rejected)], ['bytes', bytes(p.bytes)], ['throttled', (p.throttledSeconds ?? 0) + ' s'],
    ['page read p50 / p99', lat(s.latency && s.latency.pageRead.quantiles)], ['commit p50 / p99', lat(s.latency && s.latency.commit.quantiles)]]
    .concat(s.cdc ? [['live lag', s.cdc.lagSeconds === null ? 'not caught up yet' : s.cdc.lagSeconds.toFixed(1) + ' s'], ['changes pending', fmt(s.cdc.pendingChanges)],
      ['changes applied', fmt(s.cdc.appliedChanges) + ' (' + fmt(s.cdc.appliedKeys) + ' keys)'], ['CDC nodes', s.cdc.nodes.map((n) => n.name + (n.down ? ' DOWN' : '')).join(', ')]] : [])
    .map(([k, v]) => '<div class="card">' + esc(k) + '<b>' + esc(v) + '</b></div>').join('');
  chart(s.history);
  const pl = s.planned;
  $('planned').textContent = pl ? 'memory per task ' + bytes(pl.memoryPerTask.total) + '; executor need ' + bytes(pl.requiredExecutorBytes) + ' of ' + bytes(pl.executorMemoryBytes) +
    ' (headroom ' + pl.headroom + '); model ' + fmt(pl.expectedRowsPerSecond) + ' rows/s at RTT ' + pl.targetRttMs + ' ms (assumed ' + fmt(pl.assumedStreamRowsPerSecond) + ' rows/s per stream)' : '–';
}
function renderExecutors(s) {
  rows(document.querySelector('#executors-table tbody'), s.executors.map((e) => [td((e.worker ? e.executor + ' (' + e.worker + ')' : e.executor) + (e.ready === false ? ': the run ended before it was ready (it ran no split)' : ''), 'text'), td(bytes(e.rss) + ' / ' + bytes(e.heapLimit)), td(bytes(e.peakRss)),
    td(bytes(e.heapUsed)), td(bytes(e.peakHeapUsed)), td((e.gcMs / 1000).toFixed(2) + ' s'),
    td((e.cpuMs / 1000).toFixed(1) + ' s' + (e.cpuShare === null ? '' : ' (' + Math.round(e.cpuShare * 100) + ' %)')),
    td([e.timeSplit.sourceWaitMs, e.timeSplit.transcodeMs, e.timeSplit.targetWaitMs].map((ms) => (ms / 1000).toFixed(1) + ' s').join(' / ')), td(e.verdict, 'text'), td(e.activeTasks), td(e.tasksDone), td(e.tasksFailed), td(fmt(e.rows))]));
}
const pair = (q) => (q && q[0] !== null ? q[0] + ' / ' + q[1] + ' ms' : '–');
const splitCells = (x) => [td(x.id), td(x.state, x.state), td(fmt(x.rows)), td(x.attempts), td(x.node ?? '–', 'text'), td(x.executor ?? '–'),
  td(pair(x.latency && x.latency.pageRead)), td(pair(x.latency && x.latency.commit)), td(x.lastError ?? '', 'text')].join('');
function renderSplits(s) {
  const tbody = document.querySelector('#splits-table tbody');
  tbody.innerHTML = s.splits.map((x) => '<tr>' + splitCells(x) + '</tr>').join('');
  splitRows.clear();
  s.splits.forEach((x, i) => splitRows.set(x.id, tbody.children[i]));
}
/** Only the rows that changed; a split not shown yet redraws the table. */
function updateSplits(changed) {
  for (const x of changed) {
    const row = splitRows.get(x.id);
    if (!row) return renderSplits(state);
    row.innerHTML = splitCells(x);
  }
}
function renderNodes(s) {
  rows(document.querySelector('#nodes-table tbody'), s.nodes.map((n) => [td(n.node), td(n.streamsOpen), td(n.streamsOpened), td(n.serverConnections ?? '–'), td(n.serverAddress ?? '–', 'text')]));
  // The server names these states: text, never markup.
  const w = s.targetWaits;
  $('target-waits').textContent = w && w.backendSamples > 0
    ? 'Target waits (' + w.node + ', ' + w.samples + ' samples): ' + w.waits.map((x) => x.wait + ' ' + Math.round(100 * x.backends / w.backendSamples) + ' %').join(', ')
    : '';
  $('target-advice').textContent = (w && w.advice) || '';
}
function renderTables(s) {
  const pct = (t) => (t.estimatedRows ? Math.min(100, Math.floor(100 * t.rows / t.estimatedRows)) : t.state === 'done' ? 100 : 0) + ' %';
  rows(document.querySelector('#tables-table tbody'), (s.tables || []).map((t) => [td(t.table, 'text'), td(t.state, t.state), td(fmt(t.rows) + ' / ' + fmt(t.estimatedRows)), td(pct(t)),
    td(t.splitsDone + ' / ' + t.splitsRunning + ' / ' + t.splitsFailed + ' of ' + t.splitsTotal), td(t.runId, 'text')]));
}
function renderConfig(s) { $('config-json').textContent = JSON.stringify(s.config, null, 2); }
const sections = { overview: renderOverview, tables: renderTables, executors: renderExecutors, splits: renderSplits, nodes: renderNodes, config: renderConfig };
function counted() { document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1); }
/** A whole state: kept, and the header and the visible tab drawn from it. */
function render(s) {
  state = s;
  renderHeader(s);
  sections[visible](s);
  counted();
}
/** A live update: merged into the state; only the visible tab is drawn, and of the splits only the rows that changed. */
function applyPatch(patch) {
  const started = performance.now();
  Object.assign(state, patch.changed);
  state.history = patch.historyReset ? patch.history : state.history.concat(patch.history);
  if (patch.splits.length > 0) {
    const byId = new Map(state.splits.map((x, i) => [x.id, i]));
    let added = false;
    for (const x of patch.splits) {
      const at = byId.get(x.id);
      if (at === undefined) { state.splits.push(x); added = true; } else state.splits[at] = x;
    }
    if (added) state.splits.sort((a, b) => a.id - b.id);
  }
  renderHeader(state);
  if (visible === 'splits' && splitRows.size > 0) updateSplits(patch.splits);
  else sections[visible](state);
  counted();
  window.c2yApplyMs.push(performance.now() - started);
  if (window.c2yApplyMs.length > 200) window.c2yApplyMs.shift();
}
fetch('api/state').then((r) => r.json()).then((s) => {
  render(s);
  if (s.live) {
    const events = new EventSource('events');
    events.addEventListener('state', (m) => render(JSON.parse(m.data)));
    events.addEventListener('patch', (m) => applyPatch(JSON.parse(m.data)));
  }
});
</script>
</body>
</html>
`;
