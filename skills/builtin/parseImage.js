function parseImage(image) {
  let rest = typeof image === 'string' ? image.trim() : '';
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = '';
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry = 'docker.io';
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.indexOf('.') >= 0 || first.indexOf(':') >= 0 || first === 'localhost') {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (registry === 'docker.io' && repository !== '' && repository.indexOf('/') < 0) repository = 'library/' + repository;
  return { registry: registry, repository: repository, tag: tag, digest: digest };
}
