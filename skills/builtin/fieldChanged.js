function fieldChanged(request, path) {
  if (!request || !request.oldObject) return false;
  const before = getPath(request.oldObject, path);
  const after = getPath(request.object, path);
  return JSON.stringify(before === undefined ? null : before) !== JSON.stringify(after === undefined ? null : after);
}
