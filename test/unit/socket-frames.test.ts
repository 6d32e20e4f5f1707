import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptFrameError, FrameAssembler, POOLED_MIN_BYTES, feedThroughOneBuffer, ReusablePool, framedReadsSelfTest, frameOf, installRawPageHook, pooledFrameOwners } from '../../src/source/index.js';

const RESULT = 0x08;

const counts = (): { pooled: number } => ({ pooled: 0 });

describe('socket reads cut into whole frames', () => {
  it('passes its start-up self-test, and the hook installs framed reads', () => {
    expect(framedReadsSelfTest()).toBeUndefined();
    expect(installRawPageHook()).toMatchObject({ installed: true, framedReads: 'framed' });
  });

  it('gives back every frame byte for byte, whatever the reads; tagged RESULT pages in pooled buffers', () => {
    const frameArb = fc.record({
      streamId: fc.integer({ min: -1, max: 40 }),
      opcode: fc.constantFrom(0x00, 0x02, RESULT, 0x0c),
      // Mostly short frames, some pages larger than the pooling threshold.
      body: fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: POOLED_MIN_BYTES - 9, max: POOLED_MIN_BYTES + 5000 }).map((length) => new Uint8Array(length).fill(length & 0xff))),
    });
    fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 }), (specs, sizes) => {
      const frames = specs.map((spec) => frameOf(spec.streamId, spec.opcode, Buffer.from(spec.body)));
      const delivered: Buffer[] = [];
      const tagged = (streamId: number, opcode: number): boolean => opcode === RESULT && streamId % 2 === 0;
      const assembler = new FrameAssembler(tagged, (frame) => delivered.push(frame) > 0, new ReusablePool<Buffer>((length) => Buffer.alloc(length), 2), counts());
      feedThroughOneBuffer(assembler, Buffer.concat(frames), sizes);
      expect(delivered.map((frame) => frame.toString('hex'))).toEqual(frames.map((frame) => frame.toString('hex')));
      specs.forEach((spec, index) => expect(pooledFrameOwners.has(delivered[index] as Buffer)).toBe(tagged(spec.streamId, spec.opcode) && 9 + spec.body.length >= POOLED_MIN_BYTES));
    }), { numRuns: 150 });
  });

  it('delivers a frame with an empty body as soon as its header is whole, also at the very end of a read', () => {
    const delivered: Buffer[] = [];
    const assembler = new FrameAssembler(() => false, (frame) => delivered.push(frame) > 0, undefined, counts());
    const frame = frameOf(5, 0x02, Buffer.alloc(0));
    const read = Buffer.alloc(9);
    frame.copy(read, 0, 0, 4);
    assembler.feed(read, 4);
    expect(delivered).toHaveLength(0);
    frame.copy(read, 0, 4, 9);
    assembler.feed(read, 5);
    expect(delivered).toEqual([frame]);
  });

  it('says when the consumer is full, after handing on the whole read', () => {
    const delivered: Buffer[] = [];
    const assembler = new FrameAssembler(() => false, (frame) => delivered.push(frame) < 2, undefined, counts());
    const stream = Buffer.concat([frameOf(1, 0x02, Buffer.from('a')), frameOf(2, 0x02, Buffer.from('b')), frameOf(3, 0x02, Buffer.from('c'))]);
    expect(feedThroughOneBuffer(assembler, stream, [stream.length])).toEqual([false]);
    expect(delivered).toHaveLength(3);
  });

  it('refuses a header whose body length is past any frame Cassandra sends', () => {
    const header = frameOf(1, RESULT, Buffer.alloc(0));
    header.writeUInt32BE(0xffff_fff0, 5);
    const assembler = new FrameAssembler(() => false, () => true, undefined, counts());
    let thrown: unknown;
    try {
      assembler.feed(header, header.length);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CorruptFrameError);
    expect(thrown).toMatchObject({ code: 'SOURCE_FRAME_CORRUPT', retryable: true });
  });

  it('reads the 8-byte headers of protocol versions 1 and 2', () => {
    const delivered: Buffer[] = [];
    const assembler = new FrameAssembler((streamId) => streamId === 4, (frame) => delivered.push(frame) > 0, new ReusablePool<Buffer>((length) => Buffer.alloc(length), 1), counts());
    const short = Buffer.from([0x82, 0, 4, RESULT, 0, 0, 0, 3, 1, 2, 3]);
    const page = Buffer.concat([Buffer.from([0x82, 0, 4, RESULT, 0, 0, 0, 0]), Buffer.alloc(POOLED_MIN_BYTES, 7)]);
    page.writeUInt32BE(POOLED_MIN_BYTES, 4);
    feedThroughOneBuffer(assembler, Buffer.concat([short, page, short]), [5, 4000]);
    expect(delivered).toEqual([short, page, short]);
    expect(delivered.map((frame) => pooledFrameOwners.has(frame))).toEqual([false, true, false]);
  });
});
