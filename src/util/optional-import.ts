/** Loads a package only if it is installed, for optional dependencies (tfjs-node, say). */
export async function optionalImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}
