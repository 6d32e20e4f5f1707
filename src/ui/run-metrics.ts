import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { LATENCY_BOUNDS_MS } from '../observe/index.js';
import type { DashboardState } from './dashboard-state.js';

type Labels = Record<string, string | number>;

/**
 * Prometheus metrics read from the dashboard state at scrape time, so they can never drift from what the pages show.
 * Totals are counters (set from the run's totals on each scrape); levels are gauges. Labelled by run and table, and
 * by executor, node or split state where they belong.
 */
export function createRunMetrics(state: () => DashboardState): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c2y_driver_' });
  const base = (): Labels => {
    const current = state();
    return { run: current.runId, table: current.source };
  };
  runTotals(registry, state, base);
  liveApplyMetrics(registry, state, base);
  tableMetrics(registry, state);
  runLevels(registry, state, base);
  nodeMetrics(registry, state, base);
  executorMetrics(registry, state, base);
  new Counter({
    name: 'c2y_target_backend_samples_total', help: "This run's backends on the driver's target node, sampled every second, by what each was doing (CPU, wait_event_type:wait_event, or its state).",
    labelNames: ['run', 'table', 'wait'], registers: [registry],
    collect(this: Counter) {
      this.reset();
      for (const w of state().targetWaits?.waits ?? []) this.inc({ ...base(), wait: w.wait }, w.backends);
    },
  });
  latencyHistogram(registry, 'c2y_page_read_seconds', 'Time for a page of a range scan to arrive from Cassandra.', () => state().latency?.pageRead.counts, base);
  latencyHistogram(registry, 'c2y_commit_seconds', 'Time to commit a COPY batch with its checkpoint.', () => state().latency?.commit.counts, base);
  return registry;
}

/** The run's totals, as counters set from the run's figures on each scrape. */
function runTotals(registry: Registry, state: () => DashboardState, base: () => Labels): void {
  const total = (name: string, help: string, value: (s: DashboardState) => number): void => {
    new Counter({
      name, help, labelNames: ['run', 'table'], registers: [registry],
      collect() {
        this.reset();
        this.inc(base(), value(state()));
      },
    });
  };
  total('c2y_rows_written_total', 'Rows committed to the target (validate: rows compared).', (s) => s.progress.committed);
  total('c2y_rows_read_total', 'Rows read from Cassandra and handed to the encoder, including open transactions and rejects.', (s) => s.progress.rows + s.progress.rejected);
  total('c2y_rows_rejected_total', 'Rows sent to rejects.jsonl.', (s) => s.progress.rejected);
  total('c2y_rows_existing_total', 'target.onExisting skip or update: committed rows whose key the target already held (this attempt).', (s) => s.progress.existing ?? 0);
  total('c2y_bytes_written_total', 'COPY bytes committed.', (s) => s.progress.bytes);
  total('c2y_commits_total', 'COPY transactions committed with their checkpoint.', (s) => s.progress.commits);
  total('c2y_retries_total', 'Split attempts retried.', (s) => s.progress.retries);
  total('c2y_throttled_seconds_total', 'Seconds streams waited in all to keep the run\'s rate limits.', (s) => s.progress.throttledSeconds ?? 0);
  total('c2y_page_retries_total', 'Page reads asked again within their split.', (s) => s.progress.pageRetries ?? 0);
}

/** A keyspace run: each table's own rows and splits, labelled keyspace.table (the run-wide series say keyspace.*). */
function tableMetrics(registry: Registry, state: () => DashboardState): void {
  const tableName = (table: string): string => `${state().source.replace(/\.\*$/, '')}.${table}`;
  new Counter({
    name: 'c2y_table_rows_written_total', help: 'Keyspace runs: rows committed per table, earlier attempts included.', labelNames: ['run', 'table'], registers: [registry],
    collect() {
      this.reset();
      for (const table of state().tables ?? []) this.inc({ run: state().runId, table: tableName(table.table) }, table.committed);
    },
  });
  new Gauge({
    name: 'c2y_table_splits', help: 'Keyspace runs: each table\'s splits by state.', labelNames: ['run', 'table', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const table of state().tables ?? []) {
        const labels = { run: state().runId, table: tableName(table.table) };
        const pending = table.splitsTotal - table.splitsDone - table.splitsRunning - table.splitsFailed;
        for (const [splitState, n] of [['pending', pending], ['running', table.splitsRunning], ['done', table.splitsDone], ['failed', table.splitsFailed]] as const) this.set({ ...labels, state: splitState }, n);
      }
    },
  });
}

