function rbacSubjects(binding) {
  const subjects = binding && Array.isArray(binding.subjects) ? binding.subjects : [];
  return subjects.filter(function (s) { return !!s && typeof s === 'object'; }).map(function (s) {
    const out = { kind: typeof s.kind === 'string' ? s.kind : '', name: typeof s.name === 'string' ? s.name : '' };
    if (typeof s.namespace === 'string' && s.namespace !== '') out.namespace = s.namespace;
    return out;
  });
}
