function hasProbe(container, probe) {
  const p = container && container[probe || 'readinessProbe'];
  return !!p && typeof p === 'object' && Object.keys(p).length > 0;
}
