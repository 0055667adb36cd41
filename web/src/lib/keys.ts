/** Local keys for items not yet stored (React keys of optimistic messages). */
let n = 0;
export const localKey = (prefix = 'l') => `${prefix}${Date.now().toString(36)}${(n++).toString(36)}`;
