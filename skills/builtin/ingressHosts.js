function ingressHosts(ingress) {
  const spec = (ingress && ingress.spec) || {};
  const hosts = [];
  const add = function (h) { if (typeof h === 'string' && h !== '' && hosts.indexOf(h) < 0) hosts.push(h); };
  if (Array.isArray(spec.rules)) spec.rules.forEach(function (r) { if (r) add(r.host); });
  if (Array.isArray(spec.tls)) spec.tls.forEach(function (t) { if (t && Array.isArray(t.hosts)) t.hosts.forEach(add); });
  return hosts;
}
