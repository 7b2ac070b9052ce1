function runsAsNonRoot(container, podSpec) {
  const csc = (container && container.securityContext) || {};
  const psc = (podSpec && podSpec.securityContext) || {};
  // runAsNonRoot: true makes the kubelet refuse to start the container as UID 0, whatever runAsUser says, so it never
  // runs as root (Pod Security Admission's runAsNonRoot check reads it alone: policy/check_runAsNonRoot.go).
  const nonRoot = typeof csc.runAsNonRoot === 'boolean' ? csc.runAsNonRoot : psc.runAsNonRoot;
  if (nonRoot === true) return true;
  const user = typeof csc.runAsUser === 'number' ? csc.runAsUser : psc.runAsUser;
  return typeof user === 'number' && user !== 0;
}
