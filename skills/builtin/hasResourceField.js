function hasResourceField(container, section, name) {
  const resources = container && container.resources;
  const values = resources && typeof resources === 'object' ? resources[section] : undefined;
  if (!values || typeof values !== 'object') return false;
  const v = values[name];
  return v !== undefined && v !== null && v !== '';
}
