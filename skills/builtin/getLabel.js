function getLabel(obj, key) {
  const labels = obj && obj.metadata && obj.metadata.labels;
  if (!labels || typeof labels !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}
