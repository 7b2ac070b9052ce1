function addedCapabilities(container) {
  const caps = container && container.securityContext && container.securityContext.capabilities;
  const added = caps && Array.isArray(caps.add) ? caps.add : [];
  return added.filter(function (c) { return typeof c === 'string'; }).map(function (c) {
    const upper = c.toUpperCase();
    return upper.indexOf('CAP_') === 0 ? upper.slice(4) : upper;
  });
}
