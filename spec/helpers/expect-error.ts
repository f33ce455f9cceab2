type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** The error that `run` throws, checked to be a `type`; the test fails when nothing is thrown. */
export function thrown<E extends Error>(type: ErrorClass<E>, run: () => unknown): E {
  let threw = false;
  let error: unknown;
  try {
    run();
  } catch (caught) {
    threw = true;
    error = caught;
  }
  if (!threw) throw new Error(`expected a ${type.name} to be thrown`);
  expect(error).toBeInstanceOf(type);
  return error as E;
}

/** The rejection of `promise`, checked to be a `type`; the test fails when it resolves. */
export async function rejected<E extends Error>(type: ErrorClass<E>, promise: Promise<unknown>): Promise<E> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => ({ error }),
  );
  if (outcome === null) throw new Error(`expected a ${type.name}, but the promise resolved`);
  expect(outcome.error).toBeInstanceOf(type);
  return outcome.error as E;
}

/** A logger that keeps what it is given, for asserting on log lines. */
export function captureLogger(): { warn(message: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message) => void lines.push(message) };
}
