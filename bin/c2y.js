#!/usr/bin/env node
// The CLI from its bundle (scripts/bundle.mjs: about half the CPU of importing its ~300 module files, at every start)
// when the build made it from the modules as they are: tsc rewrites every module it emits, so after a tsc alone the
// bundle is older than dist/cli/main.js, stale, and the modules run instead (as executorScript decides for executors).
import { statSync } from 'node:fs';

const BUNDLE = '../dist/bundle/main.mjs';
const MODULE = '../dist/cli/main.js';

function modifiedMs(relative) {
  try {
    return statSync(new URL(relative, import.meta.url)).mtimeMs;
  } catch {
    return undefined;
  }
}

const bundle = modifiedMs(BUNDLE);
const module = modifiedMs(MODULE);
await import(bundle !== undefined && (module === undefined || bundle >= module) ? BUNDLE : MODULE);
