/** Global setup of `npm run chaos`: starts from an empty table, prints the report at the end. */
import { rmSync, existsSync, readFileSync } from 'node:fs';
import { REPORT_FILE, ROWS_DIR } from './report.js';

export default function setup() {
  rmSync(ROWS_DIR, { recursive: true, force: true });
  rmSync(REPORT_FILE, { force: true });
  return () => {
    if (existsSync(REPORT_FILE)) process.stdout.write(`\n${readFileSync(REPORT_FILE, 'utf8')}\nwritten to ${REPORT_FILE}\n`);
  };
}
