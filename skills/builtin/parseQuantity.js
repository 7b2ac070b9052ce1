function parseQuantity(q) {
  if (typeof q === 'number') return isFinite(q) ? q : null;
  if (typeof q !== 'string') return null;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(q.trim());
  if (!m) return null;
  let value = parseFloat(m[1]);
  if (m[2]) value = value * Math.pow(10, parseInt(m[2].slice(1), 10));
  const factors = {
    Ki: 1024, Mi: Math.pow(1024, 2), Gi: Math.pow(1024, 3), Ti: Math.pow(1024, 4), Pi: Math.pow(1024, 5), Ei: Math.pow(1024, 6),
    n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  };
  if (m[3]) value = value * factors[m[3]];
  return isFinite(value) ? value : null;
}
