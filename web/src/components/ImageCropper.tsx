/**
 * A square crop: the image is shown under a square window; drag (mouse, touch or arrow keys) to
 * move it, the slider to zoom. The result is a box in the original image's pixels; the server
 * crops and re-encodes (so no canvas work, and no quality loss, in the browser).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useI18n } from '../i18n/index.js';

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

const VIEW = 260;

/** Pure geometry, exported for tests: the crop box for an offset/scale of the displayed image. */
export function cropBoxFor(nat: { w: number; h: number }, scale: number, off: { x: number; y: number }, view = VIEW): CropBox {
  const size = Math.min(Math.round(view / scale), nat.w, nat.h);
  const x = Math.max(0, Math.min(nat.w - size, Math.round(-off.x / scale)));
  const y = Math.max(0, Math.min(nat.h - size, Math.round(-off.y / scale)));
  return { x, y, width: size, height: size };
}

function clampOffset(nat: { w: number; h: number }, scale: number, off: { x: number; y: number }, view = VIEW) {
  return {
    x: Math.min(0, Math.max(view - nat.w * scale, off.x)),
    y: Math.min(0, Math.max(view - nat.h * scale, off.y)),
  };
}

export function ImageCropper({ file, onChange }: { file: File; onChange: (box: CropBox | null) => void }) {
  const { t } = useI18n();
  const url = useMemo(() => URL.createObjectURL(file), [file]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  const [nat, setNat] = useState<{ w: number; h: number } | null>(null);
  const [zoom, setZoom] = useState(1);
  const [off, setOff] = useState({ x: 0, y: 0 });
  const drag = useRef<{ px: number; py: number; ox: number; oy: number } | null>(null);
  // The browser could not decode it (a renamed or damaged file): say so instead of an empty box.
  const [broken, setBroken] = useState(false);

  const base = nat ? VIEW / Math.min(nat.w, nat.h) : 1;
  const scale = base * zoom;

  useEffect(() => {
    if (nat) onChange(cropBoxFor(nat, scale, off));
  }, [nat, scale, off, onChange]);

  const setOffset = (o: { x: number; y: number }) => nat && setOff(clampOffset(nat, scale, o));

  const onZoom = (z: number) => {
    if (!nat) return;
    // Keep the centre of the window where it is.
    const cx = (VIEW / 2 - off.x) / scale;
    const cy = (VIEW / 2 - off.y) / scale;
    const s2 = base * z;
    setZoom(z);
    setOff(clampOffset(nat, s2, { x: VIEW / 2 - cx * s2, y: VIEW / 2 - cy * s2 }));
  };

  if (broken) {
    return (
      <p className="error-text" role="alert">
        {t('avatar.unreadable')}
      </p>
    );
  }
  return (
    <div className="cropper">
      <div
        className="crop-view"
        style={{ width: VIEW, height: VIEW }}
        tabIndex={0}
        role="group"
        aria-label={t('avatar.area')}
        onPointerDown={(e) => {
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          drag.current = { px: e.clientX, py: e.clientY, ox: off.x, oy: off.y };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (d) setOffset({ x: d.ox + e.clientX - d.px, y: d.oy + e.clientY - d.py });
        }}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
        onKeyDown={(e) => {
          const step = e.shiftKey ? 40 : 10;
          const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
          const m = moves[e.key];
          if (m) {
            e.preventDefault();
            setOffset({ x: off.x + m[0], y: off.y + m[1] });
          }
        }}
      >
        <img
          src={url}
          alt=""
          draggable={false}
          onLoad={(e) => {
            const img = e.currentTarget;
            const n = { w: img.naturalWidth, h: img.naturalHeight };
            const s = VIEW / Math.min(n.w, n.h);
            setNat(n);
            setZoom(1);
            setOff({ x: (VIEW - n.w * s) / 2, y: (VIEW - n.h * s) / 2 });
          }}
          onError={() => {
            setBroken(true);
            onChange(null);
          }}
          style={nat ? { width: nat.w * scale, height: nat.h * scale, transform: `translate(${off.x}px, ${off.y}px)` } : { visibility: 'hidden' }}
        />
      </div>
      <label className="field">
        <span>{t('avatar.zoom')}</span>
        <input type="range" min={1} max={4} step={0.01} value={zoom} onChange={(e) => onZoom(Number(e.target.value))} />
      </label>
      <p className="muted small">{t('avatar.hint')}</p>
    </div>
  );
}