/** The run's levels now: its rate and its splits by state. */
function runLevels(registry: Registry, state: () => DashboardState, base: () => Labels): void {
  new Gauge({
    name: 'c2y_rows_per_second', help: 'Rows/s over the last seconds.', labelNames: ['run', 'table'], registers: [registry],
    collect() {
      this.set(base(), state().progress.rowsPerSecond);
    },
  });
  new Gauge({
    name: 'c2y_splits', help: 'Splits by state.', labelNames: ['run', 'table', 'state'], registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>([['pending', 0], ['running', 0], ['retrying', 0], ['done', 0], ['failed', 0]]);
      for (const split of state().splits) counts.set(split.state, (counts.get(split.state) ?? 0) + 1);
      for (const [splitState, n] of counts) this.set({ ...base(), state: splitState }, n);
    },
  });
}

/** Per target node: streams opened and open, and the node's connections of this run. */
function nodeMetrics(registry: Registry, state: () => DashboardState, base: () => Labels): void {
  const perNode = (name: string, help: string, value: (node: DashboardState['nodes'][number]) => number | null, counter: boolean): void => {
    const collect = function (this: Gauge | Counter): void {
      this.reset();
      for (const node of state().nodes) {
        const v = value(node);
        if (v === null) continue;
        if (this instanceof Gauge) this.set({ ...base(), node: node.node }, v);
        else this.inc({ ...base(), node: node.node }, v);
      }
    };
    const options = { name, help, labelNames: ['run', 'table', 'node'], registers: [registry], collect };
    if (counter) new Counter(options);
    else new Gauge(options);
  };
  perNode('c2y_streams_opened_total', 'COPY streams opened per target node.', (n) => n.streamsOpened, true);
  perNode('c2y_streams_open', 'COPY streams open now per target node.', (n) => n.streamsOpen, false);
  perNode('c2y_node_connections', "This run's connections listed in the node's pg_stat_activity.", (n) => n.serverConnections, false);
}

/** Per executor: memory, CPU, GC, where its streams' time went, and its rows and tasks. */
function executorMetrics(registry: Registry, state: () => DashboardState, base: () => Labels): void {
  const perExecutor = (name: string, help: string, value: (e: DashboardState['executors'][number]) => number, counter = false): void => {
    const collect = function (this: Gauge | Counter): void {
      this.reset();
      for (const executor of state().executors) {
        const labels = { ...base(), executor: executor.executor };
        if (this instanceof Gauge) this.set(labels, value(executor));
        else this.inc(labels, value(executor));
      }
    };
    const options = { name, help, labelNames: ['run', 'table', 'executor'], registers: [registry], collect };
    if (counter) new Counter(options);
    else new Gauge(options);
  };
  perExecutor('c2y_executor_rss_bytes', 'Executor resident set size.', (e) => e.rss);
  perExecutor('c2y_executor_peak_rss_bytes', 'Executor peak resident set size.', (e) => e.peakRss);
  perExecutor('c2y_executor_heap_used_bytes', 'Executor V8 heap in use.', (e) => e.heapUsed);
  perExecutor('c2y_executor_heap_limit_bytes', 'Executor V8 heap limit (executorMemory).', (e) => e.heapLimit);
  perExecutor('c2y_executor_active_tasks', 'Tasks the executor runs now.', (e) => e.activeTasks);
  perExecutor('c2y_executor_gc_seconds_total', 'Time the executor spent in garbage collection.', (e) => e.gcMs / 1000, true);
  perExecutor('c2y_executor_cpu_seconds_total', 'CPU time of the executor process (user + system).', (e) => e.cpuMs / 1000, true);
  perExecutor('c2y_executor_source_wait_seconds_total', "Executor streams' time waiting on Cassandra for pages.", (e) => e.timeSplit.sourceWaitMs / 1000, true);
  perExecutor('c2y_executor_transcode_seconds_total', "Executor streams' time turning pages into COPY text.", (e) => e.timeSplit.transcodeMs / 1000, true);
  perExecutor('c2y_executor_target_wait_seconds_total', "Executor streams' time waiting on the target (COPY writes, commits).", (e) => e.timeSplit.targetWaitMs / 1000, true);
  perExecutor('c2y_executor_rows_total', 'Rows the executor committed.', (e) => e.rows, true);
  perExecutor('c2y_executor_tasks_done_total', 'Tasks the executor finished.', (e) => e.tasksDone, true);
  perExecutor('c2y_executor_tasks_failed_total', 'Task attempts that failed on the executor.', (e) => e.tasksFailed, true);
}

