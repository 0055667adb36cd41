/**
 * `fastnpc prompts export [--file F]` writes every prompt with all its versions as JSON (stdout by
 * default); `fastnpc prompts import <file>` adds the file's texts as new versions and activates the
 * exported active ones. Running servers hear of it over pub/sub (scaled mode) or within the active
 * text's cache lifetime (embedded mode: another process cannot be told).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../../config.js';
import { buildCore, cliLog } from '../../core.js';
import { isAppError } from '../../errors.js';

const USAGE = 'usage: fastnpc prompts export [--file F] | fastnpc prompts import <file>\n';

export async function runPromptsCli(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { file: { type: 'string' } } });
  const [action, file] = positionals;
  if (action !== 'export' && action !== 'import') {
    process.stderr.write(USAGE);
    return 2;
  }
  if (action === 'import' && !file) {
    process.stderr.write(USAGE);
    return 2;
  }
  // The core alone: no HTTP server, routes or static files for a one-shot command.
  const ctx = await buildCore({ ...config, logLevel: 'warn' }, { runJobs: false, log: cliLog });
  try {
    if (action === 'export') {
      const json = `${JSON.stringify(await ctx.promptVersions.exportAll(), null, 2)}\n`;
      if (values.file) await writeFile(values.file, json);
      else process.stdout.write(json);
      return 0;
    }
    let doc;
    try {
      doc = JSON.parse(await readFile(file!, 'utf8'));
    } catch (err) {
      process.stderr.write(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    const r = await ctx.promptVersions.importAll(doc, null);
    process.stdout.write(`imported: ${r.created} new versions, ${r.activated} activated\n`);
    return 0;
  } catch (err) {
    if (isAppError(err, 'validation')) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await ctx.close();
  }
}
