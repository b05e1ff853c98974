// Lints the OpenAPI documents named on the command line (default: server/openapi.yaml) with
// Redocly's recommended rules (redocly.yaml) and fails on any error or warning: `redocly lint`
// itself exits 0 on warnings. `make openapi-lint` runs it; server/openapi_client_test.go runs
// the same lint in `make test`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) files.push(join(here, '..', '..', 'server', 'openapi.yaml'));
const r = spawnSync(join(here, 'node_modules', '.bin', 'redocly'),
  ['lint', '--config', join(here, 'redocly.yaml'), '--format', 'json', ...files],
  { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
let report;
try {
  report = JSON.parse(r.stdout);
} catch {
  process.stderr.write(r.stdout + r.stderr);
  process.exit(2);
}
for (const p of report.problems) {
  console.error(`${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer ?? '?'}: ${p.message}`);
}
console.log(`${files.join(', ')}: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
process.exit(report.problems.length === 0 ? 0 : 1);
