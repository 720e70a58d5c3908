// What the Action bundle (bundle.mjs) and the CLI bundle (bundle-cli.mjs) share: one ESM file set
// for Node, minified with readable names, and a createRequire banner that gives the CommonJS
// parts of the bundle a `require` for Node's built-in modules.
export const sharedOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  minify: true,
  // Readable stack traces in "internal error" reports despite minifying.
  keepNames: true,
  legalComments: "eof",
  charset: "utf8",
  banner: {
    js: 'import { createRequire as __wspubCreateRequire } from "node:module"; const require = __wspubCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
};
