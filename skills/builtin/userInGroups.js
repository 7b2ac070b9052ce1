function userInGroups(request, groups) {
  const mine = request && request.userInfo && Array.isArray(request.userInfo.groups) ? request.userInfo.groups : [];
  if (!Array.isArray(groups)) return false;
  return mine.some(function (g) { return groups.indexOf(g) >= 0; });
}
