function imageTag(image) {
  const ref = parseImage(image);
  if (ref.tag !== '') return ref.tag;
  return ref.digest !== '' || ref.repository === '' ? '' : 'latest';
}
