function getAnnotation(obj, key) {
  const annotations = obj && obj.metadata && obj.metadata.annotations;
  if (!annotations || typeof annotations !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(annotations, key) ? annotations[key] : undefined;
}
