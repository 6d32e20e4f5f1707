import net from 'node:net';
import { C2yError } from '../errors/index.js';
import { ReusablePool, frameBuffers, pooledFrameOwners } from './page-buffer-pool.js';

/**
 * Node reads a socket into a new 64 KiB buffer every time, and the driver keeps those reads until their frame is
 * whole: ~150 MB of array buffers per executor per 1M rows. The ones that outlive a young collection wait for a full
 * one, which V8 runs rarely, so an executor's RSS kept climbing with the rows it read (README, "On memory"). Here each
 * Cassandra connection reads into one buffer of its own (Node's `onread`), and this assembler copies every frame out
 * of it whole: a tagged scan's RESULT into a pooled page buffer, any other frame into a buffer of its exact size. The
 * driver's Protocol then receives one chunk per frame, which it passes on without copying.
 */
const READ_BYTES = 64 * 1024;
/** Cassandra refuses frames above native_transport_max_frame_size (16 MiB by default); a length past 1 GiB is noise. */
const MAX_BODY_BYTES = 1 << 30;
const RESULT_OPCODE = 0x08;
/** Smaller frames (a range's last short page, an empty one) are cheap to allocate and would only crowd the pool. */
export const POOLED_MIN_BYTES = 64 * 1024;

export class CorruptFrameError extends C2yError {
  constructor(detail: string) {
    super('SOURCE_FRAME_CORRUPT', `a frame from Cassandra is corrupt: ${detail}`, {
      hint: 'the connection is closed and its requests are retried on another; report it if it persists',
      retryable: true,
    });
  }
}

interface FrameCounts { pooled: number }

/** Pages this process's connections read straight into pooled buffers (the report's `pageBuffers.framed`). */
const connectionCounts: FrameCounts = { pooled: 0 };

export function framedPages(): number {
  return connectionCounts.pooled;
}

/** Cuts a byte stream into whole frames. `pooledFor(streamId, opcode)` says which frames go into the page pool. */
export class FrameAssembler {
  /** The protocol's header size, fixed by the first frame as the driver's Protocol fixes it (8 before v3, else 9). */
  private headerSize = 0;
  private readonly header = Buffer.alloc(9);
  private headerFill = 0;
  private frame: Buffer | undefined;
  private frameFill = 0;

  constructor(
    private readonly pooledFor: (streamId: number, opcode: number) => boolean,
    private readonly deliver: (frame: Buffer) => boolean,
    private readonly pool: ReusablePool<Buffer> = frameBuffers,
    private readonly counts: FrameCounts = connectionCounts,
  ) {}

  /** Takes `length` bytes of `read`, which may be overwritten once this returns; false when the consumer is full. */
  feed(read: Buffer, length: number): boolean {
    let at = 0;
    let more = true;
    while (at < length) {
      if (this.frame === undefined) {
        at = this.readHeader(read, at, length);
        // A header that ends the read still starts its frame here: an empty body is delivered at once.
        if (this.frame === undefined) break;
      }
      const frame: Buffer = this.frame;
      const take = Math.min(frame.length - this.frameFill, length - at);
      read.copy(frame, this.frameFill, at, at + take);
      this.frameFill += take;
      at += take;
      if (this.frameFill < frame.length) break;
      this.frame = undefined;
      more = this.deliver(frame) && more;
    }
    return more;
  }

  /** Gathers header bytes from `at`; once the header is whole, starts its frame. Returns where reading goes on. */
  private readHeader(read: Buffer, at: number, length: number): number {
    if (this.headerSize === 0) this.headerSize = ((read[at] as number) & 0x7f) >= 3 ? 9 : 8;
    const take = Math.min(this.headerSize - this.headerFill, length - at);
    read.copy(this.header, this.headerFill, at, at + take);
    this.headerFill += take;
    if (this.headerFill === this.headerSize) {
      this.headerFill = 0;
      this.frame = this.startFrame();
    }
    return at + take;
  }

  private startFrame(): Buffer {
    const size = this.headerSize;
    const bodyLength = this.header.readUInt32BE(size - 4);
    if (bodyLength > MAX_BODY_BYTES) throw new CorruptFrameError(`its header claims a body of ${bodyLength} bytes`);
    const streamId = size === 9 ? this.header.readInt16BE(2) : this.header.readInt8(2);
    const total = size + bodyLength;
    let frame: Buffer;
    if (total >= POOLED_MIN_BYTES && this.pooledFor(streamId, this.header[size - 5] as number)) {
      const pooled = this.pool.acquire(total);
      frame = pooled.subarray(0, total);
      pooledFrameOwners.set(frame, pooled);
      this.counts.pooled++;
    } else {
      frame = Buffer.allocUnsafe(total);
    }
    this.header.copy(frame, 0, 0, size);
    this.frameFill = size;
    return frame;
  }
}

