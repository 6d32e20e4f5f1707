import { fork } from 'node:child_process';
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { EXACT_ENCODING, cellDecoder, installRawPageHook, parseCanned, rowsBody, type DriverType } from '../../src/source/index.js';
import { warmTranscoders, type DriverMessage, type ExecutorMessage } from '../../src/task/index.js';

const { dataTypes } = cassandra.types;

describe('rowsBody: a RESULT Rows body of any columns', () => {
  it('reads back through the driver parser with the hook: collections\' type options and null cells included', () => {
    const codec = cellDecoder({ options: { encoding: EXACT_ENCODING } }) as unknown as { encode(value: unknown, type: DriverType): Buffer; decode(bytes: Buffer, type: DriverType): unknown };
    const types: DriverType[] = [{ code: dataTypes.bigint }, { code: dataTypes.map, info: [{ code: dataTypes.varchar }, { code: dataTypes.list, info: { code: dataTypes.int } }] }, { code: dataTypes.set, info: { code: dataTypes.varchar } }];
    const values = [[1n, { a: [1, 2] }, ['x', 'y']], [2n, null, ['z']]];
    const body = rowsBody(types.map((type, index) => ({ name: `c${index}`, type })), values.map((row) => row.map((value, index) => (value === null ? null : codec.encode(value, types[index] as DriverType)))));
    expect(installRawPageHook().installed).toBe(true);
    const page = parseCanned(3, body);
    if (typeof page === 'string') throw new Error(page);
    expect(page.rowCount).toBe(2);
    expect(page.columns.map((column) => column.type.code)).toEqual(types.map((type) => type.code));
    const cell = (row: number, column: number): unknown => {
      const at = row * types.length + column;
      const length = page.lengths[at] as number;
      return length < 0 ? null : codec.decode(page.buffer.subarray(page.starts[at] as number, (page.starts[at] as number) + length), page.columns[column]?.type as DriverType);
    };
    expect(cell(0, 0)).toBe(1n);
    expect([...(cell(0, 1) as Map<string, number[]>).entries()]).toEqual([['a', [1, 2]]]);
    expect([...(cell(0, 2) as Set<string>)]).toEqual(['x', 'y']);
    expect(cell(1, 1)).toBeNull();
    page.release();
  });
});

describe('warming the copy path before a run', () => {
  it('runs every column of the synthetic table through a transcoder, COPY binary and text, none by the driver\'s decode', () => {
    const warmed = warmTranscoders(60);
    expect(warmed.skipped).toBeUndefined();
    // At least one page of each format.
    expect(warmed.rows).toBeGreaterThanOrEqual(1000);
    expect(warmed.referenceCells).toBe(0);
    expect(warmed.cpuMs).toBeGreaterThanOrEqual(60);
  });

  it('a forked executor (the built one, as a worker forks it) answers warm-up with what it ran, before any init', async () => {
    const child = fork('dist/task/executor-main.js', [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const warmed = await new Promise<ExecutorMessage>((resolve, reject) => {
        child.on('message', (message: ExecutorMessage) => {
          if (message.type === 'loaded') child.send({ type: 'warm-up', budgetMs: 50 } satisfies DriverMessage);
          if (message.type === 'warmed') resolve(message);
        });
        child.once('exit', (code) => reject(new Error(`executor exited (${String(code)})`)));
      });
      expect(warmed).toMatchObject({ type: 'warmed', referenceCells: 0 });
      expect(warmed.type === 'warmed' && warmed.rows).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
