/**
 * Why: pg decides when it is imported whether it runs on Cloudflare Workers. Where `navigator` is missing (Node 20)
 * it builds a fetch Response to find out, which loads Node's whole fetch stack (undici, and with it http2, zlib,
 * worker threads): ~35 ms of CPU in every process that imports pg, each executor and the driver. Node 21 and later
 * define `navigator` with their own userAgent, and libraries already meet it there; this gives Node 20 the same, so
 * pg takes its check's first branch. Imported before pg by every module that imports pg's code.
 */
if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0] ?? ''}` }),
    configurable: true, writable: true, enumerable: false,
  });
}

export {};
