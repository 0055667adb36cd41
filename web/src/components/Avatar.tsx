/** An avatar image, or a coloured tile with the first letter when there is none. */
export function Avatar({ name, url, size = 40 }: { name: string; url?: string | null; size?: number }) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.42) };
  if (url) return <img className="avatar" src={url} alt="" style={style} loading="lazy" />;
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  const initial = [...name.trim()][0] ?? '?';
  return (
    <span className="avatar avatar-tile" style={{ ...style, background: `hsl(${h} 55% 52%)` }} aria-hidden="true">
      {initial.toUpperCase()}
    </span>
  );
}
