#!/usr/bin/env node
// Node >= 22.1 caches the compiled bundle on disk (in the OS temp directory; NODE_COMPILE_CACHE
// moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off): a later start skips most of the compiling.
import module from "node:module";

module.enableCompileCache?.();
await import("../lib/bundle/run.js");
