// The page every towerops report is: one self-contained HTML file (inline SVG, no scripts or
// external assets) that opens anywhere, from a Job's volume or an artifact store.

export const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

/** `body` is HTML already escaped where it holds user strings; `title` is escaped here. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222}table{border-collapse:collapse;margin:12px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{text-align:left;background:#f7f7f7}.charts{display:flex;flex-wrap:wrap;gap:16px}
.pass{color:#1a7f37}.fail{color:#cf222e}.warn{color:#9a6700}</style>
</head><body>
${body}
</body></html>
`;
}
