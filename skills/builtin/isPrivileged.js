function isPrivileged(container) {
  const sc = container && container.securityContext;
  return !!sc && sc.privileged === true;
}
