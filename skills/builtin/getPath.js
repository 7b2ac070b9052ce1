function getPath(obj, path) {
  const parts = Array.isArray(path) ? path : String(path == null ? '' : path).split('.').filter(function (p) { return p !== ''; });
  let cur = obj;
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = cur[parts[i]];
  }
  return cur;
}
