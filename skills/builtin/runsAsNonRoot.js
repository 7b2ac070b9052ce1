function runsAsNonRoot(container, podSpec) {
  const csc = (container && container.securityContext) || {};
  const psc = (podSpec && podSpec.securityContext) || {};
  const user = typeof csc.runAsUser === 'number' ? csc.runAsUser : psc.runAsUser;
  if (typeof user === 'number') return user !== 0;
  const nonRoot = typeof csc.runAsNonRoot === 'boolean' ? csc.runAsNonRoot : psc.runAsNonRoot;
  return nonRoot === true;
}