/**
 * A Prometheus histogram from counts the executors already bucketed (LATENCY_BOUNDS_MS): prom-client's Histogram can
 * only observe values one by one, so this is a metric of its own that the registry formats like one.
 */
function latencyHistogram(registry: Registry, name: string, help: string, counts: () => readonly number[] | undefined, base: () => Labels): void {
  const metric = {
    name, help, type: 'histogram', aggregator: 'sum',
    get: async () => {
      const buckets = counts() ?? [];
      const labels = base();
      const values: Array<{ metricName: string; labels: Labels; value: number }> = [];
      let cumulative = 0;
      let sum = 0;
      LATENCY_BOUNDS_MS.forEach((bound, i) => {
        cumulative += buckets[i] ?? 0;
        sum += (buckets[i] ?? 0) * bound;
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound / 1000 }, value: cumulative });
      });
      const open = buckets[LATENCY_BOUNDS_MS.length] ?? 0;
      cumulative += open;
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
      // The sum is estimated from the buckets' bounds (upper: never smaller than the truth).
      values.push({ metricName: `${name}_sum`, labels, value: (sum + open * (LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] as number) * 2) / 1000 });
      values.push({ metricName: `${name}_count`, labels, value: cumulative });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** A live migration's apply: its lag, what it applied, and each node's reader (absent before the apply starts). */
function liveApplyMetrics(registry: Registry, state: () => DashboardState, base: () => Labels): void {
  const level = (name: string, help: string, value: (cdc: NonNullable<DashboardState['cdc']>) => number | null): void => {
    new Gauge({
      name, help, labelNames: ['run', 'table'], registers: [registry],
      collect() {
        this.reset();
        const cdc = state().cdc;
        const current = cdc === undefined ? null : value(cdc);
        if (current !== null) this.set(base(), current);
      },
    });
  };
  level('c2y_cdc_lag_seconds', 'Live apply: seconds since the moment up to which every node\'s log is applied (absent until every node caught up once).', (cdc) => cdc.lagSeconds);
  level('c2y_cdc_pending_changes', 'Live apply: changes read from the logs and not yet applied.', (cdc) => cdc.pendingChanges);
  level('c2y_cdc_changes_applied', 'Live apply: changes applied since it started.', (cdc) => cdc.appliedChanges);
  level('c2y_cdc_keys_read', 'Live apply: keys read again from the source since it started.', (cdc) => cdc.appliedKeys);
  new Gauge({
    name: 'c2y_cdc_node_up', help: 'Live apply: 1 while the node\'s agent reads its log, 0 while it is started again.', labelNames: ['run', 'table', 'node'], registers: [registry],
    collect() {
      this.reset();
      for (const node of state().cdc?.nodes ?? []) this.set({ ...base(), node: node.name }, node.down === null ? 1 : 0);
    },
  });
  new Gauge({
    name: 'c2y_cdc_raw_bytes', help: 'Live apply: bytes in the node\'s cdc_raw (Cassandra refuses CDC writes at cdc_total_space).', labelNames: ['run', 'table', 'node'], registers: [registry],
    collect() {
      this.reset();
      for (const node of state().cdc?.nodes ?? []) this.set({ ...base(), node: node.name }, node.rawBytes);
    },
  });
}
