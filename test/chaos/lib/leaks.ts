/** What must never reach a client: stack traces and SQL (issue 11, DESIGN §7). */
const STACK = [/\n\s+at [\w.<>$]+ \(/, /at [^\s]+\.(?:ts|js):\d+:\d+/, /node:internal/, /\bRangeError\b/, /\bTypeError:/];
const SQL = [/\b(?:select|insert|update|delete)\b[\s\S]{0,80}\b(?:from|into|set|where)\b/i, /syntax error at or near/i, /\bSQLITE_\w+/, /invalid input syntax for/i, /out of range for type/i, /relation "\w+"/i, /violates \w+ constraint/i, /\bkysely\b/i];

/** The first forbidden thing found in a response body, or undefined. */
export function forbiddenContent(body: string): string | undefined {
  for (const re of STACK) if (re.test(body)) return `stack trace (${re.source})`;
  for (const re of SQL) if (re.test(body)) return `SQL text (${re.source})`;
  return undefined;
}
