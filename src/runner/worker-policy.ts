import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { TLS_MODES, type C2yConfig, type TlsMode } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { parseTargetHosts } from '../sink/index.js';
import { splitHostPort } from '../source/index.js';
import type { RunRecord } from './run-record.js';

/** One allow-list entry: a host name, an IP or a CIDR block, with or without a port. */
interface AllowEntry {
  readonly text: string;
  readonly port: number | undefined;
  matches(host: string): boolean;
}

/**
 * What a worker decides for itself, whatever a run record says: where it may connect, and with which TLS. A run
 * naming another host is refused before anything connects, so no password leaves this machine for it.
 */
export interface WorkerPolicy {
  readonly allowSource: readonly AllowEntry[];
  readonly allowTarget: readonly AllowEntry[];
  readonly source: { readonly tls: TlsMode; readonly tlsCa: string | undefined; readonly tlsCert: string | undefined; readonly tlsKey: string | undefined };
  readonly target: { readonly sslMode: TlsMode; readonly sslRootCert: string | undefined; readonly sslCert: string | undefined; readonly sslKey: string | undefined };
}

const entryList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((p) => p.trim()).filter(Boolean) : v), z.array(z.string().min(1)));

/** The worker's own settings, from `c2y worker --config` and its flags (flags win). Unknown keys are refused. */
export const workerPolicySchema = z.object({
  allowSource: entryList.default([]),
  allowTarget: entryList.default([]),
  source: z.object({ tls: z.enum(TLS_MODES).default('disable'), tlsCa: z.string().min(1).optional(), tlsCert: z.string().min(1).optional(), tlsKey: z.string().min(1).optional() }).strict().default({ tls: 'disable' }),
  target: z.object({ sslMode: z.enum(TLS_MODES).default('disable'), sslRootCert: z.string().min(1).optional(), sslCert: z.string().min(1).optional(), sslKey: z.string().min(1).optional() }).strict().default({ sslMode: 'disable' }),
}).strict();
export type WorkerPolicyInput = z.input<typeof workerPolicySchema>;

/** Strength of a TLS mode: a run may not ask more than the worker was set up to give. */
const TLS_STRENGTH: Readonly<Record<TlsMode, number>> = { disable: 0, require: 1, 'verify-ca': 2, 'verify-full': 3 };

function allowEntry(text: string, flag: string): AllowEntry {
  const match = /^(\[[^\]]+\]|[^:/\s]+(?:\/\d{1,3})?|[0-9a-fA-F:]+\/\d{1,3})(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) throw new C2yError('CONFIG_INVALID', `${flag}: "${text}" is not a host, IP or CIDR block with an optional :port`, { hint: `e.g. ${flag} 10.0.0.0/24:9042,cass-1.internal` });
  const host = (match[1] as string).replace(/^\[|\]$/g, '').toLowerCase();
  const port = match[2] === undefined ? undefined : Number(match[2]);
  const [network, bits] = host.split('/');
  if (bits !== undefined) {
    const family = isIP(network ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (isIP(network ?? '') === 0 || Number(bits) > (family === 'ipv4' ? 32 : 128)) throw new C2yError('CONFIG_INVALID', `${flag}: "${text}" is not a CIDR block`, { hint: 'e.g. 10.0.0.0/24' });
    const block = new BlockList();
    block.addSubnet(network as string, Number(bits), family);
    return { text, port, matches: (candidate) => isIP(candidate) !== 0 && block.check(candidate, isIP(candidate) === 6 ? 'ipv6' : 'ipv4') };
  }
  return { text, port, matches: (candidate) => candidate.toLowerCase() === host };
}

export function workerPolicy(input: WorkerPolicyInput): WorkerPolicy {
  const parsed = workerPolicySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new C2yError('CONFIG_INVALID', `worker settings: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`, { hint: 'keys: allowSource, allowTarget, source.tls, source.tlsCa, source.tlsCert, source.tlsKey, target.sslMode, target.sslRootCert, target.sslCert, target.sslKey' });
  }
  const { data } = parsed;
  const policy: WorkerPolicy = {
    allowSource: data.allowSource.map((text) => allowEntry(text, '--allow-source')),
    allowTarget: data.allowTarget.map((text) => allowEntry(text, '--allow-target')),
    source: { tls: data.source.tls, tlsCa: data.source.tlsCa, tlsCert: data.source.tlsCert, tlsKey: data.source.tlsKey },
    target: { sslMode: data.target.sslMode, sslRootCert: data.target.sslRootCert, sslCert: data.target.sslCert, sslKey: data.target.sslKey },
  };
  if (policy.allowSource.length === 0 || policy.allowTarget.length === 0) {
    throw new C2yError('CONFIG_INVALID', `a worker connects only where it is told to by its own settings: ${policy.allowSource.length === 0 ? '--allow-source' : '--allow-target'} is missing`, {
      hint: 'name the Cassandra and target nodes this worker may connect to, e.g. --allow-source 10.0.0.0/24:9042 --allow-target 10.0.1.5:5433 (or allowSource / allowTarget in --config)',
    });
  }
  return policy;
}

function allowed(list: readonly AllowEntry[], address: string): boolean {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return list.some((entry) => (entry.port === undefined || entry.port === port) && entry.matches(host));
}

/**
 * Every reason this worker will not serve the run; empty when it may. Addresses the worker's own address map names
 * are its own choice and pass; every other node the run names must be on the allow-list.
 */
export function refusalsOf(record: RunRecord, policy: WorkerPolicy, addressMap: Readonly<Record<string, string>>): string[] {
  const reasons: string[] = [];
  const { source, target } = record.config;
  const check = (side: 'source' | 'target', list: readonly AllowEntry[], address: string): void => {
    if (addressMap[address] === undefined && !allowed(list, address)) reasons.push(`${side} node ${address} is not on this worker's --allow-${side} list`);
  };
  for (const point of source.contactPoints) check('source', policy.allowSource, splitHostPort(point, source.port));
  for (const endpoint of [...parseTargetHosts(target.hosts, target.port), ...record.endpoints]) check('target', policy.allowTarget, `${endpoint.host}:${endpoint.port}`);
  if (TLS_STRENGTH[source.tls] > TLS_STRENGTH[policy.source.tls]) reasons.push(`the run asks TLS ${source.tls} to Cassandra; this worker is set up for ${policy.source.tls} (--source-tls)`);
  if (TLS_STRENGTH[target.sslMode] > TLS_STRENGTH[policy.target.sslMode]) reasons.push(`the run asks TLS ${target.sslMode} to the target; this worker is set up for ${policy.target.sslMode} (--target-ssl-mode)`);
  return [...new Set(reasons)];
}

/** The run's config with this worker's TLS settings in place of the record's: a record never lowers them. */
export function withWorkerTls(config: C2yConfig, policy: WorkerPolicy): C2yConfig {
  return {
    ...config,
    // Certificate files are paths on this machine: the driver's are meaningless here, so the worker's own are used.
    source: { ...config.source, tls: policy.source.tls, tlsCa: policy.source.tlsCa, tlsCert: policy.source.tlsCert, tlsKey: policy.source.tlsKey },
    target: { ...config.target, sslMode: policy.target.sslMode, sslRootCert: policy.target.sslRootCert, sslCert: policy.target.sslCert, sslKey: policy.target.sslKey },
  };
}
