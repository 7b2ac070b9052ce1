function ownerKinds(obj) {
  const refs = obj && obj.metadata && Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
  return refs.filter(function (r) { return !!r && typeof r.kind === 'string'; }).map(function (r) { return r.kind; });
}
