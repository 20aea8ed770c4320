/** The name the native backend is registered under (its own module, so callers need not load tfjs-backend-cpu). */
export const NATIVE_BACKEND = 'native';
