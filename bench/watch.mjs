// Watch benchmark placeholder until `watch` exists: returns null.
export async function watchBench() {
  return null;
}
