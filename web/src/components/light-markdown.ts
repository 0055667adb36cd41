/**
 * The common case of chat Markdown without the Markdown stack (issue #19: on a throttled phone the
 * 170 KB renderer, evaluated before the first message painted, held the chat's largest paint back):
 * paragraphs, line breaks inside them, tight `- ` lists, and `*emphasis*` / `**strong**` — role-play's `*actions*`
 * and "speech". Anything else (code, links, lists, headings, quotes, tables, `_`, escapes, HTML,
 * autolinks, hard breaks, indentation…) answers `null`, and the caller uses the full renderer.
 *
 * What it renders is what react-markdown + remark-gfm render for the same text, element for
 * element (test/unit/web/light-markdown.test.ts compares the two on hand-written and random
 * texts): emphasis follows CommonMark's delimiter-run rules (flanking, the rule of 3), with
 * Unicode punctuation and symbols as micromark classifies them.
 *
 * @example
 *   lightMarkdown('*笑* “你好”')  // [<p><em>笑</em> “你好”</p>]
 *   lightMarkdown('# title')      // null: the full renderer's job
 */
import { createElement, type ReactNode } from 'react';

/** Characters that start a construct this path does not handle, anywhere in the text. */
const OTHER_INLINE = /[`_~[\]<>&\\|#\t\r\0]|www\.|https?:|@/i;
/** Lines that could open a block other than a paragraph, a hard break, or a thematic break. */
const OTHER_BLOCK = /^(?: |[-+=]|\d{1,9}[.)](?: |$)|\*(?: |$)|[* ]+$)| $/;

const isWhitespace = (c: string | undefined) => c === undefined || /\s/u.test(c);
const isPunct = (c: string | undefined) => c !== undefined && /\p{P}|\p{S}/u.test(c);

interface Delim {
  /** What is left of the run. */
  count: number;
  canOpen: boolean;
  canClose: boolean;
  /** Still on the stack (may match). */
  active: boolean;
}
type Node = string | Delim | { tag: 'em' | 'strong'; children: Node[] };

/** Inline content of one paragraph: text, soft line breaks ("\n") and `*` emphasis. */
function inline(text: string): Node[] {
  const nodes: Node[] = [];
  const delims: Delim[] = [];
  // UTF-16 units, as micromark classifies them (a character outside the BMP is "other" beside a `*`).
  const chars = text;
  let buf = '';
  for (let i = 0; i < chars.length; ) {
    if (chars[i] !== '*') {
      buf += chars[i++];
      continue;
    }
    let j = i;
    while (chars[j] === '*') j++;
    const before = chars[i - 1];
    const after = chars[j];
    const left = !isWhitespace(after) && (!isPunct(after) || isWhitespace(before) || isPunct(before));
    const right = !isWhitespace(before) && (!isPunct(before) || isWhitespace(after) || isPunct(after));
    if (buf) nodes.push(buf);
    buf = '';
    const d: Delim = { count: j - i, canOpen: left, canClose: right, active: true };
    nodes.push(d);
    delims.push(d);
    i = j;
  }
  if (buf) nodes.push(buf);

  // CommonMark's "process emphasis", for one delimiter character.
  for (let c = 0; c < delims.length; c++) {
    const closer = delims[c]!;
    if (!closer.active || !closer.canClose) continue;
    while (closer.count > 0) {
      let o = c - 1;
      for (; o >= 0; o--) {
        const op = delims[o]!;
        if (!op.active || !op.canOpen) continue;
        // The rule of 3, on what is left of both runs (as micromark applies it).
        const odd = (op.canClose || closer.canOpen) && closer.count % 3 !== 0 && (op.count + closer.count) % 3 === 0;
        if (!odd) break;
      }
      if (o < 0) {
        if (!closer.canOpen) closer.active = false;
        break;
      }
      const opener = delims[o]!;
      const use = opener.count >= 2 && closer.count >= 2 ? 2 : 1;
      for (let k = o + 1; k < c; k++) delims[k]!.active = false;
      const a = nodes.indexOf(opener);
      const b = nodes.indexOf(closer);
      const el = { tag: use === 2 ? ('strong' as const) : ('em' as const), children: nodes.slice(a + 1, b) };
      nodes.splice(a + 1, b - a - 1, el);
      opener.count -= use;
      closer.count -= use;
      if (opener.count === 0) opener.active = false;
    }
    if (closer.count === 0) closer.active = false;
  }
  return nodes;
}

function toReact(nodes: Node[]): ReactNode[] {
  const out: ReactNode[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push(text);
    text = '';
  };
  for (const n of nodes) {
    if (typeof n === 'string') text += n;
    else if ('tag' in n) {
      flush();
      out.push(createElement(n.tag, { key: out.length }, ...toReact(n.children)));
    } else text += '*'.repeat(n.count);
  }
  flush();
  return out;
}

/**
 * The rendered blocks (children for `<div class="md">`), or null when the full renderer is needed.
 * Blocks are paragraphs and tight `- ` lists, one from the next by a blank line.
 */
export function lightMarkdown(text: string): ReactNode[] | null {
  if (OTHER_INLINE.test(text)) return null;
  const blocks: string[][] = [[]];
  for (const line of text.split('\n')) {
    if (/^ *$/.test(line)) {
      if (blocks[blocks.length - 1]!.length) blocks.push([]);
    } else blocks[blocks.length - 1]!.push(line);
  }
  const out: ReactNode[] = [];
  let lastWasList = false;
  for (const b of blocks) {
    if (!b.length) continue;
    // A paragraph's lines, then a list's (a `- ` item may interrupt a paragraph).
    let k = b.findIndex((l) => l.startsWith('- '));
    if (k < 0) k = b.length;
    const para = b.slice(0, k);
    const list = b.slice(k);
    if (para.some((l) => OTHER_BLOCK.test(l))) return null;
    // Two lists with a blank line between are one loose list; a list item's text must be plain,
    // and a line after the items would continue the last one.
    if (list.length && ((!para.length && lastWasList) || list.some((l) => !l.startsWith('- ') || l.length < 3 || OTHER_BLOCK.test(l.slice(2))))) return null;
    if (para.length) {
      if (out.length) out.push('\n');
      out.push(createElement('p', { key: out.length }, ...toReact(inline(para.join('\n')))));
    }
    if (list.length) {
      if (out.length) out.push('\n');
      const items: ReactNode[] = ['\n'];
      for (const l of list) items.push(createElement('li', { key: items.length }, ...toReact(inline(l.slice(2)))), '\n');
      out.push(createElement('ul', { key: out.length }, ...items));
    }
    lastWasList = list.length > 0;
  }
  return out;
}