interface DriverConnection {
  options: { sslOptions?: unknown };
  netClient?: net.Socket;
  protocol?: { write(chunk: Buffer): boolean; once(event: 'drain', listener: () => void): unknown };
  parser?: object;
  open(this: DriverConnection, callback: unknown): unknown;
}

/**
 * The onread callback of one connection: frames to its Protocol, with the socket paused while the Protocol is full
 * and destroyed (the driver fails and retries its requests) on a corrupt frame.
 */
function readsOf(connection: DriverConnection, pooledFor: (parser: object, streamId: number) => boolean): (length: number, read: Buffer) => boolean {
  let waiting = false;
  const assembler = new FrameAssembler(
    (streamId, opcode) => opcode === RESULT_OPCODE && connection.parser !== undefined && pooledFor(connection.parser, streamId),
    (frame) => {
      if (connection.protocol === undefined) throw new CorruptFrameError('bytes arrived before the connection was set up');
      return connection.protocol.write(frame);
    },
  );
  return (length, read) => {
    try {
      if (assembler.feed(read, length)) return true;
    } catch (error) {
      connection.netClient?.destroy(error as Error);
      return false;
    }
    if (!waiting) {
      waiting = true;
      connection.protocol?.once('drain', () => {
        waiting = false;
        connection.netClient?.resume();
      });
    }
    return false;
  };
}

/**
 * Makes every plain-TCP connection the driver opens from now on read through a FrameAssembler (TLS sockets keep
 * Node's reads: the driver then gathers frames as before). The driver makes its socket with `new net.Socket(...)`
 * inside `open`, so for that synchronous call net.Socket makes one with `onread`; nothing else runs meanwhile.
 */
export function installFramedReads(connectionClass: unknown, pooledFor: (parser: object, streamId: number) => boolean): void {
  const prototype = (connectionClass as { prototype: DriverConnection }).prototype;
  const open = prototype.open;
  const holder = net as unknown as { Socket: typeof net.Socket };
  prototype.open = function (callback) {
    if (this.options.sslOptions) return open.call(this, callback);
    const Socket = holder.Socket;
    const onread = { buffer: Buffer.allocUnsafeSlow(READ_BYTES), callback: readsOf(this, pooledFor) };
    holder.Socket = function (options?: net.SocketConstructorOpts) {
      return new Socket({ ...options, onread } as net.SocketConstructorOpts);
    } as unknown as typeof net.Socket;
    try {
      return open.call(this, callback);
    } finally {
      holder.Socket = Socket;
    }
  };
}

/** A v4 frame: header (stream id, opcode, body length) and `body`. */
export function frameOf(streamId: number, opcode: number, body: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUInt8(0x84, 0);
  header.writeInt16BE(streamId, 2);
  header.writeUInt8(opcode, 4);
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

/**
 * Feeds `stream` in reads of the given sizes (in turn) through one buffer that is overwritten after every read, as a
 * socket with `onread` would; returns each feed's answer.
 */
export function feedThroughOneBuffer(assembler: FrameAssembler, stream: Buffer, sizes: readonly number[]): boolean[] {
  const read = Buffer.alloc(Math.max(...sizes));
  const answers: boolean[] = [];
  for (let at = 0, cut = 0; at < stream.length; cut++) {
    const length = stream.copy(read, 0, at, Math.min(stream.length, at + (sizes[cut % sizes.length] as number)));
    answers.push(assembler.feed(read, length));
    read.fill(0xee);
    at += length;
  }
  return answers;
}

/**
 * Proves an assembler at start-up: three frames (an empty body, a small one, a tagged page larger than a read) arrive
 * in reads of 1 byte to 64 KiB through one buffer that is overwritten after every read. Returns what went wrong, if
 * anything; then the driver's own reads stay.
 */
export function framedReadsSelfTest(): string | undefined {
  const page = Buffer.alloc(200_000);
  for (let index = 0; index < page.length; index++) page[index] = (index * 31) & 0xff;
  const frames = [frameOf(3, 0x02, Buffer.alloc(0)), frameOf(-1, 0x0c, Buffer.from('event')), frameOf(7, RESULT_OPCODE, page)];
  const stream = Buffer.concat(frames);
  const delivered: Buffer[] = [];
  // A pool and counts of its own: the test must not show in the run's page buffers or reads.
  const assembler = new FrameAssembler((streamId, opcode) => streamId === 7 && opcode === RESULT_OPCODE, (frame) => delivered.push(frame) > 0, new ReusablePool<Buffer>((length) => Buffer.alloc(length), 1), { pooled: 0 });
  feedThroughOneBuffer(assembler, stream, [1, 7, 3, 20, READ_BYTES]);
  const pooled = delivered[2] === undefined ? undefined : pooledFrameOwners.get(delivered[2]);
  if (delivered.length !== frames.length || delivered.some((frame, index) => !frame.equals(frames[index] as Buffer))) return 'frames read through a reused buffer came out different';
  return pooled === undefined ? 'the tagged frame was not read into a pooled buffer' : undefined;
}
