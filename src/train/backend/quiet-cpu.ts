/**
 * tfjs-backend-cpu prints an advert for tfjs-node ("Hi, looks like you are running TensorFlow.js in
 * Node.js...") on the first tensor it stores, and it would be the first line on stderr of every kit
 * command that computes on the CPU backend. The backend skips it once its `firstUse` flag is down;
 * lowering it keeps tfjs's other warnings (a PROD flag would silence them all).
 */
export function silenceCpuAdvert(backend: unknown): void {
  const b = backend as { firstUse?: boolean } | undefined;
  if (b && typeof b.firstUse === 'boolean') b.firstUse = false;
}
