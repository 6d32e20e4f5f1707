import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cdcNodeOf, parseAgentLine } from '../../src/cdc/index.js';
import { C2yError } from '../../src/errors/index.js';

describe('--cdc-node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-node-'));
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'cassandra.yaml'), 'cluster_name: x\nlisten_address: 10.0.0.7\n');

  it('takes a Cassandra home, named by its listen_address', () => {
    expect(cdcNodeOf(dir)).toEqual({ name: '10.0.0.7', yaml: join(dir, 'conf', 'cassandra.yaml'), libDir: join(dir, 'lib') });
  });

  it('takes <cassandra.yaml>,<lib>; a yaml without listen_address is named by its path', () => {
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, 'cluster_name: x\n');
    expect(cdcNodeOf(`${bare},/opt/lib`)).toEqual({ name: bare, yaml: bare, libDir: '/opt/lib' });
  });

  it('refuses a yaml it cannot read, saying how to name a node', () => {
    let thrown: unknown;
    try {
      cdcNodeOf(join(dir, 'nowhere'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(C2yError);
    expect((thrown as C2yError).code).toBe('CONFIG_INVALID');
    expect((thrown as C2yError).hint).toMatch(/Cassandra home.*<cassandra.yaml>,<lib folder>/);
  });
});

describe('the agent\'s caught-up line', () => {
  it('carries the node\'s commit-log sync period when the agent knows it', () => {
    expect(parseAgentLine('{"type":"caught-up","segment":1,"position":2,"at":3,"rawBytes":0,"rawLimit":1,"syncMs":1000}')).toMatchObject({ syncMs: 1000 });
    expect(() => parseAgentLine('{"type":"caught-up","segment":1,"position":2,"at":3,"rawBytes":0,"rawLimit":1,"syncMs":-1}')).toThrow(/does not know/);
  });
});
