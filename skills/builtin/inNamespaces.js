function inNamespaces(request, names) {
  if (!request || !Array.isArray(names)) return false;
  let ns = request.namespace;
  if (!ns) {
    const obj = request.object || request.oldObject;
    ns = obj && obj.metadata && obj.metadata.namespace;
  }
  return typeof ns === 'string' && ns !== '' && names.indexOf(ns) >= 0;
}
