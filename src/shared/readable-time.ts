/**
 * A timestamp as people read it, in their time zone: `2026-11-30 18:35`. Used by the Markdown
 * export, which the browser asks for with its own zone (`?tz=Asia/Shanghai`). No Node imports.
 */
export function readableTime(ms: number, timeZone?: string): string {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    // An unknown zone name: the server's own zone rather than a failed download.
    return readableTime(ms);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
