function hostHasSuffix(host, suffixes) {
  if (typeof host !== 'string' || host === '') return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  const list = Array.isArray(suffixes) ? suffixes : [suffixes];
  return list.some(function (s) {
    if (typeof s !== 'string' || s === '') return false;
    const suffix = s.toLowerCase().replace(/^\*?\./, '');
    return h === suffix || h.slice(-(suffix.length + 1)) === '.' + suffix;
  });
}
