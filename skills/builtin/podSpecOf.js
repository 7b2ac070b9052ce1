function podSpecOf(obj) {
  if (!obj || typeof obj !== 'object') return undefined;
  const spec = obj.spec && typeof obj.spec === 'object' ? obj.spec : undefined;
  let podSpec;
  switch (obj.kind) {
    case 'Pod':
      podSpec = spec;
      break;
    case 'PodTemplate':
      podSpec = obj.template && obj.template.spec;
      break;
    case 'CronJob':
      podSpec = spec && spec.jobTemplate && spec.jobTemplate.spec && spec.jobTemplate.spec.template && spec.jobTemplate.spec.template.spec;
      break;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
    case 'ReplicationController':
      podSpec = spec && spec.template && spec.template.spec;
      break;
    default:
      podSpec = undefined;
  }
  return podSpec && typeof podSpec === 'object' ? podSpec : undefined;
}
