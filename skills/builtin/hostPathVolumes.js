function hostPathVolumes(podSpec) {
  const volumes = podSpec && Array.isArray(podSpec.volumes) ? podSpec.volumes : [];
  return volumes.filter(function (v) { return !!v && typeof v === 'object' && !!v.hostPath; });
}
