const PALETTE = ['#2563eb', '#7c3aed', '#0891b2', '#059669', '#d97706', '#db2777', '#4f46e5', '#0d9488'];

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i += 1) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** A coloured tile with the app's first character; the colour is stable per app key. */
export function AppAvatar({ name, appKey, size = 44 }: { name: string; appKey: string; size?: number }) {
  const color = PALETTE[hash(appKey) % PALETTE.length];
  const initial = Array.from(name.trim() || appKey)[0]?.toUpperCase() ?? '?';
  return (
    <span
      className="app-avatar"
      aria-hidden="true"
      style={{
        width: size,
        height: size,
        fontSize: size * 0.45,
        background: `linear-gradient(135deg, ${color}, ${color}cc)`,
      }}
    >
      {initial}
    </span>
  );
}
