function imageRegistry(image) {
  return parseImage(image).registry;
}
