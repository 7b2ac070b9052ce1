function selectorMatches(selector, labels) {
  const have = labels && typeof labels === 'object' ? labels : {};
  if (!selector || typeof selector !== 'object') return true;
  const own = function (k) { return Object.prototype.hasOwnProperty.call(have, k); };
  const ml = selector.matchLabels && typeof selector.matchLabels === 'object' ? selector.matchLabels : {};
  for (const k of Object.keys(ml)) {
    if (!own(k) || have[k] !== ml[k]) return false;
  }
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of exprs) {
    if (!e || typeof e !== 'object') return false;
    const values = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In':
        if (!own(e.key) || values.indexOf(have[e.key]) < 0) return false;
        break;
      case 'NotIn':
        if (own(e.key) && values.indexOf(have[e.key]) >= 0) return false;
        break;
      case 'Exists':
        if (!own(e.key)) return false;
        break;
      case 'DoesNotExist':
        if (own(e.key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
