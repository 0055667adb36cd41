/**
 * Chat files to import: our JSON export (`fastnpc.chat.v1`, or an older export with `messages`)
 * and SillyTavern's JSONL chat (a header line, then one message per line: name, is_user, mes,
 * swipes, swipe_id, send_date). Pure: bytes in, messages out, or a 400 naming the bad line.
 */
import { AppError } from '../../errors.js';
import { LIMITS } from '../../shared/limits.js';

export const MAX_CHAT_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_IMPORTED_MESSAGES = 20_000;
/** Imported text is kept whole up to here (cards' greetings and long replies run past a typed message's limit). */
const MAX_IMPORTED_CHARS = LIMITS.message.max * 8;

export interface ImportedMessage {
  role: 'user' | 'assistant';
  content: string;
  createdAt: number;
  /** Every version of a reply (swipes), when it has several; `content` is the chosen one. */
  alternatives?: string[];
  alternativeIndex?: number;
}

export interface ImportedChat {
  title: string | null;
  messages: ImportedMessage[];
}

const bad = (message: string) => new AppError('validation:file', message);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A time as SillyTavern wrote it over the years: epoch ms, ISO, or "June 18, 2023 3:12pm". */
export function parseSendDate(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string' || !v.trim()) return undefined;
  if (/^\d+$/.test(v.trim())) return parseSendDate(Number(v.trim()));
  const t = Date.parse(v.replace(/(\d)\s*(am|pm)\b/i, '$1 $2').replace(/@(\d+)h(\d+)m(\d+)s/, ' $1:$2:$3'));
  return Number.isFinite(t) ? t : undefined;
}

function titleFrom(filename: string | undefined): string | null {
  const base = (filename ?? '').replace(/^.*[\\/]/, '').replace(/\.(jsonl|json)$/i, '').replace(/\.chat$/i, '').trim();
  return base ? [...base].slice(0, LIMITS.chatTitle.max).join('') : null;
}

function versions(content: string, swipes: unknown, chosen: unknown): Pick<ImportedMessage, 'content' | 'alternatives' | 'alternativeIndex'> {
  const list = Array.isArray(swipes) ? swipes.filter((s): s is string => typeof s === 'string') : [];
  if (list.length < 2) return { content };
  const index = typeof chosen === 'number' && Number.isInteger(chosen) && chosen >= 0 && chosen < list.length ? chosen : Math.max(0, list.indexOf(content));
  return { content: list[index], alternatives: list, alternativeIndex: index };
}

function checked(m: ImportedMessage, where: string): ImportedMessage {
  if (m.content.length > MAX_IMPORTED_CHARS || (m.alternatives ?? []).some((v) => v.length > MAX_IMPORTED_CHARS)) throw bad(`${where}: a message is longer than ${MAX_IMPORTED_CHARS} characters`);
  return m;
}

function parseSillyTavern(lines: string[], now: number): ImportedMessage[] {
  const out: ImportedMessage[] = [];
  let clock = now;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw bad(`Line ${i + 1} is not JSON`);
    }
    if (!isObject(row)) throw bad(`Line ${i + 1} is not a JSON object`);
    // The header line (user_name, character_name, chat_metadata) and hidden system notes carry no message.
    if (typeof row.mes !== 'string' || row.is_system === true) return;
    const role = row.is_user === true ? 'user' : 'assistant';
    const createdAt = parseSendDate(row.send_date) ?? clock;
    clock = createdAt;
    const v = versions(row.mes, role === 'assistant' ? row.swipes : undefined, row.swipe_id);
    if (!v.content.trim() && !v.alternatives) return;
    out.push(checked({ role, createdAt, ...v }, `Line ${i + 1}`));
  });
  return out;
}

function parseOurs(doc: Record<string, unknown>, now: number): ImportedMessage[] {
  if (!Array.isArray(doc.messages)) throw bad('This JSON file is not a chat export: it has no "messages" list');
  const out: ImportedMessage[] = [];
  doc.messages.forEach((m, i) => {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string') throw bad(`Message ${i + 1} needs a role ("user" or "assistant") and a content string`);
    const createdAt = typeof m.createdAt === 'number' ? m.createdAt : (parseSendDate(m.createdAt) ?? now);
    const chosen = isObject(m.alternatives) ? m.alternatives.index : undefined;
    out.push(checked({ role: m.role, createdAt, ...versions(m.content, m.versions, chosen) }, `Message ${i + 1}`));
  });
  return out;
}

/** Reads a chat file: our JSON export or SillyTavern JSONL, told apart by content, not by name. */
export function parseChatFile(bytes: Buffer, filename: string | undefined, now: number): ImportedChat {
  if (bytes.length > MAX_CHAT_FILE_BYTES) throw new AppError('payload_too_large', `The file is larger than ${MAX_CHAT_FILE_BYTES / 1024 / 1024} MB`);
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (!text.trim()) throw bad('The file is empty');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  let messages: ImportedMessage[];
  let title = titleFrom(filename);
  if (isObject(doc) && !('mes' in doc) && !('user_name' in doc)) {
    messages = parseOurs(doc, now);
    const chat = isObject(doc.chat) ? doc.chat : {};
    if (typeof chat.title === 'string' && chat.title.trim()) title = [...chat.title.trim()].slice(0, LIMITS.chatTitle.max).join('');
  } else {
    messages = parseSillyTavern(text.split(/\r?\n/), now);
  }
  if (!messages.length) throw bad('The file has no messages to import');
  if (messages.length > MAX_IMPORTED_MESSAGES) throw bad(`The file has ${messages.length} messages; at most ${MAX_IMPORTED_MESSAGES} can be imported`);
  return { title, messages };
}
