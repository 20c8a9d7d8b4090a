/** A reason not to start that the user can fix; main.ts prints its message alone. */
export class StartupError extends Error {
  override name = 'StartupError';
}
