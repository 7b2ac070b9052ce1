function workloadContainers(obj) {
  return allContainers(podSpecOf(obj));
}
