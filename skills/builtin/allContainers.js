function allContainers(podSpec) {
  if (!podSpec || typeof podSpec !== 'object') return [];
  const out = [];
  const lists = [podSpec.containers, podSpec.initContainers, podSpec.ephemeralContainers];
  for (let i = 0; i < lists.length; i++) {
    if (!Array.isArray(lists[i])) continue;
    for (let j = 0; j < lists[i].length; j++) {
      const c = lists[i][j];
      if (c && typeof c === 'object') out.push(c);
    }
  }
  return out;
}
