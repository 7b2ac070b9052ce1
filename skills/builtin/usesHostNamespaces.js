function usesHostNamespaces(podSpec) {
  if (!podSpec || typeof podSpec !== 'object') return false;
  return podSpec.hostNetwork === true || podSpec.hostPID === true || podSpec.hostIPC === true;
}
