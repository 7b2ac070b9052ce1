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
      // Registry hosts are DNS names, so case does not tell two apart; and index.docker.io is Docker Hub's legacy
      // name, which image references normalise to docker.io (distribution/reference, normalize.go). Left as written,
      // "Docker.io/library/nginx" or "index.docker.io/library/nginx" would slip past a rule about docker.io.
      registry = first.toLowerCase();
      if (registry === 'index.docker.io') registry = 'docker.io';
      repository = rest.slice(slash + 1);
    }
  }
  if (registry === 'docker.io' && repository !== '' && repository.indexOf('/') < 0) repository = 'library/' + repository;
  return { registry: registry, repository: repository, tag: tag, digest: digest };
}
