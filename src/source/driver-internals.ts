import cassandra from 'cassandra-driver';
import connectionModule from 'cassandra-driver/lib/connection.js';
import streamsModule from 'cassandra-driver/lib/streams.js';
import typesModule from 'cassandra-driver/lib/types/index.js';

/**
 * The driver's internal modules c2y reaches into (the raw page hook and its self-test), imported
 * statically rather than through createRequire: the executor's bundle (scripts/bundle.mjs) then holds one
 * copy of the driver, the one its sessions run on, and the hook patches the parser those sessions use. A require at
 * run time would load a second copy from node_modules, hook that one, and leave every page on the driver's slow path.
 * Each user casts what it takes to the shape it relies on; the hook is installed only on the pinned version.
 */

/** The driver's version as its package says. */
export const driverVersion: string = (cassandra as unknown as { version: string }).version;

/** lib/streams.js's Parser (the transform that turns frames into results). */
export const driverParserClass: unknown = (streamsModule as { Parser: unknown }).Parser;

/** lib/connection.js's Connection (its `_write` sees every request with its stream id). */
export const driverConnectionClass: unknown = connectionModule;

/** lib/types's FrameHeader. */
export const driverFrameHeaderClass: unknown = (typesModule as { FrameHeader: unknown }).FrameHeader;
