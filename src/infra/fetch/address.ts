/**
 * Address checks for the source fetcher: which origins may be reached, and which resolved
 * addresses count as private. Spec characters.md §10.1: the original navigated any client-given
 * URL (internal hosts, file://); we only ever reach the configured encyclopedia origins.
 */
import { isIP } from 'node:net';

/** `protocol//host:port` of a URL, the unit the allow-list compares. */
export function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`.toLowerCase();
}

/** True for loopback, private, link-local, CGNAT, unique-local and unspecified addresses. */
export function isPrivateAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    return (
      a === 0 || a === 10 || a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (v === 6) {
    const s = address.toLowerCase();
    if (s === '::' || s === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (mapped) return isPrivateAddress(mapped[1]!);
    return s.startsWith('fc') || s.startsWith('fd') || s.startsWith('fe8') || s.startsWith('fe9') || s.startsWith('fea') || s.startsWith('feb') || s.startsWith('ff');
  }
  return false;
}

/** A configured host that is itself local (tests, self-hosted mirrors) may resolve to a private address. */
export function isLocalHostName(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || (isIP(h) !== 0 && isPrivateAddress(h));
}
