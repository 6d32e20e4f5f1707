import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { addConfigOptions, configWithPasswords } from './config-options.js';
import type { C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { describeServer, openTarget, firstTargetEndpoint } from '../sink/index.js';
import { describeTable, openCassandra, sessionOptionsOf } from '../source/index.js';

/** The commented example shipped with c2y: init fills in what it was told and checked, and keeps the rest. */
function exampleText(): string {
  const path = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'c2y.example.yaml');
  return readFileSync(path, 'utf8');
}

/** Replaces `key: value` (or `# key: value`) under `section` (or at the top level) keeping the line's comment. */
function setLine(text: string, section: string | null, key: string, value: string): string {
  const lines = text.split('\n');
  let inSection = section === null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\S/.test(line) && !line.startsWith('#')) inSection = section === null ? true : line.startsWith(`${section}:`);
    const pattern = section === null ? new RegExp(`^(#\\s*)?${key}:\\s*[^#]*?(\\s+#.*)?$`) : new RegExp(`^(\\s+)(#\\s*)?${key}:\\s*[^#]*?(\\s+#.*)?$`);
    const match = pattern.exec(line);
    if (!inSection || !match) continue;
    const comment = (section === null ? match[2] : match[3]) ?? '';
    lines[i] = `${section === null ? '' : (match[1] as string)}${key}: ${value}${comment}`;
    return lines.join('\n');
  }
  return text;
}

const yamlList = (items: readonly string[]): string => `[${items.join(', ')}]`;

/** What init fills in: what it was told, and checked. Passwords never (they stay in the environment or a prompt). */
const FILLED: ReadonlyArray<readonly [section: 'source' | 'target', key: string, value: (config: C2yConfig) => string | undefined]> = [
  ['source', 'contactPoints', (c) => yamlList(c.source.contactPoints)],
  ['source', 'localDataCenter', (c) => c.source.localDataCenter],
  ['source', 'keyspace', (c) => c.source.keyspace],
  ['source', 'table', (c) => c.source.table],
  ['source', 'username', (c) => c.source.username],
  ['source', 'tls', (c) => c.source.tls],
  ['source', 'tlsCa', (c) => c.source.tlsCa],
  ['target', 'hosts', (c) => yamlList(c.target.hosts)],
  ['target', 'database', (c) => c.target.database],
  ['target', 'user', (c) => c.target.user],
  ['target', 'sslMode', (c) => c.target.sslMode],
  ['target', 'sslRootCert', (c) => c.target.sslRootCert],
  ['target', 'schema', (c) => c.target.schema],
  ['target', 'table', (c) => c.target.table],
];

function filledExample(config: C2yConfig): string {
  let text = exampleText();
  for (const [section, key, value] of FILLED) {
    const given = value(config);
    if (given !== undefined) text = setLine(text, section, key, given);
  }
  return text;
}

export function initCommand(): Command {
  const command = new Command('init').description(summaryOf('init'));
  addConfigOptions(command)
    .option('--out <file>', 'where to write the config', 'c2y.yaml')
    .option('--force', 'overwrite the file if it exists')
    .action(async (options: Record<string, unknown>) => {
      const out = options['out'] as string;
      if (existsSync(out) && options['force'] !== true) throw new C2yError('CONFIG_INVALID', `${out} exists`, { hint: 'pick another --out, or --force to overwrite it' });
      const { config } = await configWithPasswords(options);
      // Both ends are checked before anything is written: a config that names an unreachable node is no start.
      const cassandra = await openCassandra(sessionOptionsOf(config.source));
      let columns: number;
      try {
        columns = (await describeTable(cassandra, config.source.keyspace, config.source.table)).columns.length;
      } finally {
        await cassandra.shutdown();
      }
      const endpoint = firstTargetEndpoint(config.target, 'set --target-hosts');
      const target = await openTarget(endpoint, config.target, 'c2y init');
      let server: string;
      try {
        server = (await describeServer(target)).version.split(' ').slice(0, 2).join(' ');
      } finally {
        await target.end();
      }
      writeFileSync(out, filledExample(config), { mode: 0o600 });
      process.stdout.write(`checked ${config.source.keyspace}.${config.source.table} (${columns} columns) and ${server} at ${endpoint.key}\nwrote ${out}: c2y plan --config ${out}, then c2y migrate --config ${out}\n`);
    });
  return command;
}
