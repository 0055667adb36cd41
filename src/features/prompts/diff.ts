/**
 * A line diff by longest common subsequence, so an inserted line shows as one addition instead of
 * shifting every later line (the original's positional diff did that, spec admin-and-web.md §1.4).
 */
export type DiffOp = '=' | '+' | '-';
export interface DiffLine {
  op: DiffOp;
  text: string;
}
export interface LineDiff {
  lines: DiffLine[];
  added: number;
  removed: number;
  unchanged: number;
}

export function diffLines(before: string, after: string): LineDiff {
  const a = before.split('\n');
  const b = after.split('\n');
  // lcs[i][j] = LCS length of a[i..] and b[j..]; prompts are a few hundred lines at most.
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ op: '=', text: a[i++] });
      j++;
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) lines.push({ op: '+', text: b[j++] });
    else lines.push({ op: '-', text: a[i++] });
  }
  const count = (op: DiffOp) => lines.filter((l) => l.op === op).length;
  return { lines, added: count('+'), removed: count('-'), unchanged: count('=') };
}
