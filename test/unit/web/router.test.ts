import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from '../../../web/src/lib/router.js';

describe('router', () => {
  it('gives each chat of a character its own URL, and reads it back', () => {
    expect(parseRoute('/characters/12')).toEqual({ view: 'character', id: '12' });
    expect(parseRoute('/characters/12/chats/34')).toEqual({ view: 'character', id: '12', chatId: '34' });
    expect(routePath({ view: 'character', id: '12', chatId: '34' })).toBe('/characters/12/chats/34');
    expect(routePath({ view: 'character', id: '12' })).toBe('/characters/12');
    // Anything else under a character is not a view.
    expect(parseRoute('/characters/12/chats')).toEqual({ view: 'home' });
    expect(parseRoute('/characters/12/chats/34/x')).toEqual({ view: 'home' });
  });
});
