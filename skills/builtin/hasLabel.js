function hasLabel(obj, key, value) {
  const actual = getLabel(obj, key);
  if (actual === undefined || actual === null) return false;
  return value === undefined ? true : actual === value;
}
