/** Test helper shared by the client's specs and live tests. */
import { SmarterBaseError } from '../src/errors.js';

/** Awaits `p`, which must reject with a SmarterBaseError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<SmarterBaseError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SmarterBaseError);
    return e as SmarterBaseError;
  }
  throw new Error('expected the call to fail');
}
